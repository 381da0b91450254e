/**
 * {@link PosixPrimitives} over one SSH connection (ssh2): `spawn` opens an exec channel (no pty),
 * `putPath`/`getPath` use one lazily opened, reused SFTP session.
 *
 * Session channels are limited per connection (OpenSSH `MaxSessions`, default 10): opens beyond
 * `max-sessions` wait in a queue instead of failing, and if the server refuses a session
 * ("administratively prohibited") while others are open, the limit drops to what the server
 * accepted and the open is queued again.
 *
 * @example
 * ```ts
 * const prims = await SshPrimitives.connect(target, { signal });
 * const proc = await prims.spawn('uname -a', { signal });
 * proc.stdout.pipe(process.stdout);
 * console.log(await proc.exited); // { code: 0, signal: null }
 * ```
 * @module
 */
import type { ClientChannel, Client as ClientType, SFTPWrapper } from 'ssh2';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import type { Target } from '../../core/target.ts';
import { TransferUnavailableError, type PosixPrimitives, type PutPathOptions, type SpawnOptions } from '../posix/primitives.ts';
import type { ExitStatus, OperationOptions, RemoteProcess } from '../transport.ts';
import { resolveSshConfig, type ResolvedSshConfig, type ResolveEnv } from './config.ts';
import { openSshChain } from './connect.ts';
import { sftpGet, sftpPut } from './sftp.ts';

function pause(ms: number, signal: AbortSignal, onAbort: () => unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/** Waits for `promise`, or rejects when `signal` aborts first (the promise keeps running). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => unknown): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}

/** A FIFO counting semaphore whose waiters can be aborted. */
/**
 * Refusals of a session channel (exec or SFTP) taken as the server's MaxSessions and retried
 * (after a short pause each) before the open fails: a server that keeps refusing with none of our
 * sessions to free (a leftover process holding its session) must not hold the step forever.
 */
const MAX_SESSION_REFUSALS = 200;

class SessionSlots {
  private used = 0;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  constructor(public limit: number) {}

  get inUse(): number {
    return this.used;
  }

  acquire(signal: AbortSignal, onAbort: () => unknown): Promise<void> {
    if (signal.aborted) return Promise.reject(onAbort());
    if (this.used < this.limit && this.waiters.length === 0) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal.removeEventListener('abort', abort);
          resolve();
        },
        reject,
      };
      const abort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(onAbort());
      };
      signal.addEventListener('abort', abort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    this.used--;
    this.pump();
  }

  /** Gives slots to waiters while there is room. */
  pump(): void {
    while (this.used < this.limit && this.waiters.length > 0) {
      this.used++;
      this.waiters.shift()!.resolve();
    }
  }

  /** Rejects every waiter with `error()` (made only when someone waits). */
  failAll(error: () => unknown): void {
    if (this.waiters.length === 0) return;
    const reason = error();
    for (const w of this.waiters.splice(0)) w.reject(reason);
  }
}

interface ChannelInternals {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, sig: string): void } };
}

/** ssh2's defaults for a session channel (lib/Channel.js MAX_WINDOW, PACKET_SIZE). */
const SSH2_MAX_WINDOW = 2 * 1024 * 1024;
const SSH2_PACKET_SIZE = 32 * 1024;

/**
 * Most stdin sent right behind the exec request to an OpenSSH server whose session window is still
 * closed (see {@link SshPrimitives.pipelinesInput}): half of the 2 MiB window sshd opens for a
 * session (`CHAN_SES_WINDOW_DEFAULT`, the same since OpenSSH 4.x).
 */
const PIPELINED_INPUT_LIMIT = 1024 * 1024;

/** The server software of an OpenSSH sshd in its identification string (`SSH-2.0-OpenSSH_9.2p1 ...`). */
const OPENSSH_SERVER = /^OpenSSH_/;

type ChannelOpener = ((error: Error | undefined, channel: ClientChannel & PipelinedChannel) => void) & { type?: string };

/** The parts of ssh2's Client that `Client#exec` uses to open a session and send the request. */
interface ClientInternals {
  _chanMgr?: { add(opener: ChannelOpener): number; remove(id: number): void };
  _protocol?: { session(local: number, window: number, packetSize: number): void; exec(remote: number, command: string, wantReply: boolean): void };
}

/** An ssh2 channel's fields that `Client#exec` sets (reply callbacks, subtype, half-open). */
interface PipelinedChannel {
  outgoing: { id: number; window: number };
  subtype: string | undefined;
  allowHalfOpen: boolean;
  _callbacks: ((hadError: boolean) => void)[];
}

/** Sends a signal request even after stdin was closed (ssh2's `signal()` requires a writable channel). */
function sendSignal(channel: ClientChannel, sig: string): void {
  const internals = channel as unknown as ChannelInternals;
  const state = internals.outgoing?.state;
  const protocol = internals._client?._protocol;
  if ((state === 'open' || state === 'eof') && internals.outgoing && protocol) {
    protocol.signal(internals.outgoing.id, sig);
  } else {
    channel.signal(sig);
  }
}

export class SshPrimitives implements PosixPrimitives {
  readonly transportName = 'ssh';
  readonly execRunsLoginShell = true;
  readonly loginUser: string;
  private readonly slots: SessionSlots;
  private sftp: Promise<SFTPWrapper | undefined> | undefined;
  private sftpUnavailable: TransferUnavailableError | undefined;
  private activeTransfers = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Open exec channels, with how to settle their `exited` when the connection drops. */
  private readonly open = new Map<ClientChannel, (s: ExitStatus) => void>();
  private lostReason: string | undefined;
  private readonly endedClients = new WeakSet<ClientType>();
  /** Session channels (exec and sftp) open now, and the most the server has accepted at once. */
  private openSessions = 0;
  private peakSessions = 0;
  /**
   * True when the server is OpenSSH's sshd, which confirms a session channel with a zero window
   * and opens it (2 MiB) while it handles the exec request, before it reads the next packet: stdin
   * sent right behind the exec request lands in an open window. Other servers open the window in
   * the confirmation itself, or are waited for.
   */
  readonly pipelinesInput: boolean;

  /**
   * @param client the logged-in client of the target
   * @param clients all clients to end on close (target first, then jump hosts)
   */
  constructor(
    readonly target: Target,
    readonly client: ClientType,
    readonly config: ResolvedSshConfig,
    private readonly clients: readonly ClientType[] = [client],
  ) {
    this.loginUser = config.hops[config.hops.length - 1]!.user;
    this.slots = new SessionSlots(config.maxSessions);
    this.pipelinesInput = OPENSSH_SERVER.test((client as unknown as { _remoteVer?: unknown })._remoteVer as string);
    for (const c of clients) c.once('close', () => this.endedClients.add(c));
    client.on('error', (error: Error) => {
      this.lostReason ??= error.message;
    });
    client.on('close', () => {
      const lost = !this.closed; // Not a close() of ours: the server or the network dropped it.
      this.lostReason ??= 'connection closed';
      this.closed = true;
      this.slots.failAll(() => this.lostError());
      // ssh2 only emits a channel's 'close' once its output was read: settle exits now.
      const status = { code: null, signal: null, ...(lost ? { lost: this.connectionLostError() } : {}) };
      for (const settle of this.open.values()) settle(status);
    });
  }

  /** Resolves the target's options, connects (through jump hosts) and logs in. */
  static async connect(target: Target, options: OperationOptions & { connectTimeoutMs?: number | undefined; resolveEnv?: ResolveEnv }): Promise<SshPrimitives> {
    const config = await resolveSshConfig(target, options.resolveEnv);
    if (options.connectTimeoutMs !== undefined) config.connectTimeoutMs = options.connectTimeoutMs;
    const chain = await openSshChain(target.name, config, options.signal);
    return new SshPrimitives(target, chain.client, config, chain.clients);
  }

  /** Current session channel limit (may have dropped below `max-sessions`, see module doc). */
  get sessionLimit(): number {
    return this.slots.limit;
  }

  private lostError(): RivetError {
    const last = this.config.hops[this.config.hops.length - 1]!;
    return new RivetError(ErrorKind.Connect, `ssh ${this.target.name} (${last.host}:${last.port}): connection lost: ${this.lostReason ?? 'closed'}`, {
      issueCode: 'CONNECT_ERROR',
      target: this.target.name,
    });
  }

  /** A running command's connection dropped (keepalive timeout, reset, server gone): outcome unknown. */
  private connectionLostError(): RivetError {
    const last = this.config.hops[this.config.hops.length - 1]!;
    return new RivetError(
      ErrorKind.ConnectionLost,
      `ssh ${this.target.name} (${last.host}:${last.port}): connection lost while the command ran (${this.lostReason ?? 'closed'}); its outcome is unknown`,
      { issueCode: 'CONNECTION_LOST', target: this.target.name, details: { reason: this.lostReason ?? 'closed' } },
    );
  }

  private canceledError(what: string): RivetError {
    return new RivetError(ErrorKind.Canceled, `ssh ${this.target.name}: ${what} canceled`, { target: this.target.name, issueCode: 'CANCELED' });
  }

  /**
   * Opens an exec channel and sends the exec request without waiting for its reply, then `input`
   * (all of stdin, and EOF) right behind it, so a step on an open connection costs 2 round trips
   * (channel open, then exec + stdin -> output), not 3 (OpenSSH's client waits for the window
   * before it sends stdin). A refused exec request (rare: sshd refuses only a broken session) ends
   * the process with `lost` set to a CONNECT_ERROR; stdin sent behind it is dropped by the server.
   * The process is wrapped at the open confirmation: a fast command's exit-status can arrive in
   * the same read as the next packet.
   *
   * Uses ssh2's channel manager (`_chanMgr`, `_protocol`), as `Client#exec` does internally; on a
   * ssh2 without them, falls back to `Client#exec` (which waits for the reply: 3 round trips).
   */
  private openExec(command: string, input: Buffer | undefined): Promise<{ channel: ClientChannel; proc: RemoteProcess }> {
    const internals = this.client as unknown as ClientInternals;
    if (typeof internals._chanMgr?.add !== 'function' || typeof internals._protocol?.session !== 'function' || typeof internals._protocol.exec !== 'function') {
      return new Promise((resolve, reject) => {
        try {
          this.client.exec(command, (error, channel) => {
            if (error) return reject(error);
            const proc = this.wrap(channel);
            if (input !== undefined) channel.end(input);
            resolve({ channel, proc });
          });
        } catch (error) {
          reject(error);
        }
      });
    }
    const { _chanMgr: channels, _protocol: protocol } = internals as Required<ClientInternals>;
    return new Promise((resolve, reject) => {
      const opened = (error: Error | undefined, channel: ClientChannel & PipelinedChannel): void => {
        if (error) return reject(error);
        channel.subtype = 'exec';
        channel.allowHalfOpen = true;
        const proc = this.wrap(channel, (hadError) => {
          if (!hadError) return;
          channel.close();
          return new RivetError(ErrorKind.Connect, `ssh ${this.target.name}: cannot start command: the server refused the exec request`, {
            issueCode: 'CONNECT_ERROR',
            target: this.target.name,
          });
        });
        protocol.exec(channel.outgoing.id, command, true);
        if (input !== undefined) this.sendInput(channel, input);
        resolve({ channel, proc });
      };
      (opened as ChannelOpener).type = 'session';
      const local = channels.add(opened);
      if (local === -1) return reject(new Error('No free channels available'));
      try {
        protocol.session(local, SSH2_MAX_WINDOW, SSH2_PACKET_SIZE);
      } catch (error) {
        channels.remove(local);
        reject(error);
      }
    });
  }

  /**
   * Writes all of stdin and EOF on a channel whose exec request was just sent. OpenSSH's window is
   * still closed (zero) here, and ssh2 would hold the data until the server's window adjust, a
   * round trip later. sshd opens the window while it handles the exec request, before it reads
   * what follows it, so for OpenSSH (and input within {@link PIPELINED_INPUT_LIMIT}) ssh2's view of
   * the window is credited with the input, which then goes out at once. Nothing else is ever
   * written on the channel (stdin ends here), so ssh2 never counts on the window that credit took.
   */
  private sendInput(channel: ClientChannel & PipelinedChannel, input: Buffer): void {
    const outgoing = channel.outgoing;
    if (this.pipelinesInput && outgoing.window === 0 && input.length > 0 && input.length <= PIPELINED_INPUT_LIMIT) outgoing.window = input.length;
    channel.end(input);
  }

  async spawn(command: string, options: SpawnOptions): Promise<RemoteProcess> {
    const { signal } = options;
    for (let refusals = 0; ; refusals++) {
      if (this.closed) throw this.lostError();
      await this.slots.acquire(signal, () => this.canceledError('spawn'));
      let opened: { channel: ClientChannel; proc: RemoteProcess };
      try {
        opened = await this.openExec(command, options.input);
      } catch (error) {
        this.slots.release();
        const reason = (error as { reason?: unknown }).reason;
        // OpenSSH refuses a session beyond MaxSessions with "open failed" (reason 2, CONNECT_FAILED;
        // other servers use 1, ADMINISTRATIVELY_PROHIBITED). With other sessions open, that is
        // the limit: wait for one of them instead of failing. The server accepted `peakSessions`
        // at once, so its limit is at least that; it frees a session a little after our close,
        // so a refusal right after a close is retried after a short pause.
        if ((reason === 1 || reason === 2) && !this.closed && (this.slots.inUse > 0 || this.peakSessions > 0) && refusals < MAX_SESSION_REFUSALS) {
          this.slots.limit = Math.min(this.config.maxSessions, Math.max(1, this.slots.inUse, this.peakSessions));
          await pause(25, signal, () => this.canceledError('spawn'));
          continue;
        }
        if (this.closed) throw this.lostError();
        throw new RivetError(ErrorKind.Connect, `ssh ${this.target.name}: cannot start command: ${(error as Error).message}`, {
          issueCode: 'CONNECT_ERROR',
          target: this.target.name,
          cause: error,
        });
      }
      if (signal.aborted) {
        opened.channel.close();
        throw this.canceledError('spawn');
      }
      return opened.proc;
    }
  }

  /**
   * The channel as a {@link RemoteProcess}. With `onExecReply` (a pipelined exec), the reply to the
   * exec request is awaited here: an error it returns ends the process with `lost` set to it.
   */
  private wrap(channel: ClientChannel, onExecReply?: (hadError: boolean) => RivetError | undefined): RemoteProcess {
    let exitStatus: ExitStatus | undefined;
    let resolveExit!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
    const settle = (s: ExitStatus): void => {
      if (exitStatus) return;
      exitStatus = s;
      resolveExit(s);
    };
    if (onExecReply) {
      (channel as unknown as PipelinedChannel)._callbacks.push((hadError) => {
        const refused = onExecReply(hadError);
        if (refused) settle({ code: null, signal: null, lost: refused });
      });
    }
    this.open.set(channel, settle);
    this.sessionOpened();
    // Complete at the channel's exit, not at close (streams end independently).
    channel.on('exit', (code: number | null, sig?: string) => {
      settle({ code: typeof code === 'number' ? code : null, signal: typeof sig === 'string' ? sig : null });
    });
    channel.on('close', () => {
      settle({ code: null, signal: null });
      this.open.delete(channel);
      this.openSessions--;
      this.slots.release();
    });
    channel.on('error', () => {});
    channel.stderr.on('error', () => {});
    return {
      stdin: channel,
      stdout: channel,
      stderr: channel.stderr,
      exited,
      kill: (sig: NodeJS.Signals = 'SIGTERM') => {
        if (exitStatus) return;
        try {
          sendSignal(channel, sig);
        } catch {
          // Unknown signal name or channel gone: best effort.
        }
      },
    };
  }

  private sessionOpened(): void {
    this.openSessions++;
    this.peakSessions = Math.max(this.peakSessions, this.openSessions);
  }

  /** The connection's one SFTP session, opened on first use (shared by concurrent callers). */
  private async getSftp(signal: AbortSignal): Promise<SFTPWrapper> {
    for (let refusals = 0; ; refusals++) {
      if (this.closed) throw this.lostError();
      if (this.sftpUnavailable) throw this.sftpUnavailable;
      if (refusals > MAX_SESSION_REFUSALS) {
        throw new RivetError(
          ErrorKind.Connect,
          `ssh ${this.target.name}: cannot open an SFTP session: the server refused it ${refusals} times in a row (its MaxSessions limit is taken, and not by a session of this step; a process left running on the target may hold one)`,
          { issueCode: 'CONNECT_ERROR', target: this.target.name, details: { refusals } },
        );
      }
      this.sftp ??= this.openSftp();
      const sftp = await abortable(this.sftp, signal, () => this.canceledError('SFTP session'));
      if (sftp) return sftp;
    }
  }

  /** Opens the SFTP session; undefined when the server refused it for now (session limit). */
  private async openSftp(): Promise<SFTPWrapper | undefined> {
    const forever = new AbortController().signal;
    await this.slots.acquire(forever, () => this.canceledError('SFTP session'));
    let sftp: SFTPWrapper;
    try {
      sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
        this.client.sftp((error, s) => (error ? reject(error) : resolve(s)));
      });
    } catch (error) {
      this.slots.release();
      this.sftp = undefined;
      if (this.closed) throw this.lostError();
      const reason = (error as { reason?: unknown }).reason;
      if ((reason === 1 || reason === 2) && (this.slots.inUse > 0 || this.peakSessions > 0)) {
        // Refused beyond MaxSessions (see spawn): wait and try again, do not fall back.
        this.slots.limit = Math.min(this.config.maxSessions, Math.max(1, this.slots.inUse, this.peakSessions));
        await pause(25, forever, () => undefined);
        return undefined;
      }
      // No sftp subsystem (sshd without `Subsystem sftp`): remember; the caller falls back to exec.
      this.sftpUnavailable = new TransferUnavailableError(`ssh ${this.target.name}: SFTP is not available (${(error as Error).message})`);
      throw this.sftpUnavailable;
    }
    this.sessionOpened();
    const current = this.sftp;
    sftp.on('close', () => {
      this.openSessions--;
      if (this.sftp === current) this.sftp = undefined;
      this.slots.release();
    });
    sftp.on('error', () => {});
    return sftp;
  }

  private async transfer(op: (sftp: SFTPWrapper) => Promise<void>, signal: AbortSignal, what: string): Promise<void> {
    if (this.closed) throw this.lostError();
    const sftp = await this.getSftp(signal);
    if (signal.aborted) throw this.canceledError(what);
    // fastPut/fastGet cannot be canceled. On abort, stop at once; if no other transfer shares the
    // SFTP session, end it (so the remote side stops writing; it is reopened next time).
    const onAbort = (): void => {
      if (this.activeTransfers > 1) return;
      this.sftp = undefined;
      sftp.end();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.activeTransfers++;
    try {
      await abortable(op(sftp), signal, () => this.canceledError(what));
    } catch (error) {
      if (signal.aborted) throw this.canceledError(what);
      if (this.closed) throw this.lostError();
      throw error instanceof RivetError ? error : new Error(`ssh ${this.target.name}: ${what}: ${(error as Error).message}`, { cause: error });
    } finally {
      this.activeTransfers--;
      signal.removeEventListener('abort', onAbort);
    }
  }

  putPath(localPath: string, remotePath: string, options: PutPathOptions): Promise<void> {
    return this.transfer((sftp) => sftpPut(sftp, localPath, remotePath, options.signal, { privateParent: options.privateParent }), options.signal, `upload ${localPath} to ${remotePath}`);
  }

  getPath(remotePath: string, localPath: string, options: OperationOptions): Promise<void> {
    return this.transfer((sftp) => sftpGet(sftp, remotePath, localPath, options.signal), options.signal, `download ${remotePath} to ${localPath}`);
  }

  /** Destroys every client's socket at once: a close waiting for the server settles. */
  destroy(): void {
    this.closed = true;
    this.lostReason ??= 'connection dropped by Rivet';
    this.slots.failAll(() => this.lostError());
    for (const client of this.clients) client.destroy();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.lostReason ??= 'connection closed by Rivet';
      this.slots.failAll(() => this.lostError());
      for (const channel of this.open.keys()) channel.close();
      for (const client of this.clients) {
        if (this.endedClients.has(client)) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            client.destroy();
            resolve();
          }, this.config.disconnectTimeoutMs);
          client.once('close', () => {
            clearTimeout(t);
            resolve();
          });
          client.end();
        });
      }
    })();
    return this.closing;
  }
}
