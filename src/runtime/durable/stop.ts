/**
 * Stopping DBOS within a bound. `DBOS.shutdown()` and the client's `destroy()` wait for Postgres
 * (queries in flight, the pool's connections): with a database that does not answer they would
 * wait forever, and a stopping worker or controller with them. {@link stopWithin} gives the whole
 * stop a deadline; past it the caller goes on (and exits), saying so.
 *
 * @example
 * ```ts
 * const outcome = await stopWithin(30_000, [() => DBOS.shutdown(), () => client.destroy()]);
 * if (outcome.stopped === false) console.error(outcome.reason);
 * ```
 * @module
 */
import { redactUriPasswords } from '../../core/uri-passwords.ts';

/** Default bound of a worker's or controller's stop (`--stop-timeout`, `closeTimeoutMs`). */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/** How a bounded stop ended: all parts done, or a reason (the deadline passed, or a part failed). */
export type StopOutcome = { stopped: true } | { stopped: false; reason: string };

/**
 * Runs `parts` one after the other (each even when one before it failed), all within `timeoutMs`.
 * Never throws: a failed part or the deadline is the outcome's `reason`.
 */
export async function stopWithin(timeoutMs: number, parts: readonly (() => Promise<unknown>)[]): Promise<StopOutcome> {
  const failures: string[] = [];
  const all = (async () => {
    for (const part of parts) {
      try {
        await part();
      } catch (error) {
        failures.push(redactUriPasswords(error instanceof Error ? error.message : String(error)));
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    if ((await Promise.race([all.then(() => 'done' as const), deadline])) === 'timeout') {
      return { stopped: false, reason: `the database did not answer within ${formatMs(timeoutMs)}` };
    }
  } finally {
    clearTimeout(timer);
  }
  return failures.length === 0 ? { stopped: true } : { stopped: false, reason: failures.join('; ') };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
