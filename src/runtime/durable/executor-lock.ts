/**
 * One live controller per executor ID: while durable runs are open, the process holds a Postgres
 * session-level advisory lock keyed on its executor ID, on a connection of its own to the system
 * database. A second process opening with the same executor ID (two `rivet plan resume` of one
 * run, an application restarted while its old process still runs) is refused at once, and
 * `resume` of a run owned by another executor takes it over only when that executor's lock is
 * free (its process is dead). Postgres releases a session's locks when the session ends, so a
 * SIGKILLed controller's lock goes with its connection.
 *
 * @example
 * ```ts
 * const lock = await ExecutorLock.acquire(systemDatabaseUrl(url), 'deployer-1', log); // throws rivet/durable-executor-busy
 * await lock.whileFree('rivet-controller-r20261201T143000-1a2b3c4d', () => moveTheRun());
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
/** Bound of the lock connection's connect and of each of its queries. */
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

function connection(url: string, name: string): pg.Client {
  return new pg.Client({ connectionString: url, connectionTimeoutMillis: LOCK_TIMEOUT_MS, query_timeout: LOCK_TIMEOUT_MS, keepAlive: true, application_name: name });
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
  readonly #client: pg.Client;
  readonly #executorId: string;

  private constructor(client: pg.Client, executorId: string) {
    this.#client = client;
    this.#executorId = executorId;
  }

  /**
   * Connects to `url` (the system database, created when missing) and takes `executorId`'s lock.
   * Throws `rivet/durable-executor-busy` when a live process holds it; `onLost` is called (once)
   * if the connection, and so the lock, is lost later.
   */
  static async acquire(url: string, executorId: string, onLost: (reason: string) => void): Promise<ExecutorLock> {
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
    const lock = new ExecutorLock(client, executorId);
    try {
      if (!(await lock.#tryLock(executorId))) throw executorBusy(executorId);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    const lose = (reason: string) => {
      if (lock.#done) return;
      lock.#done = true;
      onLost(reason);
    };
    client.on('error', (error) => lose(redactUrl(error.message, url)));
    client.on('end', () => lose('the connection ended'));
    return lock;
  }

  /** Closed, or its connection lost (reported once). */
  #done = false;

  async #tryLock(executorId: string): Promise<boolean> {
    const { rows } = await this.#client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked', [LOCK_CLASS, controllerQueue(executorId)]);
    return rows[0]?.locked === true;
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

  /** Releases the lock (ends the connection; Postgres releases the session's locks). */
  async close(): Promise<void> {
    this.#done = true;
    await this.#client.end();
  }
}
