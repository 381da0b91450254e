/**
 * Flow control (P-15..P-17, P-21): {@link parallelize}, {@link catchErrors}, {@link failPlan},
 * {@link ctrl}.sleep / doUntil. Plain `Promise.all` works too: steps started together run together,
 * under the run's one concurrency limit.
 *
 * @example
 * ```ts
 * const results = await parallelize(targets, async (t) => {
 *   await runTask('package', t, { action: 'install', name: 'nginx' });
 *   return runCommand('systemctl restart nginx', t);
 * });
 * const maybe = await catchErrors(() => runCommand('false', t), ['bolt/run-failure']);
 * ```
 * @module
 */
import { ErrorKind, RivetError, isRivetError, toRivetError, type ErrorData } from '../core/errors.ts';
import { currentContext } from './context.ts';
import { ParallelFailure, PlanFailure } from './errors.ts';
import { backgroundSignal } from './futures.ts';
import { callerLocation } from './location.ts';

/**
 * Runs `fn` for every item at once and resolves with the results in input order (P-17). If any
 * call throws, waits for all of them, then throws a {@link ParallelFailure} whose
 * `details.results` holds each value or error and `details.failed_indices` the failed positions.
 */
export async function parallelize<T, R>(items: Iterable<T>, fn: (item: T, index: number) => Promise<R> | R): Promise<R[]> {
  const location = callerLocation();
  currentContext('parallelize');
  const list = [...items];
  const settled = await Promise.allSettled(list.map(async (item, index) => fn(item, index)));
  const failed: number[] = [];
  const results = settled.map((s, i) => {
    if (s.status === 'fulfilled') return s.value;
    failed.push(i);
    return toRivetError(s.reason);
  });
  if (failed.length > 0) throw new ParallelFailure(results, failed, location);
  return results as R[];
}

/**
 * Runs `fn`; resolves with its value, or with the error it threw when that error is a Rivet error
 * whose kind is in `kinds` (any kind when omitted) (P-15). Other errors are re-thrown.
 */
export async function catchErrors<R>(fn: () => Promise<R> | R, kinds?: readonly string[]): Promise<R | RivetError> {
  currentContext('catchErrors');
  try {
    return await fn();
  } catch (error) {
    if (isRivetError(error) && (kinds === undefined || kinds.includes(error.kind))) return error;
    throw error;
  }
}

/**
 * Fails the plan (P-16): `failPlan('msg', 'my/kind', {details})` or `failPlan(error)`.
 * Never returns.
 */
export function failPlan(error: RivetError | ErrorData): never;
export function failPlan(msg: string, kind?: string, details?: Record<string, unknown>, issueCode?: string): never;
export function failPlan(first: string | RivetError | ErrorData, kind?: string, details?: Record<string, unknown>, issueCode?: string): never {
  const location = callerLocation();
  currentContext('failPlan');
  if (isRivetError(first)) {
    first.location ??= location;
    throw first;
  }
  if (typeof first === 'object' && first !== null) {
    throw new PlanFailure(first.msg, first.kind, { details: first.details, ...(first.issue_code ? { issueCode: first.issue_code } : {}), location });
  }
  throw new PlanFailure(String(first), kind ?? ErrorKind.PlanFailure, { details: details ?? {}, ...(issueCode ? { issueCode } : {}), location });
}

/** Waits `ms`, rejecting with `rivet/canceled` when `signal` aborts. */
export function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RivetError(ErrorKind.Canceled, 'Canceled while sleeping'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RivetError(ErrorKind.Canceled, 'Canceled while sleeping'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Bolt's `without_default_logging` (P-21): runs `fn`; while it runs, the human output leaves out
 * the `Starting:`/`Finished:` lines of steps and plans (of the whole run, as in Bolt).
 *
 * @example
 * ```ts
 * const up = await withoutDefaultLogging(() => runCommand('true', targets, { catchErrors: true }));
 * ```
 */
export async function withoutDefaultLogging<R>(fn: () => Promise<R> | R): Promise<R> {
  const ctx = currentContext('withoutDefaultLogging');
  ctx.emit({ type: 'default_output', enabled: false });
  try {
    return await fn();
  } finally {
    ctx.emit({ type: 'default_output', enabled: true });
  }
}

/** The run's signal, joined with the signal of the background block the caller runs in. */
function scopedSignal(ctx: { signal: AbortSignal }): AbortSignal {
  const scoped = backgroundSignal();
  return scoped === undefined ? ctx.signal : AbortSignal.any([ctx.signal, scoped]);
}

/** Bolt's `ctrl::` functions (P-21, `bolt-modules/ctrl`). */
export const ctrl = {
  /** Waits `ms` milliseconds (canceled with the run, or with the background block it runs in). */
  async sleep(ms: number): Promise<void> {
    const ctx = currentContext('ctrl.sleep');
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new TypeError(`ctrl.sleep(): expects a number of milliseconds, 0 or more, got ${String(ms)}`);
    await sleepFor(ms, scopedSignal(ctx));
  },
  /**
   * Bolt's `ctrl::do_until`: calls `fn` until it returns a truthy value, at most `limit` times
   * (unlimited when absent or 0), waiting `interval` ms between calls (not after the last). Resolves
   * with the truthy value, or with the last (falsy) value when the limit is reached.
   *
   * @example
   * ```ts
   * const up = await ctrl.doUntil(async () => (await runCommand('test -f /ready', 'web', { catchErrors: true })).ok, { limit: 10, interval: 5_000 });
   * ```
   */
  async doUntil<R>(fn: () => Promise<R> | R, options: { limit?: number | undefined; interval?: number | undefined } = {}): Promise<R> {
    const ctx = currentContext('ctrl.doUntil');
    const { limit = 0, interval } = options;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) throw new TypeError(`ctrl.doUntil(): option 'limit' must be an integer, 0 or more (0: no limit), got ${String(limit)}`);
    if (interval !== undefined && (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0)) {
      throw new TypeError(`ctrl.doUntil(): option 'interval' must be a number of milliseconds, 0 or more, got ${String(interval)}`);
    }
    for (let attempt = 1; ; attempt++) {
      const value = await fn();
      if (value) return value;
      if (limit !== 0 && attempt >= limit) return value;
      if (interval) await sleepFor(interval, scopedSignal(ctx));
      else if (scopedSignal(ctx).aborted) throw new RivetError(ErrorKind.Canceled, 'Canceled in ctrl.doUntil');
    }
  },
};
