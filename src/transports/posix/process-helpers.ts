/**
 * What both ways of running work on a POSIX target share: {@link PosixConnection} (the exec
 * protocol, over any transport's primitives) and the local transport's direct path (one `/bin/sh`
 * child per command). The kill timings, the bounded output and the result it becomes, the
 * canceled-before-start result, the confirmed kill of a process group, and the invocation line of
 * an uploaded file.
 *
 * @example
 * ```ts
 * const output = new RunOutput(options.maxOutputBytes);
 * child.stdout.on('data', (chunk: Buffer) => output.push('stdout', chunk));
 * const killed = await confirmGroupKill(pgid, DEFAULT_KILL_GRACE_MS, tempDir, runScript);
 * await Promise.race([Promise.all([ended(child.stdout), ended(child.stderr)]), delay(STREAM_DRAIN_MS)]);
 * return { ...output.result(), exitCode, signal: null, durationMs, timedOut, canceled, killed };
 * ```
 * @module
 */
import { shellJoin } from '../../core/shell.ts';
import type { RunResult } from '../transport.ts';
import { BoundedCapture } from './capture.ts';
import { killScript } from './protocol.ts';

/** How long a TERM'd process group gets before KILL, and KILL before Rivet stops waiting. */
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** How long the kill script may take beyond its own grace periods (an SSH channel, sudo). */
export const KILL_EXEC_MS = 15_000;
/** After the exit, how long to wait for the output streams to end (a background job may hold them). */
export const STREAM_DRAIN_MS = 1_000;

/**
 * The bounded stdout, stderr and merged output of one run ({@link BoundedCapture} each).
 *
 * @example
 * ```ts
 * const output = new RunOutput(1024);
 * output.push('stdout', Buffer.from('hi\n'));
 * output.result().merged.toString(); // 'hi\n'
 * ```
 */
export class RunOutput {
  readonly #stdout: BoundedCapture;
  readonly #stderr: BoundedCapture;
  readonly #merged: BoundedCapture;

  /** `limit` bytes kept of each of the three (the default cap when undefined). */
  constructor(limit: number | undefined) {
    this.#stdout = new BoundedCapture(limit);
    this.#stderr = new BoundedCapture(limit);
    this.#merged = new BoundedCapture(limit);
  }

  /** Keeps `chunk` (what fits) in its stream's capture and in the merged one. */
  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    (stream === 'stdout' ? this.#stdout : this.#stderr).push(chunk);
    this.#merged.push(chunk);
  }

  /** What was kept so far, as a {@link RunResult}'s output fields. */
  result(): Pick<RunResult, 'stdout' | 'stderr' | 'merged' | 'droppedBytes'> {
    return {
      stdout: this.#stdout.toBuffer(),
      stderr: this.#stderr.toBuffer(),
      merged: this.#merged.toBuffer(),
      droppedBytes: { stdout: this.#stdout.dropped, stderr: this.#stderr.dropped },
    };
  }
}

/** The result of work canceled before it started (no process ran). */
export function canceledResult(started: number): RunResult {
  const empty = Buffer.alloc(0);
  return { stdout: empty, stderr: empty, merged: empty, exitCode: null, signal: null, durationMs: performance.now() - started, timedOut: false, canceled: true };
}

/**
 * Runs a shell script (with `/bin/sh`) until it exits or `signal` aborts; resolves its exit code
 * (null when it did not exit on its own), or rejects when it could not be run.
 */
export type ScriptRunner = (script: string, signal: AbortSignal) => Promise<number | null>;

/**
 * TERM, then KILL after `graceMs`, to process group `pgid`, confirmed gone (zombies aside), then
 * `rm -rf` of `tempDir`: {@link killScript}, run by `run` within `graceMs * 2` plus
 * {@link KILL_EXEC_MS}. True only when the script confirmed the group is gone; false when it did
 * not, ran out of time or could not be run.
 *
 * @example
 * ```ts
 * const killed = await confirmGroupKill(4242, 2_000, '/tmp/rivet.0123abcd', runWithSh);
 * ```
 */
export async function confirmGroupKill(pgid: number, graceMs: number, tempDir: string | undefined, run: ScriptRunner): Promise<boolean> {
  try {
    return (await run(killScript(pgid, graceMs, tempDir), AbortSignal.timeout(graceMs * 2 + KILL_EXEC_MS))) === 0;
  } catch {
    return false; // Not run (no shell, connection lost, sudo refused): not confirmed.
  }
}

/** Why work is being stopped: its signal aborted, or its timeout passed. */
export type StopReason = 'canceled' | 'timedOut';

/**
 * Calls `stop` once `signal` aborts (`'canceled'`) and when `timeoutMs` (if over 0) has passed
 * (`'timedOut'`). Returns the function that stops listening: call it when the work is over.
 *
 * @example
 * ```ts
 * const release = onStopRequest(options.signal, options.timeoutMs, (reason) => terminate(reason));
 * try { await exited; } finally { release(); }
 * ```
 */
export function onStopRequest(signal: AbortSignal, timeoutMs: number | undefined, stop: (reason: StopReason) => void): () => void {
  const onAbort = (): void => stop('canceled');
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs !== undefined && timeoutMs > 0 ? setTimeout(() => stop('timedOut'), timeoutMs) : undefined;
  return () => {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
  };
}

/** Resolves when `stream` has ended, closed or failed (at once if it already has). */
export function ended(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** Resolves after `ms`, without keeping the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** `[interpreter...] <path> [args...]`, with the path a shell expression and the rest quoted. */
export function invocationLine(pathExpr: string, options: { interpreter?: readonly string[] | undefined; args?: readonly string[] | undefined }): string {
  return [
    ...(options.interpreter?.length ? [shellJoin(options.interpreter)] : []),
    pathExpr,
    ...(options.args?.length ? [shellJoin(options.args)] : []),
  ].join(' ');
}
