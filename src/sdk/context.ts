/**
 * How SDK functions find the run they belong to: an `AsyncLocalStorage<PlanContext>` that the
 * runtime (`src/runtime/plans`) fills while a plan runs. The store lives on `globalThis` under
 * `Symbol.for('rivet.planContext')`, so two copies of Rivet in one process share it.
 *
 * The SDK never imports the runtime: it only knows this interface. Outside a run every SDK
 * function throws a `RivetError` saying how to run the plan.
 *
 * @example
 * ```ts
 * // In the runtime:
 * planContextStorage().run(context, () => plan.run(args));
 * // In the SDK:
 * const ctx = currentContext('runCommand');
 * ```
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ErrorKind, RivetError, type SourceLocation } from '../core/errors.ts';
import type { EventInput, LogLevel } from '../core/events.ts';
import type { ResultSet } from '../core/result.ts';
import type { Result, Sensitive } from '../core/result.ts';
import type { ShellCommand } from '../core/shell.ts';
import type { Target } from '../core/target.ts';
import type { CommandOptions, OnFailure, PromptOptions, RunPlanOptions, ScriptOptions, StepOptions, TaskOptions, WaitOptions } from './options.ts';
import type { TargetSpec } from './puppet.ts';

/** A plan as the runtime sees it (what {@link definePlan} returns). */
export interface PlanLike {
  readonly description?: string | undefined;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
  /** Where `definePlan` was called. */
  readonly file?: string | undefined;
}

/**
 * One running plan, implemented by the runtime. Step methods receive targets already resolved
 * (and, in continue mode, without the plan's failed targets); they return every target's result
 * and never throw for a target's failure: the SDK applies the failure semantics.
 */
export interface PlanContext {
  /** The running plan's name (`site::deploy`). */
  readonly planName: string;
  /** The default failure mode of this plan's steps. */
  readonly onFailure: OnFailure;
  /** Targets that failed a step in continue mode, by name (the plan fails at its end if any). */
  readonly failedTargets: Map<string, Result>;
  /** Aborted on Ctrl-C or when the application cancels the run. */
  readonly signal: AbortSignal;

  runTask(task: string, targets: readonly Target[], params: Record<string, unknown>, options: TaskOptions): Promise<ResultSet>;
  runTaskWith(task: string, targets: readonly Target[], params: (target: Target) => Record<string, unknown> | Promise<Record<string, unknown>>, options: TaskOptions): Promise<ResultSet>;
  runCommand(command: string | ShellCommand, targets: readonly Target[], options: CommandOptions): Promise<ResultSet>;
  runScript(script: string, targets: readonly Target[], options: ScriptOptions): Promise<ResultSet>;
  uploadFile(source: string, destination: string, targets: readonly Target[], options: StepOptions): Promise<ResultSet>;
  downloadFile(source: string, destination: string, targets: readonly Target[], options: StepOptions): Promise<ResultSet>;
  writeFile(content: string | Uint8Array, destination: string, targets: readonly Target[], options: StepOptions): Promise<ResultSet>;
  waitUntilAvailable(targets: readonly Target[], options: WaitOptions): Promise<ResultSet>;
  /** Runs a sub-plan (a plan object or a name) in a child context; resolves with its return value. */
  runPlan(plan: PlanLike | string, params: Record<string, unknown>, options: RunPlanOptions, location: SourceLocation | undefined): Promise<unknown>;

  getTargets(spec: TargetSpec): Target[];
  getTarget(spec: TargetSpec): Target;
  /** Bolt's `Target.new` (P-24): adds or replaces a target in the inventory. */
  addTarget(data: string | Record<string, unknown>): Target;
  setVar(target: string | Target, key: string, value: unknown): Target;
  vars(target: string | Target): Record<string, unknown>;
  facts(target: string | Target): Record<string, unknown>;
  addFacts(target: string | Target, facts: Record<string, unknown>): Target;
  setFeature(target: string | Target, feature: string, value: boolean): Target;
  setConfig(target: string | Target, keyOrPath: string | readonly string[], value: unknown): Target;
  addToGroup(targets: TargetSpec, group: string): Target[];
  removeFromGroup(target: TargetSpec, group: string): Target;

  /** `out.message` (P-28). */
  message(text: string): void;
  /** `out.verbose` (P-28): shown only with `--verbose`. */
  verbose(text: string): void;
  log(level: LogLevel, text: string): void;
  /** Puts an event on the run's stream (rollout progress). */
  emit(event: EventInput): void;
  prompt(text: string, options: PromptOptions): Promise<string | Sensitive<string>>;
  /** Resolves `module/file` (modulepath) and relative paths (project dir) for local file helpers (P-31). */
  resolvePath(path: string): string;
  /** The process environment as the run sees it. */
  env(name: string): string | undefined;
}

const KEY = Symbol.for('rivet.planContext');

/** The process-wide store (shared by every copy of Rivet loaded in this process). */
export function planContextStorage(): AsyncLocalStorage<PlanContext> {
  const holder = globalThis as unknown as Record<symbol, AsyncLocalStorage<PlanContext> | undefined>;
  let storage = holder[KEY];
  if (storage === undefined) {
    storage = new AsyncLocalStorage<PlanContext>();
    Object.defineProperty(globalThis, KEY, { value: storage, enumerable: false, configurable: false, writable: false });
  }
  return storage;
}

/** The running plan's context, if any. */
export function maybeContext(): PlanContext | undefined {
  return planContextStorage().getStore();
}

/** The running plan's context; throws a RivetError naming `fn` outside a plan. */
export function currentContext(fn: string): PlanContext {
  const ctx = planContextStorage().getStore();
  if (ctx === undefined) {
    throw new RivetError(
      ErrorKind.Generic,
      `${fn}() was called outside a running plan: run it with \`rivet plan run\` or \`runPlan()\` (import { runPlan } from 'rivetops/runtime' in an application)`,
      { issueCode: 'NO_PLAN_CONTEXT' },
    );
  }
  return ctx;
}
