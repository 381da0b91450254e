/**
 * The execution functions plans call (P-01..P-09): each resolves its targets, runs one step on all
 * of them at once (a barrier, P-12) and returns the {@link ResultSet}. A step that fails on any
 * target throws {@link RunFailure} (P-11) unless `catchErrors` or `onFailure: 'continue'` is set.
 * Failed results and the RunFailure carry the plan file:line of the call.
 *
 * @example
 * ```ts
 * const facts = await runTask('facts', targets);
 * const set = await runCommand('systemctl is-active nginx', targets, { catchErrors: true, timeout: 10_000 });
 * for (const r of set.errorSet) log.warn(`${r.target.name}: ${r.error()?.msg}`);
 * ```
 * @module
 */
import { ErrorKind, RivetError, isRivetError, type SourceLocation } from '../core/errors.ts';
import { ResultSet, type Result, type ResultValue } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import { currentContext, type PlanContext } from './context.ts';
import { backgroundSignal } from './futures.ts';
import { RunFailure } from './errors.ts';
import type { JsonObject } from './json.ts';
import { callerLocation } from './location.ts';
import type { CommandOptions, RunPlanOptions, ScriptOptions, StepOptions, TaskOptions, WaitOptions } from './options.ts';
import type { AnyPlan, PlanParams, PlanReturn } from './plan.ts';
import type { TargetSpec } from './puppet.ts';
import type { PlanRegistry, TaskRegistry } from './registry.ts';
import { ShellCommand, type CommandLine } from './shell.ts';

type IsEmpty<R> = [keyof R] extends [never] ? true : false;

/** Task names: any string in untyped mode, else the registry's keys. */
export type TaskName = IsEmpty<TaskRegistry> extends true ? string : Extract<keyof TaskRegistry, string>;
/** Plan names: any string in untyped mode, else the registry's keys. */
export type PlanName = IsEmpty<PlanRegistry> extends true ? string : Extract<keyof PlanRegistry, string>;

type AsValue<R> = R extends ResultValue ? R : R & ResultValue;

export type TaskParamsOf<K> = K extends keyof TaskRegistry ? (TaskRegistry[K] extends { params: infer P } ? P : Record<string, never>) : Record<string, unknown>;
export type TaskResultOf<K> = K extends keyof TaskRegistry ? (TaskRegistry[K] extends { result: infer R } ? AsValue<R> : JsonObject) : JsonObject;
export type PlanParamsOf<K> = K extends keyof PlanRegistry ? (PlanRegistry[K] extends { params: infer P } ? P : Record<string, never>) : Record<string, unknown>;
export type PlanResultOf<K> = K extends keyof PlanRegistry ? (PlanRegistry[K] extends { result: infer R } ? R : unknown) : unknown;

/** `[params?, options?]` when nothing is required, else `[params, options?]`. */
export type ParamsArgs<P, O> = {} extends P ? [params?: P, options?: O] : [params: P, options?: O];

const DEFAULT_WAIT_TIME = 120_000;
const DEFAULT_RETRY_INTERVAL = 1_000;

/** Checks the options every step shares, with a TypeError naming the bad option. */
function checkOptions(fn: string, options: StepOptions & { waitTime?: number; retryInterval?: number }): void {
  for (const key of ['timeout', 'waitTime', 'retryInterval'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new TypeError(`${fn}(): option '${key}' must be a number of milliseconds greater than 0, got ${String(value)}`);
    }
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError(`${fn}(): option 'signal' must be an AbortSignal`);
  if (options.onFailure !== undefined && options.onFailure !== 'throw' && options.onFailure !== 'continue') {
    throw new TypeError(`${fn}(): option 'onFailure' must be 'throw' or 'continue', got ${String(options.onFailure)}`);
  }
}

/** Adds the call's file:line to failed results whose error has none (Bolt #2057). */
function annotate(set: ResultSet, location: SourceLocation | undefined): void {
  if (location === undefined) return;
  for (const result of set.results) {
    const error = result.value['_error'] as { details?: Record<string, unknown> } | undefined;
    if (error === undefined || error === null || typeof error !== 'object') continue;
    const details = (error.details ??= {});
    if (details['file'] === undefined) {
      details['file'] = location.file;
      details['line'] = location.line;
    }
  }
}

interface StepCall<O extends StepOptions> {
  fn: string;
  action: string;
  object: string | null;
  targets: TargetSpec;
  options: O;
  location: SourceLocation | undefined;
  /** Runs the step with `options`: the call's own, plus the signal of the background block it runs in. */
  exec: (ctx: PlanContext, targets: Target[], options: O) => Promise<ResultSet>;
}

/** Resolve targets, drop continue-mode failures, run, then apply the failure semantics. */
async function step<V extends ResultValue, O extends StepOptions>(call: StepCall<O>): Promise<ResultSet<V>> {
  const ctx = currentContext(call.fn);
  checkOptions(call.fn, call.options);
  const scoped = backgroundSignal();
  const options: O = scoped === undefined ? call.options : { ...call.options, signal: call.options.signal ? AbortSignal.any([call.options.signal, scoped]) : scoped };
  const mode = call.options.onFailure ?? ctx.onFailure;
  let targets = ctx.getTargets(call.targets);
  if (mode === 'continue' && ctx.failedTargets.size > 0) {
    const skipped = targets.filter((t) => ctx.failedTargets.has(t.name));
    if (skipped.length > 0) {
      ctx.log('info', `${call.fn}: skipping ${skipped.length} target(s) that failed earlier: ${skipped.map((t) => t.name).join(', ')}`);
      targets = targets.filter((t) => !ctx.failedTargets.has(t.name));
    }
  }
  if (targets.length === 0) return new ResultSet<V>();
  let set: ResultSet;
  try {
    set = await call.exec(ctx, targets, options);
  } catch (error) {
    // Errors before anything ran (unknown task, bad parameters) name the plan line that asked.
    if (isRivetError(error)) error.location ??= call.location;
    throw error;
  }
  annotate(set, call.location);
  if (!set.ok && call.options.catchErrors !== true) {
    if (mode === 'continue') {
      for (const result of set.errorSet) ctx.failedTargets.set(result.target.name, result as Result);
    } else {
      throw new RunFailure(set, call.action, call.object, call.location);
    }
  }
  return set as unknown as ResultSet<V>;
}

/** Runs a task on targets (P-01). Params are checked against the task's metadata (and, with generated types, at compile time). */
export function runTask<K extends TaskName>(task: K, targets: TargetSpec, ...args: ParamsArgs<TaskParamsOf<K>, TaskOptions>): Promise<ResultSet<TaskResultOf<K>>> {
  const location = callerLocation();
  const [params, given = {}] = args as [Record<string, unknown> | undefined, TaskOptions | undefined];
  const options = withCatchErrorsMeta(given, params);
  return step({ fn: 'runTask', action: 'task', object: task, targets, options, location, exec: (ctx, ts, o) => ctx.runTask(task, ts, params ?? {}, o) });
}

/**
 * Bolt's `_catch_errors` metaparameter (`run_task.rb` partitions every `_` key off as an option):
 * any value but null or false catches, unless `catchErrors` is given. The other metaparameters
 * (`_run_as`, `_noop`, ...) are taken by the task step.
 */
function withCatchErrorsMeta(options: TaskOptions, params: Readonly<Record<string, unknown>> | undefined): TaskOptions {
  const meta = params?.['_catch_errors'];
  if (options.catchErrors !== undefined || meta === undefined || meta === null || meta === false) return options;
  return { ...options, catchErrors: true };
}

/** Runs a task with parameters computed per target (P-02); a target whose function throws fails. */
export function runTaskWith<K extends TaskName>(
  task: K,
  targets: TargetSpec,
  params: (target: Target) => TaskParamsOf<K> | Promise<TaskParamsOf<K>>,
  options: TaskOptions = {},
): Promise<ResultSet<TaskResultOf<K>>> {
  const location = callerLocation();
  if (typeof params !== 'function') throw new TypeError('runTaskWith(): params must be a function of the target');
  return step({
    fn: 'runTaskWith',
    action: 'task',
    object: task,
    targets,
    options,
    location,
    exec: (ctx, ts, o) => ctx.runTaskWith(task, ts, params as (t: Target) => Record<string, unknown>, o),
  });
}

/**
 * Runs a shell command (P-03). Build it with `sh` so that every interpolated value is quoted
 * for the target's shell; a plain string runs as written.
 *
 * @example
 * ```ts
 * await runCommand(sh`mkdir -p ${root}/releases`, targets);
 * await runCommand('systemctl restart nginx', targets);
 * ```
 */
export function runCommand(command: CommandLine, targets: TargetSpec, options: CommandOptions = {}): Promise<ResultSet> {
  const location = callerLocation();
  if (typeof command !== 'string' && !(command instanceof ShellCommand)) {
    throw new TypeError(`runCommand(): the command must be a string or an sh\`...\` command, got ${command === null ? 'null' : typeof command}`);
  }
  return step({ fn: 'runCommand', action: 'command', object: String(command), targets, options, location, exec: (ctx, ts, o) => ctx.runCommand(command, ts, o) });
}

/** Copies a local script (a path, or `module/file` under a module's `files/`) to targets and runs it (P-04). */
export function runScript(script: string, targets: TargetSpec, options: ScriptOptions = {}): Promise<ResultSet> {
  const location = callerLocation();
  return step({ fn: 'runScript', action: 'script', object: script, targets, options, location, exec: (ctx, ts, o) => ctx.runScript(ctx.resolvePath(script), ts, o) });
}

/** Uploads a local file or directory (recursively) to `destination` on targets (P-05). */
export function uploadFile(source: string, destination: string, targets: TargetSpec, options: StepOptions = {}): Promise<ResultSet> {
  const location = callerLocation();
  return step({ fn: 'uploadFile', action: 'upload', object: source, targets, options, location, exec: (ctx, ts, o) => ctx.uploadFile(ctx.resolvePath(source), destination, ts, o) });
}

/**
 * Downloads `source` from each target to `<project>/downloads/<destination>/<target>/<basename>`
 * (P-06); each result's value has the local `path`.
 */
export function downloadFile(source: string, destination: string, targets: TargetSpec, options: StepOptions = {}): Promise<ResultSet<{ path: string } & ResultValue>> {
  const location = callerLocation();
  return step({ fn: 'downloadFile', action: 'download', object: source, targets, options, location, exec: (ctx, ts, o) => ctx.downloadFile(source, destination, ts, o) });
}

/** Writes `content` to `destination` on targets (P-07). */
export function writeFile(content: string | Uint8Array, destination: string, targets: TargetSpec, options: StepOptions = {}): Promise<ResultSet> {
  const location = callerLocation();
  return step({ fn: 'writeFile', action: 'upload', object: destination, targets, options, location, exec: (ctx, ts, o) => ctx.writeFile(content, destination, ts, o) });
}

/** Retries connecting to each target until it answers or `waitTime` passes (P-09). */
export function waitUntilAvailable(targets: TargetSpec, options: WaitOptions = {}): Promise<ResultSet> {
  const location = callerLocation();
  const full = { ...options, waitTime: options.waitTime ?? DEFAULT_WAIT_TIME, retryInterval: options.retryInterval ?? DEFAULT_RETRY_INTERVAL };
  return step({ fn: 'waitUntilAvailable', action: 'wait_until_available', object: null, targets, options: full, location, exec: (ctx, ts, o) => ctx.waitUntilAvailable(ts, o) });
}

type WithCatch<O, R> = O extends { catchErrors: true } ? R | RivetError : R;

/**
 * Runs another plan (P-08): a plan object (imported) or a name (`site::verify`). Resolves with its
 * return value; with `catchErrors: true` a failure is returned as the error instead of thrown.
 * `runAs` becomes the default run-as user of every step of the sub-plan (P-14).
 */
export function runPlan<T extends AnyPlan, const O extends RunPlanOptions = {}>(plan: T, ...args: ParamsArgs<PlanParams<T>, O>): Promise<WithCatch<O, PlanReturn<T>>>;
export function runPlan<K extends PlanName, const O extends RunPlanOptions = {}>(name: K, ...args: ParamsArgs<PlanParamsOf<K>, O>): Promise<WithCatch<O, PlanResultOf<K>>>;
export async function runPlan(plan: AnyPlan | string, ...args: unknown[]): Promise<unknown> {
  const location = callerLocation();
  const ctx = currentContext('runPlan');
  const [params = {}, options = {}] = args as [Record<string, unknown> | undefined, RunPlanOptions | undefined];
  try {
    return await ctx.runPlan(plan, params, options, location);
  } catch (error) {
    if (options.catchErrors === true && isRivetError(error)) return error;
    if (isRivetError(error) && error.location === undefined && error.kind !== ErrorKind.Usage) error.location = location;
    throw error;
  }
}
