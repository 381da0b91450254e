/**
 * {@link PosixPrimitives} over one SSH connection (ssh2): `spawn` opens an exec channel (no pty),
 * `putPath`/`getPath` use one lazily opened, reused SFTP session.
 *
 * Session channels are limited per connection (OpenSSH `MaxSessions`, default 10): opens beyond
 * `max-sessions` wait in a queue instead of failing, and if the server refuses a session
 * ("administratively prohibited") while others are open, the limit drops to what the server
 * accepted and the open is queued again.
 *
 * A process left running on the target (a daemon that escaped a killed step with `setsid`, a
 * background job holding the output) keeps its session open on the server. So every exec channel
 * is closed by Rivet once the caller is done with it ({@link RemoteProcess.release}): OpenSSH then
 * frees the session when the command's own process has exited, whoever still holds its output. A
 * session whose process never exited stays taken on the server although its channel is closed;
 * when the server refuses a session {@link EXHAUSTED_AFTER_REFUSALS} times in a row while none of
 * ours is open on the connection, its slots are taken by such sessions: the connection is retired
 * (no new sessions; ended once its own sessions end) and a fresh one to the same target takes its
 * place, so a later step never waits for slots it cannot get. The fresh connection's handshake
 * waits for its turn under the run's handshake pacing (`paceHandshake`, given by the connection
 * pool), is bounded by the target's connect-timeout (per hop, from the start of the handshake),
 * and is abandoned once every step waiting for it was canceled. When it fails (login refused,
 * host down), the steps waiting for it, and every later one on this connection, fail with an
 * error naming the host and the reason, and the old connection is still ended once idle.
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
import type { ExitStatus, HandshakePacer, OperationOptions, RemoteProcess } from '../transport.ts';
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

/**
 * Refusals of a session channel (exec or SFTP) taken as the server's MaxSessions and retried
 * (after a short pause each) before the open fails: nothing may hold a step forever.
 */
const MAX_SESSION_REFUSALS = 200;

/**
 * Refusals in a row after which they are taken as real, not as the server being a moment late to
 * free a session we just closed: with some of our sessions open, the limit drops to those; with
 * none, the connection's slots are held by sessions that are not ours (processes left running) and
 * a fresh connection takes its place.
 */
export const EXHAUSTED_AFTER_REFUSALS = 3;

/**
 * How long a channel Rivet closed is kept waiting for the server's confirmation before it is
 * forgotten. sshd never confirms while the session's command still runs (it keeps the session).
 */
export const SERVER_CLOSE_WAIT_MS = 10_000;

/** Rejection of the slot waiters of a connection that was retired: they try the fresh one. */
const RETIRED = Symbol('retired connection');

/** A FIFO counting semaphore whose waiters can be aborted. */

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

/** One SSH connection of the target (through its jump hosts), with its session channels. */
class Link {
  readonly slots: SessionSlots;
  /** Open exec channels, with how to settle their `exited` when the connection drops. */
  readonly open = new Map<ClientChannel, (s: ExitStatus) => void>();
  readonly endedClients = new WeakSet<ClientType>();
  /** Session channels (exec and sftp) open now, and the most the server has accepted at once. */
  openSessions = 0;
  peakSessions = 0;
  /**
   * Exec channels Rivet closed whose close the server has not confirmed yet (their slot of ours is
   * free already). OpenSSH confirms at once when the command had exited; while it still runs,
   * sshd keeps the session, and its slot on the server, and never confirms.
   */
  releasing = 0;
  /** Session refusals in a row with some of ours open, and with none (see {@link EXHAUSTED_AFTER_REFUSALS}). */
  busyRefusals = 0;
  idleRefusals = 0;
  sftp: Promise<SFTPWrapper | 'replace' | undefined> | undefined;
  /** The SFTP session once open (until it closes). */
  sftpOpen: SFTPWrapper | undefined;
  activeTransfers = 0;
  /** Closed by Rivet (or its socket closed): no new sessions. */
  closed = false;
  /** A fresh connection took its place: it takes no new sessions and is ended once idle. */
  retired = false;
  lostReason: string | undefined;
  /**
   * True when the server is OpenSSH's sshd, which confirms a session channel with a zero window
   * and opens it (2 MiB) while it handles the exec request, before it reads the next packet: stdin
   * sent right behind the exec request lands in an open window. Other servers open the window in
   * the confirmation itself, or are waited for.
   */
  readonly pipelinesInput: boolean;

  constructor(
    readonly client: ClientType,
    readonly clients: readonly ClientType[],
    maxSessions: number,
  ) {
    this.slots = new SessionSlots(maxSessions);
    this.pipelinesInput = OPENSSH_SERVER.test((client as unknown as { _remoteVer?: unknown })._remoteVer as string);
    for (const c of clients) c.once('close', () => this.endedClients.add(c));
  }

  /** Nothing of ours in flight on it: no session open or opening, no transfer. */
  get idle(): boolean {
    return this.slots.inUse === 0 && this.openSessions - this.releasing === 0 && this.activeTransfers === 0;
  }

  sessionOpened(): void {
    this.openSessions++;
    this.peakSessions = Math.max(this.peakSessions, this.openSessions);
    this.busyRefusals = 0;
    this.idleRefusals = 0;
  }

  /** Ends every client (target first), destroying one that does not close within `timeoutMs`. */
  async end(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const channel of this.open.keys()) channel.close();
    for (const client of this.clients) {
      if (this.endedClients.has(client)) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          client.destroy();
          resolve();
        }, timeoutMs);
        client.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        client.end();
      });
    }
  }
}

/** What to do after a session refusal: wait and retry, open a fresh connection, or fail. */
type RefusalAction = 'wait' | 'replace' | 'fail';

export class SshPrimitives implements PosixPrimitives {
  readonly transportName = 'ssh';
  readonly execRunsLoginShell = true;
  readonly loginUser: string;
  /** The connection new sessions open on. */
  private link: Link;
  /** Connections a fresh one replaced, until their own sessions have ended. */
  private readonly retired = new Set<Link>();
  /** Connections whose sockets are not all closed yet (current, retired, ending). */
  private readonly live = new Set<Link>();
  /** The replacement under way, with the steps waiting for it (see {@link replace}). */
  private replacing: { link: Promise<Link>; waiters: number; abort: AbortController } | undefined;
  private replacements = 0;
  /** Why this connection has no usable link: its replacement failed (see {@link replace}). */
  private failure: RivetError | undefined;
  /** Paces the handshake of a replacement with the run's others (the pool's); none: at once. */
  private readonly paceHandshake: HandshakePacer | undefined;
  private sftpUnavailable: TransferUnavailableError | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  /**
   * @param client the logged-in client of the target
   * @param clients all clients to end on close (target first, then jump hosts)
   */
  constructor(
    readonly target: Target,
    client: ClientType,
    readonly config: ResolvedSshConfig,
    clients: readonly ClientType[] = [client],
    options: { paceHandshake?: HandshakePacer | undefined } = {},
  ) {
    this.loginUser = config.hops[config.hops.length - 1]!.user;
    this.link = this.watch(new Link(client, clients, config.maxSessions));
    this.paceHandshake = options.paceHandshake;
  }

  /**
   * Resolves the target's options, connects (through jump hosts) and logs in. `paceHandshake`
   * paces a later replacement of the connection (see the module doc).
   */
  static async connect(
    target: Target,
    options: OperationOptions & { connectTimeoutMs?: number | undefined; resolveEnv?: ResolveEnv; paceHandshake?: HandshakePacer | undefined },
  ): Promise<SshPrimitives> {
    const config = await resolveSshConfig(target, options.resolveEnv);
    if (options.connectTimeoutMs !== undefined) config.connectTimeoutMs = options.connectTimeoutMs;
    const chain = await openSshChain(target.name, config, options.signal);
    return new SshPrimitives(target, chain.client, config, chain.clients, { paceHandshake: options.paceHandshake });
  }

  /**
   * Connections of this target whose sockets are not all closed yet: the current one, and those
   * replaced but not yet ended. Once a socket is closed, ssh2 has stopped its keepalive timer.
   */
  get openConnections(): number {
    return this.live.size;
  }

  /** Current session channel limit (may have dropped below `max-sessions`, see module doc). */
  get sessionLimit(): number {
    return this.link.slots.limit;
  }

  /**
   * How many times a fresh connection took the place of one whose sessions were all held by
   * processes left running on the target (see module doc).
   */
  get connectionReplacements(): number {
    return this.replacements;
  }

  /** True when the server is OpenSSH's sshd (see {@link Link.pipelinesInput}). */
  get pipelinesInput(): boolean {
    return this.link.pipelinesInput;
  }

  /** Follows a connection's socket: its close settles its channels, and ends this object if current. */
  private watch(link: Link): Link {
    this.live.add(link);
    for (const client of link.clients) {
      client.once('close', () => {
        if (link.clients.every((c) => link.endedClients.has(c))) this.live.delete(link);
      });
    }
    link.client.on('error', (error: Error) => {
      link.lostReason ??= error.message;
    });
    link.client.on('close', () => {
      const lost = !link.closed; // Not a close of ours: the server or the network dropped it.
      link.lostReason ??= 'connection closed';
      link.closed = true;
      this.retired.delete(link);
      if (link === this.link) this.closed = true;
      link.slots.failAll(() => (link.retired ? RETIRED : this.lostError()));
      // ssh2 only emits a channel's 'close' once its output was read: settle exits now.
      const status = { code: null, signal: null, ...(lost ? { lost: this.connectionLostError(link) } : {}) };
      for (const settle of link.open.values()) settle(status);
    });
    return link;
  }

  private lostError(): RivetError {
    if (this.failure !== undefined) return this.failure;
    const last = this.config.hops[this.config.hops.length - 1]!;
    return new RivetError(ErrorKind.Connect, `ssh ${this.target.name} (${last.host}:${last.port}): connection lost: ${this.link.lostReason ?? 'closed'}`, {
      issueCode: 'CONNECT_ERROR',
      target: this.target.name,
    });
  }

  /** A running command's connection dropped (keepalive timeout, reset, server gone): outcome unknown. */
  private connectionLostError(link: Link): RivetError {
    const last = this.config.hops[this.config.hops.length - 1]!;
    const reason = link.lostReason ?? 'closed';
    return new RivetError(ErrorKind.ConnectionLost, `ssh ${this.target.name} (${last.host}:${last.port}): connection lost while the command ran (${reason}); its outcome is unknown`, {
      issueCode: 'CONNECTION_LOST',
      target: this.target.name,
      details: { reason },
    });
  }

  private canceledError(what: string): RivetError {
    return new RivetError(ErrorKind.Canceled, `ssh ${this.target.name}: ${what} canceled`, { target: this.target.name, issueCode: 'CANCELED' });
  }

  /**
   * A session open on `link` was refused as beyond the server's MaxSessions (OpenSSH: "open
   * failed", reason 2, CONNECT_FAILED; other servers: 1, ADMINISTRATIVELY_PROHIBITED). Call with
   * the attempt's slot released. An idle SFTP session of ours is ended first (it would otherwise
   * hold its slot for good). With some of our sessions open, wait for one of them: the limit
   * drops to what the server accepted at once (it frees a session a little after our close, so a
   * single refusal right after one is not believed), and to the sessions open now once refusals
   * repeat. With none of ours open (a channel we closed holds no slot of ours, even while the
   * server keeps its session), refusals in a row mean sessions not ours hold every slot: replace
   * the connection. A connection that never had a session accepted fails.
   */
  private refused(link: Link): RefusalAction {
    if (link.closed) return 'fail';
    if (link.sftpOpen !== undefined && link.activeTransfers === 0) {
      // Our idle SFTP session holds a slot the server has no other for: end it (reopened on use).
      link.sftp = undefined;
      link.sftpOpen.end();
      link.sftpOpen = undefined;
      return 'wait';
    }
    if (link.slots.inUse > 0) {
      link.busyRefusals++;
      const accepted = link.busyRefusals >= EXHAUSTED_AFTER_REFUSALS ? 0 : link.peakSessions;
      link.slots.limit = Math.min(this.config.maxSessions, Math.max(1, link.slots.inUse, accepted));
      return 'wait';
    }
    if (link.peakSessions === 0) return 'fail';
    link.idleRefusals++;
    return link.idleRefusals >= EXHAUSTED_AFTER_REFUSALS ? 'replace' : 'wait';
  }

  /**
   * The fresh connection that takes the place of `old` (whose slots are all held by sessions not
   * ours): `old` is retired, and ended once its own sessions end. One replacement at a time,
   * shared by the steps that need it. Its handshake waits for its turn ({@link paceHandshake}),
   * then is bounded by the target's connect-timeout per hop. `signal` stops this step's wait; the
   * handshake itself is abandoned (its turn given back, its sockets destroyed) once every waiting
   * step has stopped, or this connection is closed. A failure (login refused, host down, timeout)
   * is final for this connection: `old` is retired all the same (its slots are of no use), later
   * operations fail with the same error, and the pool's next connection to the target starts
   * afresh.
   */
  private async replace(old: Link, signal: AbortSignal, what: string): Promise<Link> {
    if (this.closed) throw this.lostError();
    if (this.link !== old) return this.link;
    if (this.replacing === undefined) {
      const abort = new AbortController();
      const open = (): ReturnType<typeof openSshChain> => openSshChain(this.target.name, this.config, abort.signal);
      const replacing = {
        abort,
        waiters: 0,
        link: (async () => {
          let chain: Awaited<ReturnType<typeof openSshChain>>;
          try {
            chain = await (this.paceHandshake === undefined ? open() : this.paceHandshake(open, abort.signal));
          } catch (error) {
            // Abandoned (every waiter gave up, or closed): nothing is final; the next refusal tries again.
            if (abort.signal.aborted) throw this.closed ? this.lostError() : this.canceledError(what);
            this.failure = this.replacementFailed(error);
            this.closed = true;
            this.retire(old);
            throw this.failure;
          }
          const link = this.watch(new Link(chain.client, chain.clients, this.config.maxSessions));
          if (this.closed) {
            link.closed = true;
            void link.end(this.config.disconnectTimeoutMs);
            throw this.lostError();
          }
          this.replacements++;
          this.retire(old);
          this.link = link;
          return link;
        })().finally(() => {
          if (this.replacing === replacing) this.replacing = undefined;
        }),
      };
      replacing.link.catch(() => {}); // each waiter sees it
      this.replacing = replacing;
    }
    const replacing = this.replacing;
    replacing.waiters++;
    try {
      return await abortable(replacing.link, signal, () => this.canceledError(what));
    } finally {
      // The last waiter gone before it was done: nobody needs the fresh connection now.
      if (--replacing.waiters === 0 && this.replacing === replacing) replacing.abort.abort();
    }
  }

  /** The error of a replacement that could not connect: names the host, keeps the cause's issue code. */
  private replacementFailed(error: unknown): RivetError {
    const last = this.config.hops[this.config.hops.length - 1]!;
    const cause = error instanceof RivetError ? error : undefined;
    const reason = (error as Error).message;
    return new RivetError(
      cause?.kind ?? ErrorKind.Connect,
      `ssh ${this.target.name} (${last.host}:${last.port}): every session of the connection is taken by processes left running on the target (the server's MaxSessions), and a fresh connection in its place failed: ${reason}`,
      {
        issueCode: cause?.issueCode ?? 'CONNECT_ERROR',
        target: this.target.name,
        details: { ...cause?.details, host: last.host, port: last.port, reason },
        cause: error,
      },
    );
  }

  /** No new sessions on `link`; its slot waiters move to the current connection; ended once idle. */
  private retire(link: Link): void {
    link.retired = true;
    this.retired.add(link);
    link.slots.failAll(() => RETIRED);
    this.endIfDone(link);
  }

  /** Ends a retired connection once nothing of ours runs on it (its SFTP session first). */
  private endIfDone(link: Link): void {
    if (!link.retired || link.closed || link.activeTransfers > 0) return;
    if (link.sftpOpen !== undefined && link.openSessions - link.releasing === 1 && link.slots.inUse === 1) {
      link.sftp = undefined;
      link.sftpOpen.end();
      link.sftpOpen = undefined;
      return; // its close comes back here
    }
    if (!link.idle) return;
    this.retired.delete(link);
    void link.end(this.config.disconnectTimeoutMs);
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
  private openExec(link: Link, command: string, input: Buffer | undefined): Promise<{ channel: ClientChannel; proc: RemoteProcess }> {
    const internals = link.client as unknown as ClientInternals;
    if (typeof internals._chanMgr?.add !== 'function' || typeof internals._protocol?.session !== 'function' || typeof internals._protocol.exec !== 'function') {
      return new Promise((resolve, reject) => {
        try {
          link.client.exec(command, (error, channel) => {
            if (error) return reject(error);
            const proc = this.wrap(link, channel);
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
        const proc = this.wrap(link, channel, (hadError) => {
          if (!hadError) return;
          channel.close();
          return new RivetError(ErrorKind.Connect, `ssh ${this.target.name}: cannot start command: the server refused the exec request`, {
            issueCode: 'CONNECT_ERROR',
            target: this.target.name,
          });
        });
        protocol.exec(channel.outgoing.id, command, true);
        if (input !== undefined) this.sendInput(link, channel, input);
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
  private sendInput(link: Link, channel: ClientChannel & PipelinedChannel, input: Buffer): void {
    const outgoing = channel.outgoing;
    if (link.pipelinesInput && outgoing.window === 0 && input.length > 0 && input.length <= PIPELINED_INPUT_LIMIT) outgoing.window = input.length;
    channel.end(input);
  }

  async spawn(command: string, options: SpawnOptions): Promise<RemoteProcess> {
    const { signal } = options;
    for (let refusals = 0; ; ) {
      if (this.closed) throw this.lostError();
      const link = this.link;
      try {
        await link.slots.acquire(signal, () => this.canceledError('spawn'));
      } catch (error) {
        if (error === RETIRED) continue;
        throw error;
      }
      let opened: { channel: ClientChannel; proc: RemoteProcess };
      try {
        opened = await this.openExec(link, command, options.input);
      } catch (error) {
        link.slots.release();
        this.endIfDone(link);
        const reason = (error as { reason?: unknown }).reason;
        const action: RefusalAction = (reason === 1 || reason === 2) && refusals < MAX_SESSION_REFUSALS ? this.refused(link) : 'fail';
        if (action === 'replace') {
          await this.replace(link, signal, 'spawn');
          continue;
        }
        if (action === 'wait') {
          refusals++;
          await pause(25, signal, () => this.canceledError('spawn'));
          continue;
        }
        if (this.closed) throw this.lostError();
        throw new RivetError(ErrorKind.Connect, `ssh ${this.target.name}: cannot start command: ${(error as Error).message}`, {
          issueCode: 'CONNECT_ERROR',
          target: this.target.name,
          cause: error,
          ...(refusals > 0 ? { details: { refusals } } : {}),
        });
      }
      if (signal.aborted) {
        opened.proc.release?.();
        throw this.canceledError('spawn');
      }
      return opened.proc;
    }
  }

  /**
   * The channel as a {@link RemoteProcess}. With `onExecReply` (a pipelined exec), the reply to the
   * exec request is awaited here: an error it returns ends the process with `lost` set to it.
   */
  private wrap(link: Link, channel: ClientChannel, onExecReply?: (hadError: boolean) => RivetError | undefined): RemoteProcess {
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
    link.open.set(channel, settle);
    link.sessionOpened();
    let freed = false;
    let released = false;
    let leakTimer: NodeJS.Timeout | undefined;
    /** The channel is gone: at its close, or when the server never confirms ours. */
    const free = (): void => {
      if (freed) return;
      freed = true;
      clearTimeout(leakTimer);
      link.open.delete(channel);
      link.openSessions--;
      if (released) link.releasing--;
      else link.slots.release();
      this.endIfDone(link);
    };
    // Complete at the channel's exit, not at close (streams end independently).
    channel.on('exit', (code: number | null, sig?: string) => {
      settle({ code: typeof code === 'number' ? code : null, signal: typeof sig === 'string' ? sig : null });
    });
    channel.on('close', () => {
      settle({ code: null, signal: null });
      free();
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
      release: () => {
        if (freed || released) return;
        released = true;
        link.releasing++;
        channel.close();
        // Our slot is free now. A session whose command still runs stays taken on the server,
        // which then never confirms the close: the refusals that follow lower the limit, or
        // replace the connection (see refused). The channel itself is forgotten after a while.
        link.slots.release();
        leakTimer = setTimeout(free, SERVER_CLOSE_WAIT_MS);
        leakTimer.unref();
      },
    };
  }

  /** The connection's one SFTP session, opened on first use (shared by concurrent callers). */
  private async getSftp(signal: AbortSignal): Promise<{ link: Link; sftp: SFTPWrapper }> {
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
      const link = this.link;
      link.sftp ??= this.openSftp(link);
      const sftp = await abortable(link.sftp, signal, () => this.canceledError('SFTP session'));
      if (sftp === 'replace') await this.replace(link, signal, 'SFTP session');
      else if (sftp !== undefined) return { link, sftp };
    }
  }

  /**
   * Opens `link`'s SFTP session; undefined when the server refused it for now (session limit), or
   * 'replace' when sessions not ours hold every slot (see {@link refused}).
   */
  private async openSftp(link: Link): Promise<SFTPWrapper | 'replace' | undefined> {
    const forever = new AbortController().signal;
    try {
      await link.slots.acquire(forever, () => this.canceledError('SFTP session'));
    } catch (error) {
      link.sftp = undefined;
      if (error === RETIRED) return undefined;
      throw error;
    }
    let sftp: SFTPWrapper;
    try {
      sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
        link.client.sftp((error, s) => (error ? reject(error) : resolve(s)));
      });
    } catch (error) {
      link.slots.release();
      link.sftp = undefined;
      this.endIfDone(link);
      if (this.closed) throw this.lostError();
      const reason = (error as { reason?: unknown }).reason;
      const action = reason === 1 || reason === 2 ? this.refused(link) : 'fail';
      if (action === 'replace') return 'replace';
      if (action === 'wait') {
        // Refused beyond MaxSessions: wait and try again, do not fall back.
        await pause(25, forever, () => undefined);
        return undefined;
      }
      // No sftp subsystem (sshd without `Subsystem sftp`): remember; the caller falls back to exec.
      this.sftpUnavailable = new TransferUnavailableError(`ssh ${this.target.name}: SFTP is not available (${(error as Error).message})`);
      throw this.sftpUnavailable;
    }
    link.sessionOpened();
    link.sftpOpen = sftp;
    const current = link.sftp;
    sftp.on('close', () => {
      link.openSessions--;
      if (link.sftp === current) link.sftp = undefined;
      if (link.sftpOpen === sftp) link.sftpOpen = undefined;
      link.slots.release();
      this.endIfDone(link);
    });
    sftp.on('error', () => {});
    return sftp;
  }

  private async transfer(op: (sftp: SFTPWrapper) => Promise<void>, signal: AbortSignal, what: string): Promise<void> {
    if (this.closed) throw this.lostError();
    let got = await this.getSftp(signal);
    // Ended in the meantime (to free its slot, see refused): open it again.
    while (got.link.sftpOpen !== got.sftp) got = await this.getSftp(signal);
    const { link, sftp } = got;
    if (signal.aborted) throw this.canceledError(what);
    // fastPut/fastGet cannot be canceled. On abort, stop at once; if no other transfer shares the
    // SFTP session, end it (so the remote side stops writing; it is reopened next time).
    const onAbort = (): void => {
      if (link.activeTransfers > 1) return;
      link.sftp = undefined;
      if (link.sftpOpen === sftp) link.sftpOpen = undefined;
      sftp.end();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    link.activeTransfers++;
    try {
      await abortable(op(sftp), signal, () => this.canceledError(what));
    } catch (error) {
      if (signal.aborted) throw this.canceledError(what);
      if (this.closed) throw this.lostError();
      throw error instanceof RivetError ? error : new Error(`ssh ${this.target.name}: ${what}: ${(error as Error).message}`, { cause: error });
    } finally {
      link.activeTransfers--;
      signal.removeEventListener('abort', onAbort);
      this.endIfDone(link);
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
    this.replacing?.abort.abort();
    for (const link of [...new Set([this.link, ...this.retired])]) {
      link.closed = true;
      link.lostReason ??= 'connection dropped by Rivet';
      link.slots.failAll(() => this.lostError());
      for (const client of link.clients) client.destroy();
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.replacing?.abort.abort();
      const links = [...new Set([this.link, ...this.retired])];
      for (const link of links) {
        link.closed = true;
        link.lostReason ??= 'connection closed by Rivet';
        link.slots.failAll(() => this.lostError());
      }
      await Promise.all(links.map((link) => link.end(this.config.disconnectTimeoutMs)));
    })();
    return this.closing;
  }
}
