/**
 * Bolt's `background()` and `wait()` (P-18, P-19; `boltlib/functions/background.rb`, `wait.rb`,
 * `lib/bolt/fiber_executor.rb`): a block started in the background returns a {@link Future}; the
 * plan goes on, and `wait()` collects the blocks' values. A plan may return while its futures
 * still run: the runtime waits for them before the run ends ({@link settleFutures}) and logs the
 * errors of those that fail at warn.
 *
 * @example
 * ```ts
 * const f = background('restart', async () => runCommand('systemctl restart app', 'web'));
 * await runTask('facts', 'db');
 * const [set] = await wait(f, { timeout: 60 });       // seconds, as in Bolt
 * const all = await wait({ catchErrors: true });      // every future of this plan
 * ```
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RivetError, isRivetError, toRivetError } from '../core/errors.ts';
import { withWarningId } from '../core/warning-id.ts';
import { currentContext, type PlanContext } from './context.ts';
import { ParallelFailure } from './errors.ts';
import { sleepFor } from './flow.ts';
import { callerLocation } from './location.ts';

/** Bolt's Future: a block started by {@link background}. `state` is `running`, `done` or `error`. */
export class Future<T = unknown> {
  /** The name given to `background()`, else the future's number in the run (Bolt's id). */
  readonly name: string;
  /** Settles when the block ends, or when a `wait()` timeout gives up on it. */
  readonly promise: Promise<T>;
  #state: 'running' | 'done' | 'error' = 'running';
  readonly #stop: AbortController;

  /** @internal Made by {@link background}. */
  constructor(name: string, run: (signal: AbortSignal) => Promise<T>) {
    this.name = name;
    this.#stop = new AbortController();
    const given = run(this.#stop.signal);
    // A timeout settles the future at once, whatever the block is doing (Bolt raises into its fiber).
    const stopped = new Promise<never>((_, reject) => this.#stop.signal.addEventListener('abort', () => reject(this.#stop.signal.reason), { once: true }));
    this.promise = Promise.race([given, stopped]);
    given.catch(() => undefined);
    this.promise.then(
      () => (this.#state = 'done'),
      () => (this.#state = 'error'),
    );
  }

  /** Bolt's `Future#state`. */
  get state(): 'running' | 'done' | 'error' {
    return this.#state;
  }

  /** @internal Gives up on the block: its next step, and any step it is running, is canceled. */
  stop(reason: RivetError): void {
    if (this.#state === 'running') this.#stop.abort(reason);
  }

  toString(): string {
    return `Future '${this.name}'`;
  }
}

interface Scope {
  ctx: PlanContext;
  signal: AbortSignal;
}

const scopeStorage = new AsyncLocalStorage<Scope>();
const futures = new WeakMap<PlanContext, Future[]>();
const counters = new WeakMap<object, number>();

/**
 * The signal of the background block the caller runs in (aborted when a `wait()` timeout gives
 * up on it), or undefined outside one. Steps add it to their own signal.
 */
export function backgroundSignal(): AbortSignal | undefined {
  return scopeStorage.getStore()?.signal;
}

/**
 * Bolt's `background([name]) || { ... }`: starts `fn` now, concurrently with the rest of the
 * plan, and returns its {@link Future}. The block's value must be plan data, as a plan's.
 */
export function background<T>(name: string | undefined, fn: () => Promise<T> | T): Future<T> {
  const ctx = currentContext('background');
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw new TypeError(`background(): the name must be a non-empty string, got ${JSON.stringify(name)}`);
  const list = futures.get(ctx) ?? [];
  futures.set(ctx, list);
  const counter = (counters.get(ctx.signal) ?? 0) + 1;
  counters.set(ctx.signal, counter);
  const future: Future<T> = new Future(name ?? String(counter), (signal) => {
    const parent = scopeStorage.getStore()?.signal;
    const scoped = parent ? AbortSignal.any([parent, signal]) : signal;
    return scopeStorage.run({ ctx, signal: scoped }, async () => {
      await Promise.resolve();
      return fn();
    });
  });
  list.push(future as Future);
  return future;
}

/** What `wait()` takes besides the futures. */
export interface WaitForOptions {
  /** Seconds, as Bolt's `wait(..., $timeout)`: futures still running then fail with `bolt/future-timeout-error`. */
  timeout?: number | undefined;
  /** Bolt's `_catch_errors`: failed futures' errors are returned in their place instead of raised. */
  catchErrors?: boolean | undefined;
}

/**
 * Bolt's `wait()`: waits for the given futures, or for every future this plan started (not its
 * sub-plans', and those started while waiting too), and resolves with their values in order. A
 * failed future fails the wait with `bolt/parallel-failure` unless `catchErrors` is set.
 */
export async function wait(given?: Future | readonly Future[] | number | WaitForOptions, options: WaitForOptions = {}): Promise<unknown[]> {
  const location = callerLocation();
  const ctx = currentContext('wait');
  if (typeof given === 'number') {
    // Bolt's wait($timeout): every future of the plan, with a timeout.
    options = { ...options, timeout: given };
    given = undefined;
  } else if (given === null || (given !== undefined && !(given instanceof Future) && !Array.isArray(given) && Object.getPrototypeOf(given) !== Object.prototype)) {
    // undef, a string...: neither Futures nor options.
    throw new RivetError('bolt/type-mismatch', `wait() expects a Future, an array of Futures, a timeout or options, got ${given === null ? 'undef' : typeof given}`, { location });
  } else if (given !== undefined && !(given instanceof Future) && !Array.isArray(given)) {
    options = given as WaitForOptions;
    given = undefined;
  }
  options = checkWaitOptions(ctx, options, location);
  if (given === undefined) {
    const scope = scopeStorage.getStore();
    const own = (): Future[] => futures.get(ctx) ?? [];
    if (scope !== undefined && scope.ctx === ctx) {
      throw new RivetError('bolt/infinite-wait', 'The wait() function cannot be called with no arguments inside a background block in the same plan.', { details: location ? { file: location.file, line: location.line } : {}, location });
    }
    let values: unknown[] = [];
    do values = await waitFor(own(), options, location);
    while (own().some((f) => f.state === 'running'));
    return values;
  }
  const list = given instanceof Future ? [given] : [...(given as readonly Future[])];
  for (const [i, f] of list.entries()) {
    if (!(f instanceof Future)) throw new RivetError('bolt/type-mismatch', `wait() expects Futures (from background()), got ${typeof f} at index ${i}`, { location });
  }
  return waitFor(list, options, location);
}

/** Checks the timeout; unknown options are dropped with Bolt's warning. */
function checkWaitOptions(ctx: PlanContext, options: WaitForOptions, location: ReturnType<typeof callerLocation>): WaitForOptions {
  const where = location ? ` (${location.file}:${location.line})` : '';
  if (options.timeout !== undefined && (typeof options.timeout !== 'number' || !Number.isFinite(options.timeout) || options.timeout < 0)) {
    throw new RivetError('bolt/type-mismatch', `wait(): the timeout must be a number of seconds, 0 or more, got ${JSON.stringify(options.timeout) ?? String(options.timeout)}${where}`, { location });
  }
  const unknown = Object.keys(options).filter((k) => k !== 'timeout' && k !== 'catchErrors');
  if (unknown.length === 0) return options;
  const at = location ? ` in ${location.file}#L${location.line}` : '';
  // Bolt's text, with its id (Bolt::Logger.warn appends ' [ID: plan_function_options]').
  ctx.log('warn', withWarningId('plan_function_options', `The wait() function call${at} received unknown options ${JSON.stringify(unknown)}. Removing unknown options and continuing...`));
  return { timeout: options.timeout, catchErrors: options.catchErrors };
}

async function waitFor(list: readonly Future[], options: WaitForOptions, location: ReturnType<typeof callerLocation>): Promise<unknown[]> {
  const ctx = currentContext('wait');
  const all = Promise.allSettled(list.map((f) => f.promise));
  if (options.timeout !== undefined) {
    const timer = new AbortController();
    const expired = await Promise.race([all.then(() => false), sleepFor(options.timeout * 1000, AbortSignal.any([ctx.signal, timer.signal])).then(() => true)]);
    timer.abort();
    if (expired) {
      for (const f of list) {
        f.stop(new RivetError('bolt/future-timeout-error', `Future '${f.name}' timed out after ${options.timeout} seconds.`, { details: { future: f.name }, location }));
      }
    }
  }
  const settled = await all;
  const failed: number[] = [];
  const values = settled.map((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    failed.push(i);
    return toRivetError(s.reason);
  });
  if (failed.length > 0 && options.catchErrors !== true) throw new ParallelFailure(values, failed, location);
  return values;
}

/**
 * For the runtime, when a plan has returned: waits for every future the plan started (and those
 * they start), and calls `onError` for each that failed and was not waited for with an error.
 * Never throws.
 */
export async function settleFutures(ctx: PlanContext, onError: (future: Future, error: RivetError) => void): Promise<void> {
  const reported = new Set<Future>();
  for (;;) {
    const list = futures.get(ctx) ?? [];
    const running = list.filter((f) => f.state === 'running');
    await Promise.allSettled(list.map((f) => f.promise));
    for (const f of list) {
      if (reported.has(f)) continue;
      reported.add(f);
      if (running.includes(f)) {
        const error = await f.promise.then(
          () => undefined,
          (e: unknown) => (isRivetError(e) ? e : toRivetError(e)),
        );
        if (error !== undefined) onError(f, error);
      }
    }
    if ((futures.get(ctx) ?? []).every((f) => reported.has(f))) return;
  }
}
