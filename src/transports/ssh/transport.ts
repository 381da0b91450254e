/**
 * The `ssh` transport: one ssh2 connection per target, reused for every step, with
 * commands, scripts and transfers built by {@link PosixConnection} on {@link SshPrimitives}.
 *
 * @example
 * ```ts
 * const conn = await new SshTransport().connect(target, { signal });
 * const r = await conn.run('uptime', { signal });
 * await conn.close();
 * ```
 * @module
 */
import type { Target } from '../../core/target.ts';
import { PosixConnection } from '../posix/connection.ts';
import type { ConnectOptions, Connection, Transport } from '../transport.ts';
import type { ResolveEnv } from './config.ts';
import { SshFileCache } from './file-cache.ts';
import { SshPrimitives } from './primitives.ts';

export interface SshTransportOptions {
  /** Where `~`, `$HOME`, `SSH_AUTH_SOCK` and the local user come from (tests inject these). */
  resolveEnv?: ResolveEnv;
}

export class SshTransport implements Transport {
  readonly name = 'ssh' as const;

  /** ssh_config, keys, known_hosts and the local user, read once for all targets of this run. */
  readonly #cache = new SshFileCache();

  constructor(private readonly options: SshTransportOptions = {}) {}

  async connect(target: Target, options: ConnectOptions): Promise<Connection> {
    const primitives = await SshPrimitives.connect(target, {
      signal: options.signal,
      connectTimeoutMs: options.connectTimeoutMs,
      paceHandshake: options.paceHandshake,
      resolveEnv: { ...this.options.resolveEnv, cache: this.#cache },
    });
    return new PosixConnection(primitives);
  }
}
