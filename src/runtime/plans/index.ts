/**
 * Plans on the runtime: discovery, loading, running, and the application API.
 *
 * @example
 * ```ts
 * import { runPlan } from 'rivetops/runtime';
 * import deploy from './plans/deploy.ts';
 * const result = await runPlan(deploy, { targets: 'web', version: '1.2' }, { cwd: '/srv/site' });
 * ```
 * @module
 */
import type { AnyPlan, PlanParams, PlanReturn } from '../../sdk/plan.ts';
import { createRuntime, type CreateRuntimeOptions } from '../create.ts';
import type { Runtime } from '../runtime.ts';
import { PlanRunner, type PlanRunnerOptions, type RunOptions } from './run.ts';

export { PlanRunner, checkPlanResult, planErrorData, type PlanRunnerOptions, type RunOptions } from './run.ts';
export { discoverPlans, findPlan, loadPlan, loadPlanFile, nameOfPlan, planNameFor, type PlanEntry, type PlanSources } from './discovery.ts';
export { prepareParams, normalizeParams, normalizeParam, paramMatches, paramMismatch, displayParams, type NormalParam } from './params.ts';
export { planResultJSON, planResultData } from './serialize.ts';
export { RuntimePlanContext, encodeEnvVars } from './context.ts';
export { typecheckPlan, planTypeDiagnostics, PLAN_TYPE_ERROR, type PlanTypeDiagnostic } from './typecheck.ts';

export type RunPlanApiOptions = PlanRunnerOptions &
  RunOptions &
  CreateRuntimeOptions & {
    /** Run on this runtime (left open); otherwise one is created from the other options and closed after. */
    runtime?: Runtime | undefined;
  };

/**
 * Runs a plan from an application: a plan object (typed params and result) or a plan name. Makes
 * a runtime from `cwd`/inline inventory unless one is given.
 */
export async function runPlan<T extends AnyPlan>(plan: T, params: PlanParams<T>, options?: RunPlanApiOptions): Promise<PlanReturn<T>>;
export async function runPlan(plan: string, params?: Record<string, unknown>, options?: RunPlanApiOptions): Promise<unknown>;
export async function runPlan(plan: AnyPlan | string, params: Record<string, unknown> = {}, options: RunPlanApiOptions = {}): Promise<unknown> {
  const runtime = options.runtime ?? (await createRuntime(options));
  try {
    return await new PlanRunner(runtime, options).run(plan, params, options);
  } finally {
    if (options.runtime === undefined) await runtime.close();
  }
}
export { MockPlanEnvironment, MockStub, type MockCall, type MockAction, type MockPlanEnvironmentOptions } from './testing.ts';
