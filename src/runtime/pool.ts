/**
 * The connection pool of a run: one connection per target, opened on first use, reused by every
 * step, closed at the end (X-07, done better than Bolt's one session per step).
 *
 * @example
 * ```ts
 * const pool = new ConnectionPool({ ssh: new SshTransport(), local: new LocalTransport() });
 * const conn = await pool.get(target, { signal });
 * await pool.closeAll();
 * ```
 * @module
 */
import { ErrorKind, RivetError, toRivetError } from '../core/errors.ts';
import { transportOptions, type Target } from '../core/target.ts';
import type { EventBus } from '../core/events.ts';
import type { Connection, Transport } from '../transports/transport.ts';

export interface PoolOptions {
  /** Connect timeout when the target sets none (`connect-timeout`, seconds). */
  defaultConnectTimeoutSeconds?: number;
}

export class ConnectionPool {
  readonly #transports: Readonly<Record<string, Transport>>;
  readonly #connections = new Map<string, Promise<Connection>>();
  readonly #options: PoolOptions & { events?: EventBus };
  #closed = false;
  #warnedHostKeyCheck = false;

  constructor(transports: Readonly<Record<string, Transport>>, options: PoolOptions & { events?: EventBus } = {}) {
    this.#transports = transports;
    this.#options = options;
  }

  /** The open (or opening) connection of this target; a failed connect is retried next time. */
  get(target: Target, options: { signal: AbortSignal }): Promise<Connection> {
    if (this.#closed) return Promise.reject(new RivetError(ErrorKind.Canceled, 'The run has ended; no new connections are opened', { target: target.name }));
    const key = connectionKey(target);
    let pending = this.#connections.get(key);
    if (pending === undefined) {
      pending = this.#connect(target, options.signal);
      this.#connections.set(key, pending);
      pending.catch(() => this.#connections.delete(key));
    }
    return pending;
  }

  /** How many connections are open or opening. */
  get size(): number {
    return this.#connections.size;
  }

  async #connect(target: Target, signal: AbortSignal): Promise<Connection> {
    const transport = this.#transports[target.transport];
    if (transport === undefined) {
      const known = Object.keys(this.#transports).join(', ');
      throw new RivetError(ErrorKind.Connect, `The '${target.transport}' transport is not supported by Rivet yet (target ${target.name}; supported: ${known})`, {
        issueCode: 'CONNECT_ERROR',
        target: target.name,
      });
    }
    this.#warnIfHostKeysUnchecked(target);
    const configured = Number(transportOptions(target)['connect-timeout'] ?? this.#options.defaultConnectTimeoutSeconds ?? 10);
    const started = performance.now();
    this.#options.events?.log('debug', `Connecting to ${target.name} (${target.transport})`);
    try {
      const connection = await transport.connect(target, { signal, connectTimeoutMs: configured * 1000 });
      this.#options.events?.log('debug', `Connected to ${target.name} in ${Math.round(performance.now() - started)} ms`);
      return connection;
    } catch (error) {
      const rivetError = toRivetError(error, target.name);
      this.#options.events?.log('debug', `Could not connect to ${target.name}: ${rivetError.message}`);
      throw rivetError;
    }
  }

  /** `host-key-check: false` trusts any server (a man in the middle too): said once per run. */
  #warnIfHostKeysUnchecked(target: Target): void {
    if (this.#warnedHostKeyCheck || target.transport !== 'ssh' || transportOptions(target)['host-key-check'] !== false) return;
    this.#warnedHostKeyCheck = true;
    this.#options.events?.log(
      'warn',
      `Host key checking is off (host-key-check: false) for ${target.name} and possibly others: any server, including a man in the middle, is trusted with the login`,
    );
  }

  /** Closes every connection; safe to call twice. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const pending = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.allSettled(pending.map(async (p) => (await p).close()));
  }
}

/** Two inventory entries that reach the same endpoint as the same user share nothing: key by name. */
function connectionKey(target: Target): string {
  return target.name;
}
