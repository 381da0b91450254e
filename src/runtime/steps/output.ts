/**
 * Turning a run into a result value: Bolt's rules (in `../tasks/output.ts`), plus timeouts and
 * cancellation, which Bolt has no notion of.
 *
 * @example
 * ```ts
 * const value = commandValue(run, 'web1', 30_000);
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';
import type { CommandValue } from '../../core/result.ts';
import type { RunResult } from '../../transports/transport.ts';
import { commandResultValue, taskResultValue } from '../tasks/output.ts';
import { truncationWarning } from '../output-limit.ts';

/** Warns (through `warn`) when the run's output was cut at `max-output`. */
export function warnIfTruncated(run: RunResult, target: string, limit: number, warn: (text: string) => void): void {
  const text = truncationWarning(target, run.droppedBytes, limit);
  if (text !== undefined) warn(text);
}

/** The error of a run that timed out or was canceled, or undefined. */
export function interruptionError(run: RunResult, target: string, timeoutMs: number | undefined): RivetError | undefined {
  if (!run.timedOut && !run.canceled) return undefined;
  // "killed" only when the transport confirmed the process group is gone (see RunResult.killed).
  const outcome =
    run.killed === true
      ? 'the remote process was killed'
      : run.killed === false
        ? 'Rivet could not confirm that the remote process stopped; it may still be running'
        : 'no remote process was running';
  const killed = run.killed === true;
  if (run.timedOut) return timeoutError(target, timeoutMs, outcome, { killed });
  return new RivetError(ErrorKind.Canceled, `Canceled on ${target}; ${outcome}`, { target, details: { killed } });
}

/**
 * The error of a step that timed out on `target` (kind `rivet/timeout`, issue code `TIMEOUT`):
 * "Timed out after <s> s on <target>; <outcome>".
 *
 * @example
 * ```ts
 * timeoutError('web1', 1000, 'the transfer was stopped'); // Timed out after 1.0 s on web1; the transfer was stopped
 * ```
 */
export function timeoutError(target: string, timeoutMs: number | undefined, outcome: string, details: Record<string, unknown> = {}): RivetError {
  return new RivetError(ErrorKind.Timeout, `Timed out after ${((timeoutMs ?? 0) / 1000).toFixed(1)} s on ${target}; ${outcome}`, {
    issueCode: 'TIMEOUT',
    target,
    details: { timeout_ms: timeoutMs, ...details },
  });
}

/** A command's or script's value (T-37), or the timeout/cancel error with the output so far. */
export function commandValue(run: RunResult, target: string, timeoutMs?: number): CommandValue {
  const value = commandResultValue({ stdout: run.stdout, stderr: run.stderr, mergedOutput: run.merged, exitCode: run.exitCode, signal: run.signal });
  const interrupted = interruptionError(run, target, timeoutMs);
  if (interrupted) value._error = interrupted.toJSON();
  return value;
}

/** A task's value (T-30..T-38), or the timeout/cancel error. */
export function taskValue(run: RunResult, task: string, target: string, timeoutMs?: number): Record<string, unknown> {
  const interrupted = interruptionError(run, target, timeoutMs);
  if (interrupted) return { _error: interrupted.toJSON() };
  return taskResultValue({ stdout: run.stdout, stderr: run.stderr, exitCode: run.exitCode, signal: run.signal, task });
}
