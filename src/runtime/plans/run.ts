/**
 * Running plans on a {@link Runtime}: {@link PlanRunner} checks and resolves parameters, installs
 * the plan's context, emits `plan_start`/`plan_finish`, runs sub-plans in child contexts, and
 * applies continue mode's end-of-plan failure. Nothing here is global: two runners (two runtimes)
 * in one process run independently.
 *
 * @example
 * ```ts
 * const runner = new PlanRunner(runtime, { projectName: 'site' });
 * const value = await runner.run('site::deploy', { targets: 'web', version: '1.2' });
 * ```
 * @module
 */
import { ErrorKind, RivetError, isRivetError, toRivetError, type SourceLocation } from '../../core/errors.ts';
import { ResultSet, type Result } from '../../core/result.ts';
import { planContextStorage, type PlanLike } from '../../sdk/context.ts';
import { RunFailure } from '../../sdk/errors.ts';
import { settleFutures } from '../../sdk/futures.ts';
import { withWarningId } from '../../core/warning-id.ts';
import { isPlan, type AnyPlan } from '../../sdk/plan.ts';
import type { Runtime } from '../runtime.ts';
import { RuntimePlanContext, type PlanRunShared } from './context.ts';
import { discoverPlans, findPlan, loadPlan, nameOfPlan, type PlanEntry, type PlanSources } from './discovery.ts';
import { displayParams, prepareParams } from './params.ts';
import type { StepHook } from './step-hook.ts';

export interface PlanRunnerOptions {
  /** The project's name (project plans are `<name>::...`). Default: the runtime's project name. */
  projectName?: string | undefined;
  /** Answers `prompt()` (the CLI passes its terminal prompt); without it prompts use their default or fail. */
  prompt?: ((text: string, options: { sensitive: boolean }) => Promise<string>) | undefined;
  /** Environment for `env()` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Cancels the plans (the runtime's own signal cancels steps too). */
  signal?: AbortSignal | undefined;
  /** Default per-step timeout of every step (`rivet plan run --timeout`); a step's own `timeout` wins. */
  stepTimeoutMs?: number | undefined;
  /** Stream every step's output as events (`--stream`). */
  stream?: boolean | undefined;
}

export interface RunOptions {
  /** Name to report for a plan object (default: its catalog name, else its file's stem). */
  name?: string | undefined;
  /** Default run-as user of every step (P-14). */
  runAs?: string | undefined;
  /** Previews, records or replays every step of the run, sub-plans included (see `step-hook.ts`). */
  stepHook?: StepHook | undefined;
}

export class PlanRunner {
  readonly runtime: Runtime;
  readonly #options: PlanRunnerOptions;
  #plans: PlanEntry[] | undefined;

  constructor(runtime: Runtime, options: PlanRunnerOptions = {}) {
    this.runtime = runtime;
    this.#options = options;
  }

  get sources(): PlanSources {
    const project = (this.runtime as Runtime & { project?: { name?: string | undefined } }).project;
    return { projectDir: this.runtime.projectDir, projectName: this.#options.projectName ?? project?.name, modulepath: this.runtime.modulepath };
  }

  /** Every plan of the project and modulepath. */
  list(): PlanEntry[] {
    this.#plans ??= discoverPlans(this.sources);
    return this.#plans;
  }

  /** The catalog entry of a plan name. */
  find(name: string): PlanEntry {
    return findPlan(this.list(), name, this.sources);
  }

  /** Loads a plan by name. */
  async load(name: string): Promise<{ plan: AnyPlan; entry: PlanEntry }> {
    const entry = this.find(name);
    return { plan: await loadPlan(entry), entry };
  }

  /** Runs a plan (an object from `definePlan`, or a name) and resolves with its return value. */
  async run(plan: AnyPlan | string, params: Readonly<Record<string, unknown>> = {}, options: RunOptions = {}): Promise<unknown> {
    return this.#execute(plan, params, { runAs: options.runAs, name: options.name, location: undefined, stepHook: options.stepHook, contexts: undefined });
  }

  async #resolve(plan: PlanLike | string, name: string | undefined): Promise<{ plan: AnyPlan; name: string }> {
    if (typeof plan === 'string') {
      const loaded = await this.load(plan);
      return { plan: loaded.plan, name: plan };
    }
    if (!isPlan(plan)) throw new RivetError(ErrorKind.Usage, 'runPlan() expects a plan made by definePlan() or a plan name');
    return { plan, name: name ?? nameOfPlan(plan, this.list()) };
  }

  async #execute(
    planOrName: PlanLike | string,
    given: Readonly<Record<string, unknown>>,
    options: {
      runAs: string | undefined;
      name: string | undefined;
      location: SourceLocation | undefined;
      stepHook: StepHook | undefined;
      /** The top-level run's plan contexts, whose background blocks it waits for; undefined at the top. */
      contexts: RuntimePlanContext[] | undefined;
    },
  ): Promise<unknown> {
    const { plan, name } = await this.#resolve(planOrName, options.name);
    const events = this.runtime.events;
    let args: Record<string, unknown>;
    try {
      args = prepareParams(name, plan.params, given, this.runtime.inventory);
    } catch (error) {
      if (isRivetError(error) && error.location === undefined && options.location !== undefined) error.location = options.location;
      throw error;
    }
    const started = performance.now();
    events.emit({ type: 'plan_start', plan: name, params: displayParams(given, plan.params) });
    let status: 'success' | 'failure' = 'failure';
    const contexts = options.contexts ?? [];
    try {
      const shared: PlanRunShared = {
        runtime: this.runtime,
        runSubPlan: (sub, params, sub_options) => this.#execute(sub, params, { ...sub_options, name: undefined, stepHook: options.stepHook, contexts }),
        prompt: this.#options.prompt,
        env: this.#options.env ?? process.env,
        signal: this.#options.signal ?? new AbortController().signal,
        stepTimeoutMs: this.#options.stepTimeoutMs,
        stream: this.#options.stream,
        stepHook: options.stepHook,
      };
      const ctx = new RuntimePlanContext(shared, name, plan.onFailure, options.runAs);
      contexts.push(ctx);
      let value: unknown;
      try {
        value = await planContextStorage().run(ctx, () => plan.run(args as never));
      } finally {
        // P-18: a plan may return while background blocks run; the run ends when they have (Bolt
        // waits for them before exiting). A sub-plan's blocks run on after it returns, as in Bolt.
        if (options.contexts === undefined) await this.#settleBackground(contexts);
      }
      if (ctx.failedTargets.size > 0) {
        const failed = new ResultSet([...ctx.failedTargets.values()] as Result[]);
        throw new RunFailure(failed, 'plan', name, options.location);
      }
      checkPlanResult(name, value);
      status = 'success';
      return value;
    } catch (error) {
      if (isRivetError(error) && error.location === undefined && options.location !== undefined && error.kind !== ErrorKind.Usage) error.location = options.location;
      throw error;
    } finally {
      events.emit({ type: 'plan_finish', plan: name, durationMs: performance.now() - started, status });
    }
  }

  /** Waits for the background blocks of every plan of the run; those that fail now are logged at warn, as Bolt does. */
  async #settleBackground(contexts: readonly RuntimePlanContext[]): Promise<void> {
    for (let i = 0; i < contexts.length; i++) {
      const ctx = contexts[i]!;
      await settleFutures(ctx, (future, error) => {
        // Bolt's id (Bolt::Logger.warn('errored_futures', ...)) ends the text.
        ctx.log('warn', withWarningId('errored_futures', `Error in future '${future.name}' of plan ${ctx.planName}: ${error.message}`));
      });
    }
  }
}

/** P-38: plan results must be data (plus Results, ResultSets, Targets, errors, Sensitive). */
export function checkPlanResult(plan: string, value: unknown): void {
  const bad = findInvalid(value, new Set());
  if (bad !== undefined) {
    throw new RivetError(ErrorKind.InvalidPlanResult, `Plan ${plan} returned an invalid result: ${bad}. Plans may return JSON data, Results, ResultSets, Targets and errors`, {
      issueCode: 'INVALID_PLAN_RESULT',
    });
  }
}

function findInvalid(value: unknown, seen: Set<unknown>): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `the number ${value}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return 'a bigint';
    default:
      break;
  }
  // `seen` holds the ancestors only: shared (non-circular) references are fine.
  if (seen.has(value)) return 'a circular structure';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' || isRivetError(value)) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return `an instance of ${(value as object).constructor?.name ?? 'a class'}`;
  seen.add(value);
  try {
    for (const item of Object.values(value as object)) {
      const bad = findInvalid(item, seen);
      if (bad) return bad;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}

/** A plan's failure as Bolt prints it: `{kind, msg, details, issue_code?}`. */
export function planErrorData(error: unknown): ReturnType<RivetError['toJSON']> {
  return toRivetError(error).toJSON();
}
