/**
 * The messages between the main thread and an SSH worker thread (structured clone), and how
 * errors, targets and bytes cross: a {@link RivetError} becomes its fields and is rebuilt on the
 * other side; a Buffer travels as an exactly sized Uint8Array whose memory is transferred, not
 * copied twice.
 *
 * Main → worker: `connect`, `call` (one {@link Connection} method), `abort`, `close`, `destroy`
 * (drops a connection at once, settling its `close` in flight), `input-reply`, `turn-go` and
 * `turn-refused` (the answer to a `turn`). Worker → main: `done` (the settled promise of a
 * `connect`, `call` or `close`), `output` (live output of a call made with `stream`), `input` (a
 * bundle run asks for its env and stdin), `turn` (a connection asks the main thread's pool for a
 * handshake turn: the fresh SSH connection that replaces one, see `HandshakePacer`) and
 * `turn-done` (that handshake ended, or the worker stopped waiting for it: the turn is given back).
 *
 * @example
 * ```ts
 * const message: ToWorker = { t: 'abort', id: 7 };
 * port.postMessage(message);
 * ```
 * @module
 */
import { isRivetError, RivetError } from '../../core/errors.ts';
import type { Target } from '../../core/target.ts';
import type { BundleInput, RunResult } from '../transport.ts';

/** The Connection methods a worker runs for the main thread. */
export type CallMethod = 'run' | 'runFile' | 'runBundle' | 'upload' | 'download';

/** What the worker needs to connect to a target (vars and facts stay in the main thread). */
export type WireTarget = Pick<Target, 'name' | 'uri' | 'alias' | 'transport' | 'host' | 'port' | 'user' | 'password' | 'config' | 'features' | 'groups'>;

export type ToWorker =
  | { t: 'connect'; id: number; conn: number; target: WireTarget; connectTimeoutMs: number | undefined; aborted: boolean; paced: boolean }
  | { t: 'call'; id: number; conn: number; method: CallMethod; args: unknown[]; stream: boolean; aborted: boolean }
  | { t: 'abort'; id: number }
  | { t: 'close'; id: number; conn: number }
  | { t: 'destroy'; conn: number }
  | { t: 'input-reply'; id: number; ok: true; value: BundleInput }
  | { t: 'input-reply'; id: number; ok: false; error: WireError }
  | { t: 'turn-go'; turn: number }
  | { t: 'turn-refused'; turn: number; error: WireError };

export type FromWorker =
  | { t: 'done'; id: number; ok: true; value: unknown }
  | { t: 'done'; id: number; ok: false; error: WireError }
  | { t: 'output'; id: number; stream: 'stdout' | 'stderr'; chunk: Uint8Array }
  | { t: 'input'; id: number; installDir: string }
  | { t: 'turn'; turn: number; conn: number }
  | { t: 'turn-done'; turn: number };

/** An error as it crosses a thread boundary. */
export interface WireError {
  rivet: boolean;
  name: string;
  message: string;
  kind?: string | undefined;
  details?: Record<string, unknown> | undefined;
  issueCode?: string | undefined;
  target?: string | undefined;
  stack?: string | undefined;
}

/** What a worker's `connect` answers. */
export interface Connected {
  features: string[];
}

export function toWireTarget(target: Target): WireTarget {
  const { name, uri, alias, transport, host, port, user, password, config, features, groups } = target;
  return { name, uri, alias, transport, host, port, user, password, config, features, groups };
}

/** A target rebuilt in the worker (no vars or facts: transports do not read them). */
export function fromWireTarget(target: WireTarget): Target {
  return { ...target, vars: {}, facts: {} };
}

export function toWireError(error: unknown): WireError {
  if (isRivetError(error)) {
    return { rivet: true, name: error.name, message: error.message, kind: error.kind, details: error.details, issueCode: error.issueCode, target: error.target };
  }
  if (error instanceof Error) return { rivet: false, name: error.name, message: error.message, stack: error.stack };
  return { rivet: false, name: 'Error', message: String(error) };
}

export function fromWireError(error: WireError): Error {
  if (error.rivet) {
    return new RivetError(error.kind ?? 'bolt/error', error.message, { details: error.details ?? {}, issueCode: error.issueCode, target: error.target });
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}

/**
 * Bytes to send: an exactly sized copy whose memory is transferred (added to `transfer`). One
 * copy, whatever the source: cloning a Buffer would copy the whole pool slab it lives in, and
 * transferring the caller's own memory would detach it (a task's archive is reused per target).
 */
export function packBytes(bytes: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  const own = new Uint8Array(bytes);
  transfer.push(own.buffer);
  return own;
}

/** Received bytes as a Buffer (a view, no copy). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A RunResult ready to post: its three byte fields packed. */
export function packRunResult(result: RunResult, transfer: ArrayBuffer[]): RunResult {
  return {
    ...result,
    stdout: packBytes(result.stdout, transfer) as Buffer,
    stderr: packBytes(result.stderr, transfer) as Buffer,
    merged: packBytes(result.merged, transfer) as Buffer,
  };
}

/** A received RunResult with Buffers again. */
export function unpackRunResult(result: RunResult): RunResult {
  return { ...result, stdout: toBuffer(result.stdout), stderr: toBuffer(result.stderr), merged: toBuffer(result.merged) };
}

/**
 * The byte fields of call options (`stdin`, `file.content`, `archive`), packed for sending, or
 * turned back into Buffers on receipt: the same walk both ways.
 */
export function mapOptionBytes<T extends Record<string, unknown>>(options: T, map: (bytes: Uint8Array) => Uint8Array): T {
  const out: Record<string, unknown> = { ...options };
  if (out['stdin'] instanceof Uint8Array) out['stdin'] = map(out['stdin']);
  if (out['archive'] instanceof Uint8Array) out['archive'] = map(out['archive']);
  const file = out['file'] as { name: string; content: unknown } | undefined;
  if (file !== undefined && file.content instanceof Uint8Array) out['file'] = { ...file, content: map(file.content) };
  return out as T;
}
