/**
 * One live controller per executor ID: while durable runs are open, the process holds a Postgres
 * session-level advisory lock keyed on its executor ID, on a connection of its own to the system
 * database. A second process opening with the same executor ID (two `rivet plan resume` of one
 * run, an application restarted while its old process still runs) is refused at once, and
 * `resume` of a run owned by another executor takes it over only when that executor's lock is
 * free (its process is dead). Postgres releases a session's locks when the session ends, so a
 * SIGKILLed controller's lock goes with its connection; a live controller whose lock connection
 * was lost takes the lock again on a new connection as soon as it can.
 *
 * Moving a run to a resumer is one-winner across executors too: `resume` checks and moves the run
 * while it holds the run's own lock ({@link ExecutorLock.whileMoving}, a transaction-scoped
 * advisory lock keyed on the run id). A second resumer waits for it, then finds the run on the
 * first one's queue, whose executor is alive, and is refused.
 *
 * @example
 * ```ts
 * const lock = await ExecutorLock.acquire(systemDatabaseUrl(url), 'deployer-1', log); // throws rivet/durable-executor-busy
 * await lock.whileMoving(runId, () => lock.whileFree('rivet-controller-r20261201T143000-1a2b3c4d', runId, () => moveTheRun()));
 * await lock.close();
 * ```
 * @module
 */
import pg from 'pg';
import { RivetError } from '../../core/errors.ts';
import { controllerQueue } from './app.ts';
import { redactUrl } from './database-errors.ts';

/** The stable kind of the error when an executor ID is held by a live process. */
export const EXECUTOR_BUSY = 'rivet/durable-executor-busy';

/** First half of the two-int advisory lock key: Rivet's executor locks (`RIVT`); the second half is `hashtext('rivet-controller:<id>')`. */
const LOCK_CLASS = 0x52495654;
/** First half of the key of a run's move lock (`RIVR`); the second half is `hashtext(<run id>)`. */
const MOVE_CLASS = 0x52495652;
/** After the lock's connection is lost, how long before each attempt to take the lock again. */
const RETAKE_MS = 2_000;
/** Bound of the lock connection's connect and of each of its queries, and of the wait for a run another resumer is moving. */
const LOCK_TIMEOUT_MS = 10_000;

/** `rivet/durable-executor-busy`: a live process holds `executorId`; `runId` names the run it is running, when known. */
export function executorBusy(executorId: string, runId?: string): RivetError {
  const msg =
    runId === undefined
      ? `Executor ID '${executorId}' is in use by a live controller on this database (it holds the executor's lock): stop that process first, or use another executor ID`
      : `Run ${runId} is being run by a live controller (executor ${executorId}); resume it only once that process has stopped`;
  return new RivetError(EXECUTOR_BUSY, msg, { details: { executorId, ...(runId !== undefined ? { runId } : {}) } });
}

/** The `application_name` of the connection holding `executorId`'s lock (Postgres keeps 63 bytes): find it in `pg_stat_activity`. */
export function lockConnectionName(executorId: string): string {
  return `rivet-lock:${executorId}`.slice(0, 63);
}

/** The `application_name` of the connection of `executorId` that holds a run's move lock while it moves the run. */
export function moveConnectionName(executorId: string): string {
  return `rivet-move:${executorId}`.slice(0, 63);
}

/** `rivet/durable-executor-busy`: another resumer (`mover`, its executor ID when known) has been moving the run longer than the wait. */
function runBeingMoved(runId: string, mover: string | undefined): RivetError {
  const who = mover === undefined ? 'another controller' : `executor ${mover}`;
  return new RivetError(EXECUTOR_BUSY, `Run ${runId} is being resumed by ${who}, which has held it for more than ${LOCK_TIMEOUT_MS / 1000} s; resume it only once that process has stopped`, {
    details: { runId, ...(mover !== undefined ? { executorId: mover } : {}) },
  });
}

function connection(url: string, name: string, queryTimeoutMs = LOCK_TIMEOUT_MS): pg.Client {
  return new pg.Client({ connectionString: url, connectionTimeoutMillis: LOCK_TIMEOUT_MS, query_timeout: queryTimeoutMs, keepAlive: true, application_name: name });
}

/** Takes `executorId`'s lock on `client` if no other session holds it (a session holding it already takes it again). */
async function tryLock(client: pg.Client, executorId: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked', [LOCK_CLASS, controllerQueue(executorId)]);
  return rows[0]?.locked === true;
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * Creates `database` (the database of `url`, as pg parsed it) when missing, as DBOS does at
 * launch, which comes after the lock. The name is quoted by pg (`escapeIdentifier`): any name
 * Postgres allows, quotes and spaces included, is created as written.
 */
async function ensureDatabase(url: string, database: string): Promise<void> {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  const admin = connection(parsed.toString(), 'rivet-create-database');
  admin.on('error', () => {});
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } catch (error) {
    // 42P04: created meanwhile by another process.
    if (codeOf(error) !== '42P04') throw error;
  } finally {
    await admin.end().catch(() => {});
  }
}

/** The lock of one controller process on its executor ID (see the module's description). */
export class ExecutorLock {
  /** The connection holding the lock (replaced when the lock is taken again after a loss). */
  #client: pg.Client;
  readonly #url: string;
  readonly #executorId: string;
  readonly #onLost: (reason: string) => void;
  readonly #onRetaken: () => void;
  #closed = false;
  /** The lock's connection was lost and the lock is not held again yet (reported once per loss). */
  #lost = false;
  #retake: NodeJS.Timeout | undefined;

  private constructor(client: pg.Client, url: string, executorId: string, onLost: (reason: string) => void, onRetaken: () => void) {
    this.#client = client;
    this.#url = url;
    this.#executorId = executorId;
    this.#onLost = onLost;
    this.#onRetaken = onRetaken;
  }

  /**
   * Connects to `url` (the system database, created when missing) and takes `executorId`'s lock.
   * Throws `rivet/durable-executor-busy` when a live process holds it. If the connection, and so
   * the lock, is lost later, `onLost` is called, and the lock is taken again on a new connection
   * every {@link RETAKE_MS} until it is held (`onRetaken`) or the lock is closed.
   */
  static async acquire(url: string, executorId: string, onLost: (reason: string) => void, onRetaken: () => void = () => {}): Promise<ExecutorLock> {
    let client = connection(url, lockConnectionName(executorId));
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      // 3D000: no such database. Its name as pg read it from the URL (pg-connection-string decodes the path with decodeURI).
      const database = client.database;
      if (codeOf(error) !== '3D000' || database === undefined) throw error;
      await client.end().catch(() => {});
      await ensureDatabase(url, database);
      client = connection(url, lockConnectionName(executorId));
      client.on('error', () => {});
      await client.connect();
    }
    try {
      if (!(await tryLock(client, executorId))) throw executorBusy(executorId);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    const lock = new ExecutorLock(client, url, executorId, onLost, onRetaken);
    lock.#watch(client);
    return lock;
  }

  /** Reports the loss of `client` (the current lock connection) once, and starts taking the lock again. */
  #watch(client: pg.Client): void {
    const lose = (reason: string) => {
      if (this.#closed || this.#lost || client !== this.#client) return;
      this.#lost = true;
      this.#onLost(reason);
      this.#scheduleRetake();
    };
    client.on('error', (error) => lose(redactUrl(error.message, this.#url)));
    client.on('end', () => lose('the connection ended'));
  }

  #scheduleRetake(): void {
    this.#retake = setTimeout(() => void this.#tryRetake(), RETAKE_MS);
    this.#retake.unref();
  }

  /** One attempt to take the lock again on a new connection; another one later when the database fails or a live process holds it. */
  async #tryRetake(): Promise<void> {
    if (this.#closed) return;
    const client = connection(this.#url, lockConnectionName(this.#executorId));
    client.on('error', () => {});
    let held = false;
    try {
      await client.connect();
      held = await tryLock(client, this.#executorId);
    } catch {
      held = false;
    }
    if (!held || this.#closed) {
      await client.end().catch(() => {});
      if (!this.#closed) this.#scheduleRetake();
      return;
    }
    const old = this.#client;
    this.#client = client;
    this.#lost = false;
    this.#watch(client);
    void old.end().catch(() => {});
    this.#onRetaken();
  }

  async #tryLock(executorId: string): Promise<boolean> {
    return tryLock(this.#client, executorId);
  }

  async #unlock(executorId: string): Promise<void> {
    await this.#client.query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [LOCK_CLASS, controllerQueue(executorId)]);
  }

  /**
   * Runs `work` while holding `executorId`'s lock, then releases it: `executorId`'s process is dead
   * (its lock is free) and cannot start again meanwhile. Throws `rivet/durable-executor-busy`
   * (naming `runId`) when a live process holds it.
   */
  async whileFree<T>(executorId: string, runId: string, work: () => Promise<T>): Promise<T> {
    // Our own lock: a lock taken twice in one session is taken, and must not be released here.
    if (executorId === this.#executorId) return work();
    if (!(await this.#tryLock(executorId))) throw executorBusy(executorId, runId);
    try {
      return await work();
    } finally {
      await this.#unlock(executorId);
    }
  }

  /**
   * Runs `work` (which reads the run's status and moves it) while holding run `runId`'s move lock:
   * an advisory lock of a transaction on a connection of its own, released when `work` settles (or
   * the connection ends). A resumer that comes while another one moves the run waits for it (at
   * most 10 s), then sees where the run went. Past the wait: `rivet/durable-executor-busy`,
   * naming the executor that holds the run (from its connection's `application_name`).
   */
  async whileMoving<T>(runId: string, work: () => Promise<T>): Promise<T> {
    // Queries on this connection may wait for the lock up to lock_timeout: their own bound is longer.
    const client = connection(this.#url, moveConnectionName(this.#executorId), 2 * LOCK_TIMEOUT_MS);
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
      try {
        await client.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [MOVE_CLASS, runId]);
      } catch (error) {
        // 55P03: lock_timeout passed (the transaction is aborted; ending the connection rolls it back).
        if (codeOf(error) === '55P03') throw runBeingMoved(runId, await this.#mover(runId));
        throw error;
      }
      const result = await work();
      await client.query('COMMIT');
      return result;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** The executor whose connection holds run `runId`'s move lock, if one does (read on the lock connection). */
  async #mover(runId: string): Promise<string | undefined> {
    const { rows } = await this.#client
      .query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid = $1::int::oid AND l.objid = (hashtext($2)::bigint & 4294967295)::oid`,
        [MOVE_CLASS, runId],
      )
      .catch(() => ({ rows: [] as { name: string }[] }));
    const prefix = moveConnectionName('');
    const name = rows[0]?.name;
    return name?.startsWith(prefix) === true ? name.slice(prefix.length) : undefined;
  }

  /** Releases the lock (ends the connection; Postgres releases the session's locks). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retake);
    await this.#client.end();
  }
}
