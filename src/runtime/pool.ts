/**
 * The connection pool of a run: at most one connection per target, opened on first use and
 * reused by later steps (X-07, done better than Bolt's one session per step), with two bounds:
 *
 * - **Open connections** never exceed `limit` (default: the run's concurrency). A connection is
 *   leased while work runs on it; when a new target needs a connection and the pool is full, the
 *   least recently used idle connection is closed first (its slot is free once its socket is
 *   closed), or the new target waits for one. With `keepIdle: false` (ad-hoc commands: a target
 *   has no further work) a connection is closed as soon as its lease ends.
 * - **Handshakes in flight** never exceed `handshakes` overall nor {@link HANDSHAKES_PER_ENDPOINT}
 *   per host and port (below sshd's default `MaxStartups` of 10). A target's connect deadline
 *   starts when its handshake starts, not while it waits for its turn, and an aborted step stops
 *   waiting at once. A connection's later handshakes go through the same queues: the pool hands
 *   every connection a {@link HandshakePacer} (`paceHandshake`), which the SSH transport uses for
 *   the fresh connection that replaces one whose sessions are all held by processes left
 *   running on the target. Such a replacement is not counted against `limit` (see
 *   {@link ConnectionPool.acquire}'s note on replacements).
 * - **Closes** take at most a grace (the target's `disconnect-timeout`, default 5 s, plus
 *   {@link CLOSE_GRACE_EXTRA_MS}): a connection whose close has not finished then (a server that
 *   never answers the disconnect) is destroyed, with a warning, so it never holds the run's end.
 *
 * @example
 * ```ts
 * const pool = new ConnectionPool({ ssh: new SshTransport(), local: new LocalTransport() }, { limit: 10 });
 * const out = await pool.use(target, { signal }, (connection) => connection.run('uptime', { signal }));
 * await pool.closeAll();
 * ```
 * @module
 */
import PQueue from 'p-queue';
import { ErrorKind, RivetError, isRivetError, toRivetError } from '../core/errors.ts';
import { safeName, transportOptions, type Target } from '../core/target.ts';
import type { EventBus } from '../core/events.ts';
import type { Connection, HandshakePacer, Transport } from '../transports/transport.ts';

/** Handshakes at once to one host and port: under sshd's default `MaxStartups 10:30:100`. */
export const HANDSHAKES_PER_ENDPOINT = 8;

/** What a close may take beyond the target's own `disconnect-timeout` before it is destroyed. */
export const CLOSE_GRACE_EXTRA_MS = 10_000;

/** Default bound on handshakes in flight over all targets (key exchanges cost the controller CPU). */
export const DEFAULT_HANDSHAKES = 32;

export interface PoolOptions {
  /** Connect timeout when the target sets none (`connect-timeout`, seconds). */
  defaultConnectTimeoutSeconds?: number;
  /** Most connections open (or opening, or closing) at once; default 100. */
  limit?: number | undefined;
  /** Most handshakes in flight at once; default {@link DEFAULT_HANDSHAKES}. */
  handshakes?: number | undefined;
  /** Keep a connection open after its work for later steps (default); false closes it at once. */
  keepIdle?: boolean | undefined;
  /**
   * How long a connection's close may take before the connection is destroyed (milliseconds);
   * default: the target's `disconnect-timeout` (5 s) plus {@link CLOSE_GRACE_EXTRA_MS}.
   */
  closeGraceMs?: number | undefined;
  events?: EventBus | undefined;
}

interface Entry {
  readonly key: string;
  readonly connection: Promise<Connection>;
  users: number;
  lastUsed: number;
}

interface Waiter {
  wake: () => void;
}

export class ConnectionPool {
  readonly #transports: Readonly<Record<string, Transport>>;
  readonly #options: PoolOptions;
  readonly #limit: number;
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  readonly #waiters: Waiter[] = [];
  readonly #handshakes: PQueue;
  readonly #endpointQueues = new Map<string, PQueue>();
  #peak = 0;
  #handshaking = 0;
  #handshakesPeak = 0;
  #handshakesStarted = 0;
  #closed = false;
  #warnedHostKeyCheck = false;

  constructor(transports: Readonly<Record<string, Transport>>, options: PoolOptions = {}) {
    this.#transports = transports;
    this.#options = options;
    this.#limit = positive('connection limit', options.limit ?? 100);
    this.#handshakes = new PQueue({ concurrency: positive('handshake limit', options.handshakes ?? DEFAULT_HANDSHAKES) });
  }

  /** The most connections open at once. */
  get limit(): number {
    return this.#limit;
  }

  /** How many connections are open, opening or closing now. */
  get size(): number {
    return this.#entries.size + this.#closing.size;
  }

  /** The highest {@link size} seen in this run. */
  get peak(): number {
    return this.#peak;
  }

  /** The most handshakes in flight at once in this run (first connects and replacements). */
  get handshakesPeak(): number {
    return this.#handshakesPeak;
  }

  /** Handshakes started in this run (first connects and replacements). */
  get handshakesStarted(): number {
    return this.#handshakesStarted;
  }

  /**
   * Runs `work` on the target's connection (opened if needed) and ends the lease after it. A
   * failed connect rejects, and is tried again on the target's next use.
   */
  async use<T>(target: Target, options: { signal: AbortSignal }, work: (connection: Connection) => Promise<T>): Promise<T> {
    const { connection, release } = await this.acquire(target, options);
    try {
      return await work(connection);
    } finally {
      await release();
    }
  }

  /**
   * Leases the target's connection; call `release` once when the work on it is done. It resolves
   * when the connection is closed, if ending the lease closes it.
   *
   * Replacements: a connection may open a fresh one to its target in place of itself (SSH, when
   * processes left running hold all its sessions), paced like any handshake but not counted
   * against `limit`. The fresh connection takes the place of the old one in the target's one
   * slot; the old one is ended as soon as nothing of the step runs on it (at once, in the usual
   * case), so the overlap is one extra socket per replacing target for a moment. Counting the
   * replacement as a second slot would deadlock a full pool: the slot it waits for is freed only
   * when a step ends, and the steps of every target that needs a replacement wait for theirs.
   */
  async acquire(target: Target, options: { signal: AbortSignal }): Promise<{ connection: Connection; release: () => Promise<void> }> {
    const key = connectionKey(target);
    for (;;) {
      if (this.#closed) throw new RivetError(ErrorKind.Canceled, 'The run has ended; no new connections are opened', { target: target.name });
      if (options.signal.aborted) throw canceled(target);
      let entry = this.#entries.get(key);
      if (entry === undefined && this.size < this.#limit) {
        entry = { key, connection: this.#connect(target, options.signal), users: 0, lastUsed: 0 };
        this.#entries.set(key, entry);
        this.#peak = Math.max(this.#peak, this.size);
        const opened = entry;
        opened.connection.catch(() => this.#forget(opened));
      }
      if (entry !== undefined) {
        entry.users++;
        let connection: Connection;
        try {
          connection = await entry.connection;
        } catch (error) {
          entry.users--;
          throw error;
        }
        return { connection, release: once(() => this.#release(entry)) };
      }
      // Full: make room (the least recently used idle connection) unless room is on its way.
      if (this.#closing.size <= this.#waiters.length) this.#evictIdle();
      await this.#waitForRoom(target, options.signal);
    }
  }

  async #release(entry: Entry): Promise<void> {
    entry.users--;
    entry.lastUsed = performance.now();
    if (entry.users > 0 || this.#entries.get(entry.key) !== entry) return;
    if (this.#options.keepIdle === false || this.#closed) await this.#closeEntry(entry);
    else if (this.#waiters.length > this.#closing.size) this.#evictIdle();
  }

  /** Starts closing the least recently used idle connection; false when every one is in use. */
  #evictIdle(): boolean {
    let lru: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.users === 0 && (lru === undefined || entry.lastUsed < lru.lastUsed)) lru = entry;
    }
    if (lru === undefined) return false;
    this.#options.events?.log('debug', `Closing the connection to ${lru.key} (connection limit ${this.#limit} reached)`);
    void this.#closeEntry(lru);
    return true;
  }

  /** Closes an entry's connection; its slot stays taken until the close is done. */
  #closeEntry(entry: Entry): Promise<void> {
    this.#entries.delete(entry.key);
    const closing: Promise<void> = entry.connection
      .then((c) => this.#closeWithinGrace(c))
      .catch(() => {})
      .finally(() => {
        this.#closing.delete(closing);
        this.#wakeOne();
      });
    this.#closing.add(closing);
    return closing;
  }

  /** Closes the connection; one whose close takes longer than the grace is destroyed. */
  async #closeWithinGrace(connection: Connection): Promise<void> {
    const configured = Number(transportOptions(connection.target)['disconnect-timeout']);
    const graceMs = this.#options.closeGraceMs ?? (Number.isFinite(configured) && configured >= 0 ? configured * 1000 : 5000) + CLOSE_GRACE_EXTRA_MS;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), graceMs)));
    try {
      if ((await Promise.race([connection.close(), expired])) !== 'expired') return;
      this.#options.events?.log('warn', `Closing the connection to ${safeName(connection.target)} did not finish in ${graceMs / 1000} s (the other side never answered): dropped it`);
      connection.destroy?.();
    } finally {
      clearTimeout(timer);
    }
  }

  /** A failed connect frees its slot at once. */
  #forget(entry: Entry): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    this.#wakeOne();
  }

  #wakeOne(): void {
    this.#waiters.shift()?.wake();
  }

  #waitForRoom(target: Target, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        wake: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(canceled(target));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Connects when the target's turn comes: the connect deadline starts with the handshake. */
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
    const paceHandshake: HandshakePacer = (replace, replaceSignal) => {
      this.#options.events?.log('debug', `Waiting to open a fresh connection to ${safeName(target)} in place of its current one`);
      return this.#paced(target, replaceSignal, replace);
    };
    const handshake = async (): Promise<Connection> => {
      const started = performance.now();
      this.#options.events?.log('debug', `Connecting to ${safeName(target)} (${target.transport})`);
      try {
        const connection = await transport.connect(target, { signal, connectTimeoutMs: configured * 1000, paceHandshake });
        this.#options.events?.log('debug', `Connected to ${safeName(target)} in ${Math.round(performance.now() - started)} ms`);
        return connection;
      } catch (error) {
        const rivetError = toRivetError(error, target.name);
        this.#options.events?.log('debug', `Could not connect to ${safeName(target)}: ${rivetError.message}`);
        throw rivetError;
      }
    };
    if (target.transport === 'local') return handshake();
    return this.#paced(target, signal, handshake);
  }

  /**
   * Runs `handshake` when the endpoint's and the run's handshake queues give it a turn; rejects
   * (canceled) when `signal` aborts first, or when the run has ended before the turn came.
   */
  async #paced<T>(target: Target, signal: AbortSignal, handshake: () => Promise<T>): Promise<T> {
    // The queues see `signal` only while the handshake waits for its turn: p-queue rejects a task
    // whose signal aborts even while it runs, and gives its slot to the next one at once. A
    // handshake aborted midway (ended by its own `signal`, in a worker thread a message away)
    // keeps its turn until it has ended, and what it still opened reaches the pool.
    const waiting = new AbortController();
    const stopWaiting = (): void => waiting.abort(signal.reason);
    if (signal.aborted) stopWaiting();
    else signal.addEventListener('abort', stopWaiting, { once: true });
    const counted = async (): Promise<T> => {
      signal.removeEventListener('abort', stopWaiting);
      if (signal.aborted) throw canceled(target);
      if (this.#closed) throw new RivetError(ErrorKind.Canceled, 'The run has ended; no new connections are opened', { target: target.name });
      this.#handshakesStarted++;
      this.#handshakesPeak = Math.max(this.#handshakesPeak, ++this.#handshaking);
      try {
        return await handshake();
      } finally {
        this.#handshaking--;
      }
    };
    const endpoint = this.#endpointQueue(target);
    try {
      return await endpoint.queue.add(() => this.#handshakes.add(counted, { signal: waiting.signal }), { signal: waiting.signal });
    } catch (error) {
      // p-queue rejects a task still waiting for its turn with the signal's reason.
      if (signal.aborted && !isRivetError(error)) throw canceled(target);
      throw error;
    } finally {
      signal.removeEventListener('abort', stopWaiting);
      if (endpoint.queue.size === 0 && endpoint.queue.pending === 0) this.#endpointQueues.delete(endpoint.key);
    }
  }

  #endpointQueue(target: Target): { key: string; queue: PQueue } {
    const options = transportOptions(target);
    const host = String(options['host'] ?? target.host ?? target.name);
    const key = `${target.transport}:${host}:${String(options['port'] ?? target.port ?? '')}`;
    let queue = this.#endpointQueues.get(key);
    if (queue === undefined) {
      queue = new PQueue({ concurrency: HANDSHAKES_PER_ENDPOINT });
      this.#endpointQueues.set(key, queue);
    }
    return { key, queue };
  }

  /** `host-key-check: false` trusts any server (a man in the middle too): said once per run. */
  #warnIfHostKeysUnchecked(target: Target): void {
    if (this.#warnedHostKeyCheck || target.transport !== 'ssh' || transportOptions(target)['host-key-check'] !== false) return;
    this.#warnedHostKeyCheck = true;
    this.#options.events?.log(
      'warn',
      `Host key checking is off (host-key-check: false) for ${safeName(target)} and possibly others: any server, including a man in the middle, is trusted with the login`,
    );
  }

  /** Closes every connection and waits for the closes; safe to call twice. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.wake(); // they see the pool closed
    for (const entry of [...this.#entries.values()]) void this.#closeEntry(entry);
    await Promise.allSettled([...this.#closing]);
  }
}

/** Two inventory entries that reach the same endpoint as the same user share nothing: key by name. */
function connectionKey(target: Target): string {
  return target.name;
}

function canceled(target: Target): RivetError {
  return new RivetError(ErrorKind.Canceled, `Canceled before it finished on ${safeName(target)}`, { target: target.name });
}

function positive(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RivetError(ErrorKind.Usage, `The ${what} must be a whole number of at least 1, got ${String(value)}`);
  return value;
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
