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
import { runWithModes, type PlanRunModes } from './modes.ts';
import { PlanRunner, type PlanRunnerOptions, type RunOptions } from './run.ts';
import type { DurableOptions } from '../durable/types.ts';

export { PlanRunner, checkPlanResult, planErrorData, type PlanRunnerOptions, type RunOptions } from './run.ts';
export { discoverPlans, findPlan, loadPlan, loadPlanFile, nameOfPlan, planNameFor, type PlanEntry, type PlanSources } from './discovery.ts';
export { prepareParams, normalizeParams, normalizeParam, paramMatches, paramMismatch, displayParams, type NormalParam } from './params.ts';
export { planResultJSON, planResultData } from './serialize.ts';
export { RuntimePlanContext, encodeEnvVars } from './context.ts';
export { typecheckPlan, planTypeDiagnostics, PLAN_TYPE_ERROR, type PlanTypeDiagnostic } from './typecheck.ts';
export { runWithModes, checkModes, loadReplay, type PlanRunModes } from './modes.ts';
export { PlanPreview, PREVIEW_ASSUMPTION, type PreviewStep } from './preview.ts';
export { PlanRecorder, PlanReplayer, readRecording, checkRecording, RECORDING_FORMAT, RECORDING_VERSION, type PlanRecording, type RecordedStep } from './recording.ts';
export { describeStep, stepSummary, type PlanStepCall, type PlanStepAction, type StepDescription, type StepHook, type StepRun } from './step-hook.ts';

export type RunPlanApiOptions = PlanRunnerOptions &
  RunOptions &
  PlanRunModes &
  CreateRuntimeOptions & {
    /** Run on this runtime (left open); otherwise one is created from the other options and closed after. */
    runtime?: Runtime | undefined;
    /**
     * Run durably (see docs/durable.md): every step journalled per target in Postgres at `url`.
     * `onRunId` gets the run id before the plan starts. Opens and closes DBOS for this one run.
     */
    durable?: (DurableOptions & { executorId?: string | undefined; onRunId?: ((runId: string) => void) | undefined }) | undefined;
  };

/**
 * Runs a plan from an application: a plan object (typed params and result) or a plan name. Makes
 * a runtime from `cwd`/inline inventory unless one is given. `preview: true` runs the plan's logic
 * only (no target is contacted; see docs/plans.md), `record: file` writes a recording of the run,
 * `replay: file` answers every step from one.
 *
 * @example
 * ```ts
 * await runPlan(deploy, { targets: 'web', version: '1.2' }, { cwd: '/srv/site', preview: true });
 * ```
 */
export async function runPlan<T extends AnyPlan>(plan: T, params: PlanParams<T>, options?: RunPlanApiOptions): Promise<PlanReturn<T>>;
export async function runPlan(plan: string, params?: Record<string, unknown>, options?: RunPlanApiOptions): Promise<unknown>;
export async function runPlan(plan: AnyPlan | string, params: Record<string, unknown> = {}, options: RunPlanApiOptions = {}): Promise<unknown> {
  const runtime = options.runtime ?? (await createRuntime(options));
  try {
    const runner = new PlanRunner(runtime, options);
    if (options.durable !== undefined) return await runDurably(runner, plan, params, options.durable, options.name);
    return await runWithModes(runtime, options, (stepHook) => runner.run(plan, params, { ...options, stepHook: stepHook ?? options.stepHook }));
  } finally {
    if (options.runtime === undefined) await runtime.close();
  }
}
/** One durable run of `plan` (the engine, and DBOS, load here). */
async function runDurably(runner: PlanRunner, plan: AnyPlan | string, params: Record<string, unknown>, durable: NonNullable<RunPlanApiOptions['durable']>, name: string | undefined): Promise<unknown> {
  const engine = await import('../durable/engine.ts');
  const runId = engine.newRunId();
  durable.onRunId?.(runId);
  const runs = await engine.openDurable({ ...durable, runner, executorId: durable.executorId ?? engine.runExecutorId(runId) });
  try {
    return await (await runs.start(plan, params, { runId, ...(name !== undefined ? { name } : {}) })).result;
  } finally {
    await runs.close();
  }
}
export { MockPlanEnvironment, MockStub, type MockCall, type MockAction, type MockPlanEnvironmentOptions } from './testing.ts';
