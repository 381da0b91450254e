/**
 * WinRS over WS-Management: run one command in a fresh cmd shell (Create, Command, Send stdin in
 * chunks with End, Receive until CommandState Done, Signal terminate, Delete). A Receive that
 * finds no output within OperationTimeout comes back as the `w:TimedOut` fault and is re-issued.
 *
 * @example
 * ```ts
 * const winrs = new Winrs({ http, endpoint: 'http://win1:5985/wsman', target: 'win1' });
 * const r = await winrs.execute('cmd.exe', ['/c', 'ver'], { signal, onOutput: (s, b) => {} });
 * r.exitCode; // 0
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';
import { WsmanHttpError, type WsmanHttp } from './http.ts';
import {
  commandEnvelope,
  createShellEnvelope,
  deleteShellEnvelope,
  maxSendChunk,
  receiveEnvelope,
  sendEnvelope,
  signalEnvelope,
  type CreateShellOptions,
  type Envelope,
  type HeaderOptions,
} from './messages.ts';
import { commandIdOf, parseReply, receiveResultOf, shellIdOf, TIMED_OUT_CODE, type Reply } from './reply.ts';

/** pywinrm, WinRb and masterzen all send 153600 (150 KiB): the size every Windows version accepts. */
export const DEFAULT_MAX_ENVELOPE_SIZE = 153_600;
/**
 * OperationTimeout of a Receive, seconds. Short, because the target's one socket is shared by all
 * its commands, and a timeout or cancel waits for the Receive in flight: a Receive waiting for
 * silent output holds the socket that long.
 */
export const DEFAULT_OPERATION_TIMEOUT_S = 3;

export interface WinrsOptions {
  http: WsmanHttp;
  /** `wsa:To`. */
  endpoint: string;
  /** Target name, for errors. */
  target: string;
  maxEnvelopeSize?: number;
  operationTimeoutSeconds?: number;
}

export interface ExecuteOptions {
  signal: AbortSignal;
  stdin?: Buffer | undefined;
  shell?: CreateShellOptions | undefined;
  onOutput?: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
  /** `WINRS_CONSOLEMODE_STDIN` (default true); false gives the process a pipe (binary-safe). */
  consoleModeStdin?: boolean | undefined;
  /**
   * After an abort, keep receiving while this says so (at most a few Receives), e.g. until the
   * process id the command prints first has arrived.
   */
  receiveAfterAbort?: (() => boolean) | undefined;
  /** Runs after an abort, before the command is signalled to terminate (to kill its tree first). */
  beforeTerminate?: (() => Promise<void>) | undefined;
}

export interface ExecuteResult {
  /** Undefined when the signal aborted the command before it finished. */
  exitCode: number | undefined;
  aborted: boolean;
}

export class Winrs {
  readonly #options: Required<WinrsOptions>;

  constructor(options: WinrsOptions) {
    this.#options = { maxEnvelopeSize: DEFAULT_MAX_ENVELOPE_SIZE, operationTimeoutSeconds: DEFAULT_OPERATION_TIMEOUT_S, ...options };
  }

  get maxEnvelopeSize(): number {
    return this.#options.maxEnvelopeSize;
  }

  /**
   * Runs one command in a new shell and returns its exit code. When `signal` aborts, the command
   * is signalled to terminate, the shell deleted, and the result says `aborted`.
   */
  async execute(command: string, args: readonly string[], options: ExecuteOptions): Promise<ExecuteResult> {
    // Requests are never cut off by the abort (a reply in flight may carry output the caller
    // needs, and a destroyed socket loses the NTLM context); the abort is checked between them.
    const requests = AbortSignal.timeout(24 * 3600 * 1000);
    const aborted = (): boolean => options.signal.aborted;
    if (aborted()) return { exitCode: undefined, aborted: true };
    const shellId = shellIdOf(await this.#call('Create', createShellEnvelope(this.#header(), options.shell), requests));
    let commandId: string | undefined;
    try {
      if (aborted()) return { exitCode: undefined, aborted: true };
      commandId = commandIdOf(await this.#call('Command', commandEnvelope(this.#header(shellId), command, args, { consoleModeStdin: options.consoleModeStdin }), requests));
      const chunk = maxSendChunk(this.#options.maxEnvelopeSize);
      const stdin = options.stdin ?? Buffer.alloc(0);
      let offset = 0;
      do {
        const piece = stdin.subarray(offset, offset + chunk);
        offset += piece.length;
        await this.#call('Send', sendEnvelope(this.#header(shellId), commandId, piece, offset >= stdin.length), requests);
      } while (offset < stdin.length && !aborted());
      for (let extra = 0; !aborted() || (extra++ < 3 && options.receiveAfterAbort?.() === true); ) {
        const reply = await this.#call('Receive', receiveEnvelope(this.#header(shellId), commandId), requests, { allowTimedOut: true });
        if (reply === undefined) continue; // OperationTimeout: nothing yet, ask again.
        const result = receiveResultOf(reply);
        for (const s of result.streams) if (s.data.length > 0) options.onOutput?.(s.name, s.data);
        if (result.done) return { exitCode: result.exitCode ?? 0, aborted: false };
      }
      return { exitCode: undefined, aborted: true };
    } finally {
      if (aborted()) await options.beforeTerminate?.().catch(() => undefined);
      // MS-WSMV 3.1.4.14: a final Signal for every command, even one that finished; then Delete.
      const quiet = AbortSignal.timeout(30_000);
      if (commandId !== undefined) await this.#call('Signal', signalEnvelope(this.#header(shellId), commandId), quiet).catch(() => undefined);
      await this.#call('Delete', deleteShellEnvelope(this.#header(shellId)), quiet).catch(() => undefined);
    }
  }

  #header(shellId?: string): HeaderOptions {
    return { to: this.#options.endpoint, maxEnvelopeSize: this.#options.maxEnvelopeSize, operationTimeoutSeconds: this.#options.operationTimeoutSeconds, shellId };
  }

  /** One request; faults become RivetErrors (a Receive timeout becomes `undefined` when allowed). */
  async #call(operation: string, envelope: Envelope, signal: AbortSignal, options: { allowTimedOut: true }): Promise<Reply | undefined>;
  async #call(operation: string, envelope: Envelope, signal: AbortSignal): Promise<Reply>;
  async #call(operation: string, envelope: Envelope, signal: AbortSignal, options: { allowTimedOut?: boolean } = {}): Promise<Reply | undefined> {
    // The HTTP read timeout must outlast OperationTimeout (pywinrm enforces this; WinRb adds 10 s).
    const timeoutMs = (this.#options.operationTimeoutSeconds + 30) * 1000;
    let response: { status: number; xml: string };
    try {
      response = await this.#options.http.post(envelope.xml, { signal, timeoutMs });
    } catch (error) {
      throw httpError(error, operation, this.#options.target);
    }
    let reply: Reply;
    try {
      reply = parseReply(response.xml);
    } catch (error) {
      throw new RivetError(ErrorKind.Command, `WinRM ${operation} on ${this.#options.target}: unreadable reply (${(error as Error).message})`, { target: this.#options.target });
    }
    if (reply.fault !== undefined) {
      if (options.allowTimedOut && (reply.fault.wsmanCode === TIMED_OUT_CODE || reply.fault.subcode === 'TimedOut')) return undefined;
      throw faultError(reply.fault, operation, this.#options.target);
    }
    if (reply.relatesTo !== undefined && reply.relatesTo !== envelope.messageId) {
      throw new RivetError(ErrorKind.Command, `WinRM ${operation} on ${this.#options.target}: the reply answers another request (RelatesTo ${reply.relatesTo})`, { target: this.#options.target });
    }
    return reply;
  }
}

/** A SOAP fault as a per-target error naming the operation, the WSManFault code and message. */
export function faultError(fault: NonNullable<Reply['fault']>, operation: string, target: string): RivetError {
  const code = fault.wsmanCode === undefined ? '' : ` (WSManFault ${fault.wsmanCode})`;
  return new RivetError(ErrorKind.Command, `WinRM ${operation} failed on ${target}: ${fault.message}${code}`, {
    issueCode: 'WSMAN_FAULT',
    target,
    details: { operation, ...(fault.subcode ? { subcode: fault.subcode } : {}), ...(fault.wsmanCode ? { wsman_code: fault.wsmanCode } : {}) },
  });
}

function httpError(error: unknown, operation: string, target: string): RivetError {
  if (error instanceof RivetError) return error;
  if (error instanceof WsmanHttpError) {
    if (error.reason === 'aborted') return new RivetError(ErrorKind.Canceled, 'Canceled', { target });
    if (error.reason === 'auth') return new RivetError(ErrorKind.Connect, `WinRM authentication failed for ${target}: ${error.message}`, { issueCode: 'AUTH_ERROR', target });
    if (error.reason === 'network') return new RivetError(ErrorKind.ConnectionLost, `WinRM ${operation} on ${target}: ${error.message}`, { issueCode: 'CONNECTION_LOST', target });
    const body = error.body ? `: ${error.body.replace(/\s+/g, ' ').slice(0, 300)}` : '';
    return new RivetError(ErrorKind.Command, `WinRM ${operation} on ${target}: ${error.message}${body}`, { target, details: { operation, ...(error.status ? { status: error.status } : {}) } });
  }
  return new RivetError(ErrorKind.Command, `WinRM ${operation} on ${target}: ${(error as Error).message}`, { target });
}
