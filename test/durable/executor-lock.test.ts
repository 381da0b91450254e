/**
 * The executor lock (`src/runtime/durable/executor-lock.ts`) against a real Postgres: one holder
 * per executor ID, `whileFree` refuses a held executor and runs on a free one, the database is
 * created when missing (a name with a double quote and a space too), `whileMoving` lets one
 * mover of a run work at a time, and a lock whose connection is ended by the server is reported
 * lost, then taken again on a new connection (the limit docs/durable.md describes).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RivetError } from '../../src/core/errors.ts';
import { EXECUTOR_BUSY, ExecutorLock, lockConnectionName } from '../../src/runtime/durable/executor-lock.ts';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { until } from './helpers.ts';

const skip = postgresSkipReason();

async function refusal(work: Promise<unknown>): Promise<RivetError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RivetError);
  expect((error as RivetError).kind).toBe(EXECUTOR_BUSY);
  return error as RivetError;
}

describe.skipIf(skip !== undefined)('executor lock', () => {
  let server: PostgresServer;
  let url: string;
  beforeAll(async () => {
    server = await startPostgres();
    // Not created first: the lock creates it.
    url = server.urlFor('rivet_executor_lock');
  }, 300_000);
  afterAll(async () => server?.stop());

  it('one holder per executor ID; whileFree refuses a held executor and holds a free one while it works', async () => {
    const a = await ExecutorLock.acquire(url, 'exec-a', () => {});
    const refused = await refusal(ExecutorLock.acquire(url, 'exec-a', () => {}));
    expect(refused.message).toContain("Executor ID 'exec-a'");
    expect(refused.details).toEqual({ executorId: 'exec-a' });

    const b = await ExecutorLock.acquire(url, 'exec-b', () => {});
    const busy = await refusal(b.whileFree('exec-a', 'r1', async () => 'ran'));
    expect(busy.message).toBe('Run r1 is being run by a live controller (executor exec-a); resume it only once that process has stopped');
    expect(busy.details).toEqual({ executorId: 'exec-a', runId: 'r1' });

    // exec-c is dead (nobody holds it): held while the work runs, released after.
    const during = await b.whileFree('exec-c', 'r2', async () => refusal(ExecutorLock.acquire(url, 'exec-c', () => {})));
    expect(during.kind).toBe(EXECUTOR_BUSY);
    const c = await ExecutorLock.acquire(url, 'exec-c', () => {});

    await a.close();
    expect(await b.whileFree('exec-a', 'r1', async () => 'ran')).toBe('ran');
    await Promise.all([b.close(), c.close()]);
  }, 120_000);

  it('creates a missing database whose name holds a double quote and a space (quoted by pg), then locks in it', async () => {
    const name = 'rivet "odd" lock db';
    const oddUrl = server.urlFor(encodeURIComponent(name));
    const lock = await ExecutorLock.acquire(oddUrl, 'exec-odd', () => {});
    try {
      await refusal(ExecutorLock.acquire(oddUrl, 'exec-odd', () => {}));
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', ['rivet%odd%']);
        expect(rows).toEqual([{ datname: name }]);
        // The lock's session is in that database.
        const held = await admin.query<{ datname: string }>('SELECT datname FROM pg_stat_activity WHERE application_name = $1', [lockConnectionName('exec-odd')]);
        expect(held.rows).toEqual([{ datname: name }]);
      } finally {
        await admin.end();
      }
    } finally {
      await lock.close();
    }
  }, 120_000);

  it("whileMoving: one mover of a run at a time across executors; the next waits, then works; past the wait it is refused, naming the holder", async () => {
    const [a, b] = await Promise.all([ExecutorLock.acquire(url, 'mover-a', () => {}), ExecutorLock.acquire(url, 'mover-b', () => {})]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const waiting = async () => (await admin.query('SELECT 1 FROM pg_locks WHERE locktype = $1 AND NOT granted', ['advisory'])).rowCount! > 0;
    try {
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const first = a.whileMoving('run-1', async () => {
        order.push('a moves');
        await held;
        order.push('a done');
      });
      await until('a to hold the run', () => order.length === 1);
      const second = b.whileMoving('run-1', async () => order.push('b moves'));
      // b waits on the run's lock (seen in pg_locks), and does not move it while a does.
      await until('b to wait for the run', waiting);
      expect(order).toEqual(['a moves']);
      // Another run is not held up by it.
      expect(await b.whileMoving('run-2', async () => 'other run')).toBe('other run');
      release();
      await Promise.all([first, second]);
      expect(order).toEqual(['a moves', 'a done', 'b moves']);

      // Held past the wait (10 s): refused, naming the executor that holds it.
      let stop!: () => void;
      const stuck = a.whileMoving('run-3', () => new Promise<void>((resolve) => (stop = resolve)));
      await until('a to hold run-3', () => stop !== undefined);
      const refused = await refusal(b.whileMoving('run-3', async () => 'moved'));
      expect(refused.message).toBe('Run run-3 is being resumed by executor mover-a, which has held it for more than 10 s; resume it only once that process has stopped');
      expect(refused.details).toEqual({ runId: 'run-3', executorId: 'mover-a' });
      stop();
      await stuck;
      // Nothing is left held: the run's lock went with a's transaction.
      expect(await b.whileMoving('run-3', async () => 'moved')).toBe('moved');
    } finally {
      await admin.end();
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);

  it('a lock whose connection the server ends is reported lost, taken again on a new connection (reported), and then refuses another process again', async () => {
    const events: string[] = [];
    const lock = await ExecutorLock.acquire(
      url,
      'exec-lost',
      (reason) => events.push(`lost: ${reason}`),
      () => events.push('retaken'),
    );
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const sessions = async () => (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [lockConnectionName('exec-lost')])).rows.map((r) => r.pid);
    try {
      const [first] = await sessions();
      const { rows } = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend($1) AS ended', [first]);
      expect(rows).toEqual([{ ended: true }]);
      await until('the lock to be taken again', () => events.includes('retaken'));
      expect(events).toHaveLength(2);
      expect(events[0]).toMatch(/^lost: /);
      // Held by a new session, so another process is refused again.
      const now = await sessions();
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(first);
      await refusal(ExecutorLock.acquire(url, 'exec-lost', () => {}));
    } finally {
      await admin.end();
    }
    await lock.close();
    // Closed: no loss reported, nothing taken again, and the executor ID is free.
    const next = await ExecutorLock.acquire(url, 'exec-lost', () => {});
    await next.close();
    expect(events).toHaveLength(2);
  }, 120_000);
});
