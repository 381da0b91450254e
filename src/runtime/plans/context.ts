/**
 * The runtime's {@link PlanContext}: what SDK calls do inside a running plan. One per plan (a
 * sub-plan gets its own, sharing the run: inventory, connection pool, concurrency limit, events).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile as writeLocal } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { ErrorKind, RivetError, toRivetError, type SourceLocation } from '../../core/errors.ts';
import type { EventInput, LogLevel } from '../../core/events.ts';
import { Result, ResultSet, Sensitive } from '../../core/result.ts';
import type { ShellCommand } from '../../core/shell.ts';
import type { Target } from '../../core/target.ts';
import type { PlanContext, PlanLike } from '../../sdk/context.ts';
import type { CommandOptions, OnFailure, PromptOptions, RunPlanOptions, ScriptOptions, StepOptions, TaskOptions, WaitOptions } from '../../sdk/options.ts';
import type { TargetSpec } from '../../sdk/puppet.ts';
import type { Runtime } from '../runtime.ts';
import type { CreatedRuntime } from '../create.ts';
import { warningId } from '../../core/warning-id.ts';
import { callerLocation } from '../../sdk/location.ts';
import type { CommonStepOptions } from '../steps/basic.ts';
import type { TaskStepOptions } from '../steps/task.ts';
import { sensitiveParamNames } from '../tasks/params.ts';
import type { PerTargetParams, PlanStepCall, RemoteStep, StepHook, StepRun } from './step-hook.ts';

/** State shared by every plan of one run. */
export interface PlanRunShared {
  runtime: Runtime;
  /** Runs a sub-plan (set by the plan runner). */
  runSubPlan(plan: PlanLike | string, params: Record<string, unknown>, options: { runAs: string | undefined; location: SourceLocation | undefined }): Promise<unknown>;
  /** Answers `prompt()`; without it there is no terminal. */
  prompt?: ((text: string, options: { sensitive: boolean }) => Promise<string>) | undefined;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** Default per-step timeout (ms) when a step sets none. */
  stepTimeoutMs?: number | undefined;
  /** Stream output of every step. */
  stream?: boolean | undefined;
  /** Previews, records or replays every step (see `step-hook.ts`); without it steps just run. */
  stepHook?: StepHook | undefined;
}

let waitStepIds = 1_000_000;

/** Per step hook (one per run, sub-plans included): settles once the last step called has been handed to it. */
const handedOff = new WeakMap<StepHook, Promise<void>>();

/**
 * Hands a step to the run's hook in the order the plan called it, also when the step needs
 * preparing first (a task's metadata, `runTaskWith`'s parameter functions): hooks number steps
 * in the order they get them (a durable run's step numbers, a recording's order), and steps
 * started together (`Promise.all`) must get the same numbers when the plan runs again, however
 * long their preparation takes. A step waits for the steps called before it to be handed off
 * (not to finish).
 */
function handOff(hook: StepHook, step: { call: PlanStepCall; run: StepRun } | Promise<{ call: PlanStepCall; run: StepRun }>): Promise<ResultSet> {
  const previous = handedOff.get(hook) ?? Promise.resolve();
  const prepared = Promise.resolve(step);
  prepared.catch(() => {}); // a preparation that fails before its turn is reported at its turn, not as unhandled
  let handed!: () => void;
  handedOff.set(hook, new Promise<void>((resolve) => (handed = resolve)));
  return previous
    .then(() => prepared)
    .then(
      ({ call, run }) => {
        handed();
        return hook.step(call, run);
      },
      (error: unknown) => {
        handed();
        throw error;
      },
    );
}

/** JSON-encodes arrays and objects in env vars (P-03). */
export function encodeEnvVars(vars: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (vars === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) {
    if (value === undefined || value === null) continue;
    const plain = value instanceof Sensitive ? value.unwrap() : value;
    env[key] = typeof plain === 'string' ? plain : typeof plain === 'object' ? JSON.stringify(plain) : String(plain);
  }
  return env;
}

export class RuntimePlanContext implements PlanContext {
  readonly failedTargets = new Map<string, Result>();
  readonly #shared: PlanRunShared;
  readonly #runAs: string | undefined;

  constructor(
    shared: PlanRunShared,
    readonly planName: string,
    readonly onFailure: OnFailure,
    runAs: string | undefined,
  ) {
    this.#shared = shared;
    this.#runAs = runAs;
  }

  get signal(): AbortSignal {
    return this.#shared.signal;
  }

  get #runtime(): Runtime {
    return this.#shared.runtime;
  }

  #common(options: StepOptions): CommonStepOptions {
    return {
      description: options.description,
      runAs: options.runAs ?? this.#runAs,
      timeoutMs: options.timeout ?? this.#shared.stepTimeoutMs,
      signal: options.signal,
      stream: options.stream ?? this.#shared.stream,
    };
  }

  #taskOptions(options: TaskOptions): TaskStepOptions {
    return { ...this.#common(options), noop: options.noop };
  }

  /** A step's options as a durable worker needs them (env values stay `Sensitive`). */
  #remoteOptions(options: StepOptions & { noop?: boolean | undefined; envVars?: Record<string, unknown> | undefined }): RemoteStep['options'] {
    const common = this.#common(options);
    const env = encodeEnvVars(options.envVars);
    return {
      runAs: common.runAs,
      noop: options.noop,
      timeoutMs: common.timeoutMs,
      description: common.description,
      stream: common.stream,
      env: env === undefined ? undefined : Object.fromEntries(Object.entries(env).map(([k, v]) => [k, new Sensitive(v)])),
    };
  }

  /** Runs a step through the run's hook (preview, record, replay), or just runs it. */
  #step(call: Omit<PlanStepCall, 'location'>, run: StepRun): Promise<ResultSet> {
    const hook = this.#shared.stepHook;
    if (hook === undefined) return run();
    // The SDK calls the context synchronously from the plan's call: the plan's frame is on the stack.
    return handOff(hook, { call: { ...call, location: callerLocation() }, run });
  }

  /** Options that change what a step runs, for previews and recordings. */
  #described(options: StepOptions & { noop?: boolean | undefined; envVars?: Record<string, unknown> | undefined }): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const runAs = options.runAs ?? this.#runAs;
    if (runAs !== undefined) out['runAs'] = runAs;
    if (options.noop === true) out['noop'] = true;
    if (options.envVars !== undefined) out['envVars'] = Object.keys(options.envVars);
    return out;
  }

  async #sensitive(task: string): Promise<string[]> {
    return sensitiveParamNames((await this.#runtime.tasks.load(task)).metadata);
  }

  runTask(task: string, targets: readonly Target[], params: Record<string, unknown>, options: TaskOptions): Promise<ResultSet> {
    const run: StepRun = (only, onTargetResult) => this.#runtime.runTask(task, only ?? targets, params, { ...this.#taskOptions(options), onTargetResult });
    const hook = this.#shared.stepHook;
    if (hook === undefined) return run();
    const location = callerLocation();
    const remote: RemoteStep = { action: 'task', object: task, params, options: this.#remoteOptions(options) };
    return handOff(
      hook,
      this.#sensitive(task).then((sensitive) => ({ call: { action: 'task', object: task, targets, params, options: this.#described(options), sensitive, location, remote }, run })),
    );
  }

  runTaskWith(task: string, targets: readonly Target[], params: (target: Target) => Record<string, unknown> | Promise<Record<string, unknown>>, options: TaskOptions): Promise<ResultSet> {
    const hook = this.#shared.stepHook;
    if (hook === undefined) return this.#runtime.runTaskWith(task, targets, params, this.#taskOptions(options));
    const location = callerLocation();
    const prepare = async (): Promise<{ call: PlanStepCall; run: StepRun }> => {
      // The plan's function runs once per target: the hook sees the parameters, the step reuses them.
      const values = await Promise.all(
        targets.map(async (target) => {
          try {
            return await params(target);
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      );
      // In target order, whatever order the functions finished in.
      const computed: PerTargetParams = { perTarget: Object.fromEntries(targets.map((target, i) => [target.name, values[i]!])) };
      const sensitive = await this.#sensitive(task);
      const reuse = (target: Target): Record<string, unknown> => {
        const value = computed.perTarget[target.name];
        if (value instanceof Error) throw value;
        return value ?? {};
      };
      const run: StepRun = (only, onTargetResult) => this.#runtime.runTaskWith(task, only ?? targets, reuse, { ...this.#taskOptions(options), onTargetResult });
      const remote: RemoteStep = { action: 'task', object: task, params: computed, options: this.#remoteOptions(options) };
      return { call: { action: 'task', object: task, targets, params: computed, options: this.#described(options), sensitive, location, remote }, run };
    };
    return handOff(hook, prepare());
  }

  runCommand(command: string | ShellCommand, targets: readonly Target[], options: CommandOptions): Promise<ResultSet> {
    const remote: RemoteStep | undefined = typeof command === 'string' ? { action: 'command', object: command, params: null, options: this.#remoteOptions(options) } : undefined;
    return this.#step({ action: 'command', object: String(command), targets, params: null, options: this.#described(options), remote }, (only, onTargetResult) =>
      this.#runtime.runCommand(command, only ?? targets, { ...this.#common(options), env: encodeEnvVars(options.envVars), onTargetResult }),
    );
  }

  runScript(script: string, targets: readonly Target[], options: ScriptOptions): Promise<ResultSet> {
    const remote: RemoteStep = { action: 'script', object: script, params: options.arguments ?? [], options: this.#remoteOptions(options) };
    return this.#step({ action: 'script', object: script, targets, params: options.arguments ?? [], options: this.#described(options), remote }, (only, onTargetResult) =>
      this.#runtime.runScript(script, only ?? targets, { ...this.#common(options), env: encodeEnvVars(options.envVars), arguments: options.arguments, onTargetResult }),
    );
  }

  uploadFile(source: string, destination: string, targets: readonly Target[], options: StepOptions): Promise<ResultSet> {
    const remote: RemoteStep = { action: 'upload', object: source, params: destination, options: this.#remoteOptions(options) };
    return this.#step({ action: 'upload', object: source, targets, params: destination, options: this.#described(options), remote }, (only, onTargetResult) =>
      this.#runtime.uploadFile(source, destination, only ?? targets, { ...this.#common(options), onTargetResult }),
    );
  }

  downloadFile(source: string, destination: string, targets: readonly Target[], options: StepOptions): Promise<ResultSet> {
    return this.#step({ action: 'download', object: source, targets, params: destination, options: this.#described(options) }, (only, onTargetResult) =>
      this.#runtime.downloadFile(source, destination, only ?? targets, { ...this.#common(options), onTargetResult }),
    );
  }

  writeFile(content: string | Uint8Array, destination: string, targets: readonly Target[], options: StepOptions): Promise<ResultSet> {
    const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    return this.#step({ action: 'write', object: destination, targets, params: { bytes }, options: this.#described(options) }, (only, onTargetResult) =>
      this.#writeFile(content, destination, only ?? targets, options, onTargetResult),
    );
  }

  async #writeFile(content: string | Uint8Array, destination: string, targets: readonly Target[], options: StepOptions, onTargetResult: ((result: Result) => void) | undefined): Promise<ResultSet> {
    const dir = await mkdtemp(join(tmpdir(), 'rivet-write-'));
    try {
      const file = join(dir, basename(destination) || 'content');
      await writeLocal(file, content, { mode: 0o600 });
      return await this.#runtime.uploadFile(file, destination, targets, { ...this.#common(options), description: options.description ?? `write file ${destination}`, onTargetResult });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Retries connecting and running `true` until it works or `waitTime` passes (P-09). */
  waitUntilAvailable(targets: readonly Target[], options: WaitOptions): Promise<ResultSet> {
    return this.#step({ action: 'wait_until_available', object: null, targets, params: { waitTime: options.waitTime ?? 120_000 }, options: {} }, (only, onTargetResult) =>
      this.#waitUntilAvailable(only ?? targets, options, onTargetResult),
    );
  }

  async #waitUntilAvailable(targets: readonly Target[], options: WaitOptions, onTargetResult: ((result: Result) => void) | undefined): Promise<ResultSet> {
    const events = this.#runtime.events;
    const stepId = waitStepIds++;
    const description = options.description ?? 'wait until available';
    const started = performance.now();
    const waitTime = options.waitTime ?? 120_000;
    const interval = options.retryInterval ?? 1_000;
    const signal = options.signal ? AbortSignal.any([options.signal, this.signal]) : this.signal;
    for (const target of targets) events.protectTarget(target);
    events.emit({ type: 'step_start', stepId, action: 'wait_until_available', object: null, description, targets: targets.map((t) => t.name) });
    const results = await Promise.all(
      targets.map(async (target) => {
        const t0 = performance.now();
        events.emit({ type: 'target_start', stepId, target: target.name });
        let last: RivetError | undefined;
        let result: Result | undefined;
        while (result === undefined) {
          if (signal.aborted) {
            result = Result.failure(target, 'wait_until_available', null, new RivetError(ErrorKind.Canceled, `Canceled while waiting for ${target.name}`, { target: target.name }));
            break;
          }
          try {
            const run = await this.#runtime.pool.use(target, { signal }, (connection) =>
              connection.run('true', { signal, timeoutMs: Math.max(1_000, waitTime - (performance.now() - t0)) }),
            );
            if (run.exitCode === 0) {
              result = new Result({ target, action: 'wait_until_available', value: {}, durationMs: performance.now() - t0 });
              break;
            }
            last = new RivetError(ErrorKind.Connect, `'true' exited with ${String(run.exitCode)}`, { target: target.name });
          } catch (error) {
            last = toRivetError(error, target.name);
          }
          if (performance.now() - t0 + interval > waitTime) {
            const msg = `Timed out after ${Math.round(waitTime / 1000)} s waiting for ${target.name} to become available${last ? `: ${last.message}` : ''}`;
            result = Result.failure(
              target,
              'wait_until_available',
              null,
              new RivetError(ErrorKind.Connect, msg, { issueCode: 'CONNECT_ERROR', target: target.name, details: { wait_time_ms: waitTime } }),
              performance.now() - t0,
            );
            break;
          }
          await new Promise<void>((r) => {
            const timer = setTimeout(r, interval);
            signal.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
          });
        }
        events.emit({ type: 'target_finish', stepId, target: target.name, durationMs: result.durationMs, result: result.toJSON() });
        onTargetResult?.(result);
        return result;
      }),
    );
    const set = new ResultSet(results);
    events.emit({
      type: 'step_finish',
      stepId,
      action: 'wait_until_available',
      object: null,
      description,
      durationMs: performance.now() - started,
      failures: set.errorSet.length,
      count: set.length,
    });
    return set;
  }

  runPlan(plan: PlanLike | string, params: Record<string, unknown>, options: RunPlanOptions, location: SourceLocation | undefined): Promise<unknown> {
    return this.#shared.runSubPlan(plan, params, { runAs: options.runAs ?? this.#runAs, location });
  }

  getTargets(spec: TargetSpec): Target[] {
    return this.#runtime.getTargets(spec);
  }
  getTarget(spec: TargetSpec): Target {
    return this.#runtime.inventory.getTarget(spec);
  }
  addTarget(data: string | Record<string, unknown>): Target {
    return this.#runtime.inventory.addTarget(data);
  }
  setVar(target: string | Target, key: string, value: unknown): Target {
    return this.#runtime.inventory.setVar(target, key, value);
  }
  vars(target: string | Target): Record<string, unknown> {
    return this.#runtime.inventory.vars(target);
  }
  facts(target: string | Target): Record<string, unknown> {
    return this.#runtime.inventory.facts(target);
  }
  addFacts(target: string | Target, facts: Record<string, unknown>): Target {
    return this.#runtime.inventory.addFacts(target, facts);
  }
  setFeature(target: string | Target, feature: string, value: boolean): Target {
    return this.#runtime.inventory.setFeature(target, feature, value);
  }
  setConfig(target: string | Target, keyOrPath: string | readonly string[], value: unknown): Target {
    return this.#runtime.inventory.setConfig(target, keyOrPath, value);
  }
  addToGroup(targets: TargetSpec, group: string): Target[] {
    return this.#runtime.inventory.addToGroup(targets, group);
  }
  removeFromGroup(target: TargetSpec, group: string): Target {
    return this.#runtime.inventory.removeFromGroup(target, group);
  }

  message(text: string): void {
    this.#runtime.events.emit({ type: 'message', level: 'message', text });
  }
  verbose(text: string): void {
    this.#runtime.events.emit({ type: 'message', level: 'verbose', text });
  }
  log(level: LogLevel, text: string): void {
    // Bolt's disable-warnings (C-15) for plan-time warnings with an `[ID: x]` (wait's options, errored futures).
    if (level === 'warn') {
      const id = warningId(text);
      const disabled = (this.#runtime as Partial<CreatedRuntime>).project?.config['disable-warnings'];
      if (id !== undefined && disabled?.includes(id) === true) return;
    }
    this.#runtime.events.log(level, text);
  }
  emit(event: EventInput): void {
    this.#runtime.events.emit(event);
  }

  async prompt(text: string, options: PromptOptions): Promise<string | Sensitive<string>> {
    const ask = this.#shared.prompt;
    if (ask === undefined) {
      if (options.default !== undefined) return options.sensitive ? new Sensitive(options.default) : options.default;
      throw new RivetError(ErrorKind.NoTty, `Cannot prompt '${text}': standard input is not a terminal and no default was given`, { issueCode: 'NO_TTY' });
    }
    let answer = await ask(options.default !== undefined && !options.sensitive ? `${text} [${options.default}]: ` : `${text}: `, { sensitive: options.sensitive === true });
    if (answer === '' && options.default !== undefined) answer = options.default;
    return options.sensitive ? new Sensitive(answer) : answer;
  }

  /** Absolute paths as they are; `module/file` via the modulepath (`files/` first); else the project dir (P-31). */
  resolvePath(path: string): string {
    if (isAbsolute(path)) return path;
    const slash = path.indexOf('/');
    if (slash > 0) {
      const module = path.slice(0, slash);
      const rest = path.slice(slash + 1);
      for (const dir of this.#runtime.modulepath) {
        const moduleDir = join(dir, module);
        if (!existsSync(moduleDir)) continue;
        const inFiles = join(moduleDir, 'files', rest);
        if (existsSync(inFiles)) return inFiles;
        const direct = join(moduleDir, rest);
        if (existsSync(direct)) return direct;
      }
    }
    return resolve(this.#runtime.projectDir, path);
  }

  env(name: string): string | undefined {
    return this.#shared.env[name];
  }
}
