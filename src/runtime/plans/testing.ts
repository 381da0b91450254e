// Public declarations use Node's types (Buffer, streams, AbortSignal): @types/node is a dependency.
/// <reference types="node" preserve="true" />
/**
 * A harness for plan authors (P-44, Bolt's BoltSpec): run a plan against stubbed steps, without
 * any target, and check what it did. Everything else is real: parameter checks, TargetSpec
 * resolution through an (inline) inventory, failure semantics, sub-plans, events.
 *
 * @example
 * ```ts
 * const env = await MockPlanEnvironment.create({ inventory: { groups: [{ name: 'web', targets: ['w1', 'w2'] }] } });
 * env.expect('task', 'package').withParams({ action: 'install', name: 'nginx' }).alwaysReturn({ status: 'installed' });
 * env.allow('command', /systemctl/).returnForTargets({ w2: { _error: { kind: 'x', msg: 'down', details: {} } } });
 * await expect(env.run(deploy, { targets: 'web' })).rejects.toThrow(/failed on 1 target/);
 * env.verify();
 * ```
 * @module
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ErrorKind, RivetError, type ErrorData } from '../../core/errors.ts';
import type { RivetEvent } from '../../core/events.ts';
import { Result, ResultSet, type ResultValue } from '../../core/result.ts';
import type { ShellCommand } from '../../core/shell.ts';
import type { Target } from '../../core/target.ts';
import type { AnyPlan } from '../../sdk/plan.ts';
import type { Connection, Transport } from '../../transports/transport.ts';
import { createRuntime, type CreatedRuntime } from '../create.ts';
import type { TargetSpec } from '../inventory/index.ts';
import { loadReplay } from './modes.ts';
import { PlanReplayer, type PlanRecording } from './recording.ts';
import { PlanRunner } from './run.ts';

export type MockAction = 'command' | 'script' | 'task' | 'upload' | 'download';

/** One step the plan ran. */
export interface MockCall {
  action: MockAction;
  object: string;
  targets: string[];
  /** Task parameters (per target for runTaskWith), script arguments, upload/download destination. */
  params: unknown;
  options: Record<string, unknown>;
}

export class MockStub {
  readonly action: MockAction;
  readonly object: string | RegExp | undefined;
  readonly expected: boolean;
  calls = 0;
  #params: unknown;
  #hasParams = false;
  #targets: string[] | undefined;
  #value: ResultValue = {};
  #byTarget: Record<string, ResultValue> = {};
  #times: number | undefined;

  constructor(action: MockAction, object: string | RegExp | undefined, expected: boolean) {
    this.action = action;
    this.object = object;
    this.expected = expected;
  }

  /** Only matches calls with exactly these parameters. */
  withParams(params: unknown): this {
    this.#params = params;
    this.#hasParams = true;
    return this;
  }
  /** Only matches calls on exactly these targets (names). */
  withTargets(names: string[]): this {
    this.#targets = [...names].sort();
    return this;
  }
  /** The value every target's result gets. */
  alwaysReturn(value: ResultValue): this {
    this.#value = value;
    return this;
  }
  /** Per-target values (others get the `alwaysReturn` value). */
  returnForTargets(values: Record<string, ResultValue>): this {
    this.#byTarget = values;
    return this;
  }
  /** Every target fails with this error. */
  errorWith(error: ErrorData | { kind: string; msg: string; details?: Record<string, unknown> }): this {
    this.#value = { _error: { details: {}, ...error } };
    return this;
  }
  /** Expect exactly n calls (checked by `verify()`). */
  beCalledTimes(n: number): this {
    this.#times = n;
    return this;
  }
  notBeCalled(): this {
    return this.beCalledTimes(0);
  }

  matches(call: MockCall): boolean {
    if (call.action !== this.action) return false;
    if (typeof this.object === 'string' && this.object !== call.object) return false;
    if (this.object instanceof RegExp && !this.object.test(call.object)) return false;
    if (this.#hasParams && !isDeepStrictEqual(call.params, this.#params)) return false;
    if (this.#targets !== undefined && !isDeepStrictEqual([...call.targets].sort(), this.#targets)) return false;
    return true;
  }

  result(target: Target, call: MockCall): Result {
    return new Result({ target, action: call.action, object: call.object, value: structuredClone(this.#byTarget[target.name] ?? this.#value) });
  }

  /** Why the expectation failed, or undefined. */
  problem(): string | undefined {
    const name = `${this.action} ${this.object === undefined ? '(any)' : String(this.object)}`;
    if (this.#times !== undefined && this.calls !== this.#times) return `${name}: expected ${this.#times} call(s), got ${this.calls}`;
    if (this.#times === undefined && this.expected && this.calls === 0) return `${name}: expected to be called, was not`;
    return undefined;
  }
}

/** A transport whose targets are always reachable (for `waitUntilAvailable`). */
const reachable: Transport = {
  name: 'local',
  async connect(target) {
    const empty = Buffer.alloc(0);
    const connection: Connection = {
      target,
      features: ['shell'],
      run: async () => ({ stdout: empty, stderr: empty, merged: empty, exitCode: 0, signal: null, durationMs: 0, timedOut: false, canceled: false }),
      runFile: async () => {
        throw new RivetError(ErrorKind.Generic, 'MockPlanEnvironment: no target is contacted');
      },
      runBundle: async () => {
        throw new RivetError(ErrorKind.Generic, 'MockPlanEnvironment: no target is contacted');
      },
      upload: async () => undefined,
      download: async () => undefined,
      close: async () => undefined,
    };
    return connection;
  },
};

export interface MockPlanEnvironmentOptions {
  /** An inventory v2 object (default: no groups; any name becomes a target). */
  inventory?: unknown;
  /** The project directory (default: a new temp dir). */
  projectDir?: string;
  /** Project name, for plans run by name. */
  projectName?: string;
}

export class MockPlanEnvironment {
  readonly runtime: CreatedRuntime;
  readonly runner: PlanRunner;
  readonly calls: MockCall[] = [];
  readonly events: RivetEvent[] = [];
  readonly #stubs: MockStub[] = [];
  #replay: { recording: PlanRecording; file: string } | undefined;

  private constructor(runtime: CreatedRuntime, projectName: string | undefined) {
    this.runtime = runtime;
    this.runner = new PlanRunner(runtime, { env: {}, projectName });
    runtime.events.on((event) => this.events.push(event));
    const step =
      (action: MockAction) =>
      async (object: string, targets: TargetSpec, params: unknown, options: Record<string, unknown> = {}): Promise<ResultSet> => {
        const resolved = runtime.getTargets(targets);
        const perTarget = typeof params === 'function' ? await Promise.all(resolved.map((t) => (params as (t: Target) => unknown)(t))) : params;
        const call: MockCall = { action, object, targets: resolved.map((t) => t.name), params: perTarget, options };
        this.calls.push(call);
        const stub = [...this.#stubs].reverse().find((s) => s.matches(call));
        if (stub === undefined) {
          throw new RivetError(ErrorKind.Generic, `Unexpected ${action} '${object}' on ${call.targets.join(', ')}: stub it with env.allow('${action}', ...)`, {
            issueCode: 'UNEXPECTED_STEP',
            details: { call },
          });
        }
        stub.calls++;
        return new ResultSet(resolved.map((t) => stub.result(t, call)));
      };
    Object.assign(runtime, {
      runCommand: (command: string | ShellCommand, targets: TargetSpec, options?: Record<string, unknown>) => step('command')(String(command), targets, undefined, options),
      runScript: (script: string, targets: TargetSpec, options?: Record<string, unknown>) => step('script')(script, targets, options?.['arguments'] ?? [], options),
      uploadFile: (source: string, destination: string, targets: TargetSpec, options?: Record<string, unknown>) => step('upload')(source, targets, destination, options),
      downloadFile: (source: string, destination: string, targets: TargetSpec, options?: Record<string, unknown>) => step('download')(source, targets, destination, options),
      runTask: (task: string, targets: TargetSpec, params: unknown, options?: Record<string, unknown>) => step('task')(task, targets, params, options),
      runTaskWith: (task: string, targets: TargetSpec, params: unknown, options?: Record<string, unknown>) => step('task')(task, targets, params, options),
    });
  }

  static async create(options: MockPlanEnvironmentOptions = {}): Promise<MockPlanEnvironment> {
    const cwd = options.projectDir ?? (await mkdtemp(join(tmpdir(), 'rivet-mock-')));
    const runtime = await createRuntime({ cwd, env: {}, inventory: options.inventory ?? {}, transports: { local: reachable, ssh: reachable, winrm: reachable } });
    return new MockPlanEnvironment(runtime, options.projectName);
  }

  /** Allows a step (any call when `object` is omitted); later stubs win over earlier ones. */
  allow(action: MockAction, object?: string | RegExp): MockStub {
    const stub = new MockStub(action, object, false);
    this.#stubs.push(stub);
    return stub;
  }

  /** Like {@link allow}, and `verify()` fails unless it was called. */
  expect(action: MockAction, object?: string | RegExp): MockStub {
    const stub = new MockStub(action, object, true);
    this.#stubs.push(stub);
    return stub;
  }

  /**
   * Answers every step from a recording (a file written by `rivet plan run --record`, or its
   * data) instead of the stubs: `run()` then fails at the first step where the plan makes a
   * different call than recorded, or when it makes fewer.
   *
   * @example
   * ```ts
   * const env = await MockPlanEnvironment.create({ inventory });
   * await env.loadRecording('test/fixtures/deploy-run.json');
   * await env.run(deploy); // the recorded parameters
   * ```
   */
  async loadRecording(recording: string | PlanRecording): Promise<this> {
    this.#replay = await loadReplay(recording);
    return this;
  }

  /**
   * Runs the plan (object or name) with the stubs, or against the loaded recording; resolves
   * with its return value. With a recording and no params, the recorded parameters are used.
   */
  run(plan: AnyPlan | string, params?: Record<string, unknown>): Promise<unknown> {
    const replay = this.#replay;
    if (replay === undefined) return this.runner.run(plan, params ?? {});
    const replayer = new PlanReplayer(this.runtime, replay.recording, replay.file);
    return replayer.replay(() => this.runner.run(plan, params ?? replay.recording.params, { stepHook: replayer }));
  }

  /** What the plan printed with `out.message`. */
  get messages(): string[] {
    return this.events.flatMap((e) => (e.type === 'message' && e.level === 'message' ? [e.text] : []));
  }

  /** Throws when an expectation was not met. */
  verify(): void {
    const problems = this.#stubs.map((s) => s.problem()).filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new Error(`Plan expectations not met:\n${problems.join('\n')}`);
  }

  close(): Promise<void> {
    return this.runtime.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
