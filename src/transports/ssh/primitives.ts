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
import { TransferUnavailableError, type PosixPrimitives } from '../posix/primitives.ts';
import type { ExitStatus, OperationOptions, RemoteProcess } from '../transport.ts';
import { resolveSshConfig, type ResolvedSshConfig, type ResolveEnv } from './config.ts';
import { openSshChain } from './connect.ts';
import { sftpGet, sftpPut } from './sftp.ts';

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

  failAll(error: unknown): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }
}

interface ChannelInternals {
  outgoing?: { id: number; state: string };
  _client?: { _protocol?: { signal(id: number, sig: string): void } };
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
  readonly loginUser: string;
  private readonly slots: SessionSlots;
  private sftp: Promise<SFTPWrapper> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly open = new Set<ClientChannel>();
  private lostReason: string | undefined;
  private readonly endedClients = new WeakSet<ClientType>();

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
    for (const c of clients) c.once('close', () => this.endedClients.add(c));
    client.on('error', (error: Error) => {
      this.lostReason ??= error.message;
    });
    client.on('close', () => {
      this.lostReason ??= 'connection closed';
      this.closed = true;
      this.slots.failAll(this.lostError());
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

  private canceledError(what: string): RivetError {
    return new RivetError(ErrorKind.Canceled, `ssh ${this.target.name}: ${what} canceled`, { target: this.target.name, issueCode: 'CANCELED' });
  }

  private openExec(command: string): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      try {
        this.client.exec(command, (error, channel) => (error ? reject(error) : resolve(channel)));
      } catch (error) {
        reject(error);
      }
    });
  }

  async spawn(command: string, options: OperationOptions): Promise<RemoteProcess> {
    const { signal } = options;
    for (;;) {
      if (this.closed) throw this.lostError();
      await this.slots.acquire(signal, () => this.canceledError('spawn'));
      let channel: ClientChannel;
      try {
        channel = await this.openExec(command);
      } catch (error) {
        this.slots.release();
        const reason = (error as { reason?: unknown }).reason;
        // 1 = SSH_OPEN_ADMINISTRATIVELY_PROHIBITED: OpenSSH's answer beyond MaxSessions.
        if (reason === 1 && this.slots.inUse > 0 && !this.closed) {
          this.slots.limit = Math.max(1, this.slots.inUse);
          continue;
        }
        if (this.closed) throw this.lostError();
        throw new RivetError(ErrorKind.Connect, `ssh ${this.target.name}: cannot start command: ${(error as Error).message}`, {
          issueCode: 'CONNECT_ERROR',
          target: this.target.name,
          cause: error,
        });
      }
      return this.wrap(channel, signal);
    }
  }

  private wrap(channel: ClientChannel, signal: AbortSignal): RemoteProcess {
    this.open.add(channel);
    let exitStatus: ExitStatus | undefined;
    let resolveExit!: (s: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
    const settle = (s: ExitStatus): void => {
      if (exitStatus) return;
      exitStatus = s;
      resolveExit(s);
    };
    // Complete at the channel's exit, not at close (streams end independently).
    channel.on('exit', (code: number | null, sig?: string) => {
      settle({ code: typeof code === 'number' ? code : null, signal: typeof sig === 'string' ? sig : null });
    });
    channel.on('close', () => {
      settle({ code: null, signal: null });
      this.open.delete(channel);
      this.slots.release();
    });
    channel.on('error', () => {});
    channel.stderr.on('error', () => {});
    if (signal.aborted) {
      channel.close();
      throw this.canceledError('spawn');
    }
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

  private getSftp(signal: AbortSignal): Promise<SFTPWrapper> {
    if (this.sftp) return this.sftp;
    const opening = (async () => {
      await this.slots.acquire(signal, () => this.canceledError('SFTP session'));
      try {
        return await new Promise<SFTPWrapper>((resolve, reject) => {
          this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp)));
        });
      } catch (error) {
        this.slots.release();
        throw error;
      }
    })();
    this.sftp = opening.then(
      (sftp) => {
        sftp.on('close', () => {
          if (this.sftp === current) this.sftp = undefined;
          this.slots.release();
        });
        sftp.on('error', () => {});
        return sftp;
      },
      (error: Error & { reason?: unknown }) => {
        if (this.closed) throw this.lostError();
        if ((error as { reason?: unknown }).reason === 1 && this.slots.inUse > 0) {
          // Session refused beyond MaxSessions: retry later, do not fall back.
          this.sftp = undefined;
          throw error;
        }
        // No sftp subsystem (sshd without `Subsystem sftp`): remember and let the caller fall back.
        throw new TransferUnavailableError(`ssh ${this.target.name}: SFTP is not available (${error.message})`);
      },
    );
    const current = this.sftp;
    return current;
  }

  private async transfer(op: (sftp: SFTPWrapper) => Promise<void>, signal: AbortSignal, what: string): Promise<void> {
    if (this.closed) throw this.lostError();
    const sftp = await this.getSftp(signal);
    if (signal.aborted) throw this.canceledError(what);
    const onAbort = (): void => {
      // fastPut/fastGet cannot be canceled: end the SFTP session (reopened next time).
      if (this.sftp) this.sftp = undefined;
      sftp.end();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await op(sftp);
    } catch (error) {
      if (signal.aborted) throw this.canceledError(what);
      if (this.closed) throw this.lostError();
      throw error instanceof RivetError ? error : new Error(`ssh ${this.target.name}: ${what}: ${(error as Error).message}`, { cause: error });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  putPath(localPath: string, remotePath: string, options: OperationOptions): Promise<void> {
    return this.transfer((sftp) => sftpPut(sftp, localPath, remotePath, options.signal), options.signal, `upload ${localPath} to ${remotePath}`);
  }

  getPath(remotePath: string, localPath: string, options: OperationOptions): Promise<void> {
    return this.transfer((sftp) => sftpGet(sftp, remotePath, localPath, options.signal), options.signal, `download ${remotePath} to ${localPath}`);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.lostReason ??= 'connection closed by Rivet';
      this.slots.failAll(this.lostError());
      for (const channel of this.open) channel.close();
      for (const client of this.clients) {
        if (this.endedClients.has(client)) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            client.destroy();
            resolve();
          }, 2000);
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
