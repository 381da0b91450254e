/**
 * The executor: runs one step on many targets under one global concurrency limit (p-queue), each
 * target independent. A target's failure, timeout or refused connection becomes its own failed
 * {@link Result}; it never stops the others (X-01, T-39). Steps started concurrently (plans'
 * `Promise.all`) share the same queue, so the limit holds across them.
 *
 * @example
 * ```ts
 * const executor = new Executor({ pool, concurrency: 100, events });
 * const set = await executor.runStep({
 *   action: 'command', object: 'uptime', targets,
 *   work: ({ connection, signal }) => connection.run('uptime', { signal }).then(toValue),
 * });
 * ```
 * @module
 */
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import { ErrorKind, RivetError, toRivetError } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { Result, ResultSet, type Action, type ResultValue } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import type { Connection } from '../transports/transport.ts';
import { OutputText } from './output-text.ts';
import type { ConnectionPool } from './pool.ts';

export interface WorkContext {
  target: Target;
  connection: Connection;
  signal: AbortSignal;
  /** Forward live output (emitted as `target_output` events). */
  onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Logs a warning about this target's work (a `log` event at level `warn`). */
  warn: (text: string) => void;
}

export interface StepSpec {
  action: Action;
  object: string | null;
  /** Text for progress output (P-13); default `<action> <object>`. */
  description?: string | undefined;
  targets: readonly Target[];
  /** The work on one target; returns the result value. Throwing makes that target fail. */
  work: (context: WorkContext) => Promise<ResultValue>;
  /** Cancels this step only. */
  signal?: AbortSignal | undefined;
  /**
   * Also told each chunk of live output the work forwards (besides its `target_output` event):
   * a durable worker sends it on to the run's controller.
   */
  onOutput?: ((target: Target, stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
  /**
   * Told each target's result as soon as that target finishes (right after its `target_finish`
   * event), before the whole step does: a durable run records it at once. Unlike events, it
   * concerns this step only, whatever other steps run at the same time on the same targets.
   */
  onTargetResult?: ((result: Result) => void) | undefined;
}

export interface ExecutorOptions {
  pool: ConnectionPool;
  concurrency?: number | undefined;
  events?: EventBus | undefined;
  /** Cancels everything (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Told the targets of every step as it starts (the runtime turns SSH worker threads on by size). */
  onStep?: ((targets: readonly Target[]) => void) | undefined;
}

export class Executor {
  readonly events: EventBus;
  readonly pool: ConnectionPool;
  readonly #queue: PQueue;
  readonly #signal: AbortSignal;
  readonly #onStep: ((targets: readonly Target[]) => void) | undefined;
  #nextStepId = 1;

  constructor(options: ExecutorOptions) {
    const concurrency = options.concurrency ?? 100;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RivetError(ErrorKind.Usage, `concurrency must be a whole number of at least 1, got ${String(concurrency)}`);
    }
    this.#queue = new PQueue({ concurrency });
    this.pool = options.pool;
    this.events = options.events ?? new EventBus();
    this.#signal = options.signal ?? new AbortController().signal;
    this.#onStep = options.onStep;
    // One listener per target in flight is expected, not a leak.
    setMaxListeners(0, this.#signal);
  }

  get concurrency(): number {
    return this.#queue.concurrency;
  }

  /** Runs the step on every target; resolves with one Result per target, in target order. */
  async runStep(spec: StepSpec): Promise<ResultSet> {
    const stepId = this.#nextStepId++;
    const description = spec.description ?? (spec.object === null ? spec.action : `${spec.action} ${spec.object}`);
    const started = performance.now();
    const signal = spec.signal ? AbortSignal.any([spec.signal, this.#signal]) : this.#signal;
    setMaxListeners(0, signal);
    for (const target of spec.targets) this.events.protectTarget(target);
    this.#onStep?.(spec.targets);
    this.events.emit({ type: 'step_start', stepId, action: spec.action, object: spec.object, description, targets: spec.targets.map((t) => t.name) });

    const results = await Promise.all(spec.targets.map((target) => this.#runOne(stepId, spec, target, signal)));

    const set = new ResultSet(results);
    this.events.emit({
      type: 'step_finish',
      stepId,
      action: spec.action,
      object: spec.object,
      description,
      durationMs: performance.now() - started,
      failures: set.errorSet.length,
      count: set.length,
    });
    return set;
  }

  /**
   * One target's work inside a queue slot: `target_start` and `target_finish` are both emitted
   * while the slot is held, so events never show more targets at work than the concurrency.
   */
  #runOne(stepId: number, spec: StepSpec, target: Target, signal: AbortSignal): Promise<Result> {
    // No { signal } for add: p-queue would reject at once even for running work, before the
    // remote process is killed. Queued work sees the aborted signal when it starts.
    return this.#queue.add(async () => {
      const started = performance.now();
      this.events.emit({ type: 'target_start', stepId, target: target.name });
      // Decoded per stream across chunks (a character may arrive in two); ended before target_finish.
      const outputText = new OutputText();
      let result: Result;
      try {
        if (signal.aborted) throw canceled(target);
        // The connection is leased for this work only: the pool may close it afterwards.
        const value = await this.pool.use(target, { signal }, (connection) =>
          spec.work({
            target,
            connection,
            signal,
            onOutput: (stream, chunk) => {
              const decoded = outputText.write(stream, chunk);
              if (decoded !== '') this.events.emit({ type: 'target_output', stepId, target: target.name, stream, text: decoded });
              spec.onOutput?.(target, stream, chunk);
            },
            warn: (text) => this.events.log('warn', text),
          }),
        );
        result = new Result({ target, action: spec.action, object: spec.object, value, durationMs: performance.now() - started });
      } catch (error) {
        const rivetError = signal.aborted && !(error instanceof RivetError) ? canceled(target) : toRivetError(error, target.name);
        // An error (not a result the work returned) has `object: null`, as Bolt's Result.from_exception.
        result = Result.failure(target, spec.action, null, rivetError, performance.now() - started);
      }
      for (const rest of outputText.end()) this.events.emit({ type: 'target_output', stepId, target: target.name, stream: rest.stream, text: rest.text });
      this.events.emit({ type: 'target_finish', stepId, target: target.name, durationMs: result.durationMs, result: result.toJSON() });
      spec.onTargetResult?.(result);
      return result;
    });
  }
}

function canceled(target: Target): RivetError {
  return new RivetError(ErrorKind.Canceled, `Canceled before it finished on ${target.name}`, { target: target.name });
}
