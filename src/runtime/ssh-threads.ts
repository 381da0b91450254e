/**
 * When a run's SSH connections go to worker threads (issue 13, "every core"), and the `ssh`
 * transport that routes them: in this thread until threads are on, then to a
 * {@link ThreadedTransport} (loaded on first use).
 *
 * The `threads` setting (`--threads`, runtime option `threads`):
 * - `'auto'` (default): threads come on at the first step with at least
 *   {@link AUTO_THREADS_MIN_TARGETS} SSH targets, when the machine has at least
 *   {@link AUTO_THREADS_MIN_CPUS} CPUs; then
 *   `min(os.availableParallelism(), 8, concurrency)` threads.
 * - a number N ≥ 1: N threads for every SSH connection of the run. `0` (or `'off'`): none.
 *
 * Connections opened before threads came on stay where they are; later ones go to the threads.
 * The pool's bounds (connections, handshakes in flight) stay as they are: a connection in a
 * thread asks the main thread's pool for a turn before a later handshake (an SSH replacement).
 *
 * @example
 * ```ts
 * threadsForStep('auto', 1000, { parallelism: 8, concurrency: 100 }); // 8
 * threadsForStep('auto', 50, { parallelism: 8, concurrency: 100 });   // 0
 * ```
 * @module
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../core/errors.ts';
import type { Target } from '../core/target.ts';
import type { ConnectOptions, Connection, Transport } from '../transports/transport.ts';
import type { ThreadedTransport } from '../transports/threads/index.ts';
import { loadThreadedTransport } from './lazy.ts';

/** `threads`: a count (0 = none), `'auto'` or `'off'`. */
export type ThreadsSetting = number | 'auto' | 'off';

/** With `auto`, a step needs at least this many SSH targets to turn threads on. */
export const AUTO_THREADS_MIN_TARGETS = 200;

/**
 * With `auto`, the machine needs at least this many CPUs. On 2 CPUs, threads measured no gain
 * (1,000 targets: 270 s with 2 threads, 269 s in one; each thread costs about 0.3 s of CPU to
 * start and the run spent more CPU per target), so there they are opt-in (`--threads 2`).
 */
export const AUTO_THREADS_MIN_CPUS = 4;

/** With `auto`, at most this many threads. */
export const AUTO_THREADS_MAX = 8;

/** Checks a `threads` value (from a flag, a project file or an application). */
export function parseThreadsSetting(value: unknown, where = 'threads'): ThreadsSetting {
  if (value === 'auto' || value === 'off') return value;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 1024) return n;
  throw new UsageError(`${where} must be auto, off or a whole number of threads from 0 to 1024, got ${JSON.stringify(value)}`);
}

/** How many threads a step of `sshTargets` SSH targets asks for (0: stay in this thread). */
export function threadsForStep(setting: ThreadsSetting, sshTargets: number, machine: { parallelism: number; concurrency: number }): number {
  if (setting === 'off') return 0;
  if (setting !== 'auto') return setting;
  if (sshTargets < AUTO_THREADS_MIN_TARGETS || machine.parallelism < AUTO_THREADS_MIN_CPUS) return 0;
  return Math.max(1, Math.min(machine.parallelism, AUTO_THREADS_MAX, machine.concurrency));
}

/**
 * The run's `ssh` transport: connects in this thread through `inline`, or through worker threads
 * once {@link noteStep} (called by the executor for every step) or an explicit count turned them on.
 */
export class SshThreadRouter implements Transport {
  readonly name = 'ssh' as const;
  readonly #inline: Transport;
  readonly #setting: ThreadsSetting;
  readonly #concurrency: number;
  readonly #parallelism: number;
  #threaded: Promise<ThreadedTransport> | undefined;

  /** `parallelism`: the machine's CPUs for `auto` (default `os.availableParallelism()`). */
  constructor(inline: Transport, setting: ThreadsSetting, concurrency: number, parallelism = availableParallelism()) {
    this.#inline = inline;
    this.#setting = setting;
    this.#concurrency = concurrency;
    this.#parallelism = parallelism;
  }

  /** The threaded transport, once threads are on (for tests and diagnostics). */
  get threaded(): Promise<ThreadedTransport> | undefined {
    return this.#threaded;
  }

  /** Called at the start of every step: turns threads on when the policy says so. */
  noteStep(targets: readonly Target[]): void {
    if (this.#threaded !== undefined) return;
    let ssh = 0;
    for (const target of targets) if (target.transport === 'ssh') ssh++;
    if (ssh === 0) return;
    const threads = threadsForStep(this.#setting, ssh, { parallelism: this.#parallelism, concurrency: this.#concurrency });
    if (threads === 0) return;
    this.#threaded = loadThreadedTransport().then(({ ThreadedTransport }) => new ThreadedTransport({ threads }));
  }

  async connect(target: Target, options: ConnectOptions): Promise<Connection> {
    if (this.#threaded === undefined && typeof this.#setting === 'number' && this.#setting > 0) this.noteStep([target]);
    return this.#threaded === undefined ? this.#inline.connect(target, options) : (await this.#threaded).connect(target, options);
  }

  /** Stops the threads (after the pool closed the connections). */
  async close(): Promise<void> {
    await (await this.#threaded)?.close();
  }
}
