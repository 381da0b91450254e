/**
 * The connections of workers' live output (issue 15), on a real Postgres: the controller's
 * listener keeps listening for the batches it awaits after its connection was lost and opened
 * again, and neither side leaves a connection open once it is done.
 */
import pgDriver from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { outputChannel, OutputListener } from '../../src/runtime/durable/live-output.ts';
import { until } from './helpers.ts';

const skip = postgresSkipReason();

describe.skipIf(skip !== undefined)('live output connections', () => {
  let server: PostgresServer;
  let admin: pgDriver.Client;

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pgDriver.Client({ connectionString: server.url });
    await admin.connect();
  }, 300_000);
  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  /** Sends one notification as a worker does (JSON: batch, sequence, target, stream, text). */
  async function send(runId: string, batch: string, text: string): Promise<void> {
    await admin.query('SELECT pg_notify($1, $2)', [outputChannel(runId), JSON.stringify({ b: batch, n: 0, t: 'web1', s: 'out', x: text })]);
  }

  async function listeners(): Promise<number> {
    const { rows } = await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'rivet-controller-output'");
    return Number(rows[0]!.n);
  }

  it('a batch subscribed after the connection was lost and opened again still gets its output when an older batch of the run stops', async () => {
    const logged: string[] = [];
    const listener = new OutputListener(server.url, (text) => logged.push(text));
    const got: string[] = [];
    const stopA = await listener.subscribe('run-1', 'run-1.2.a', (_key, _stream, text) => got.push(`a:${text}`));
    await send('run-1', 'run-1.2.a', 'before');
    await listener.sync();
    expect(got).toEqual(['a:before']);

    // Postgres drops the listener's connection (a restart, a network cut).
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rivet-controller-output'");
    await until('the listener to notice its connection is gone', () => logged.some((l) => l.includes('not received any more')));

    // Batch b of the same run subscribes (a new connection), then batch a finishes.
    const stopB = await listener.subscribe('run-1', 'run-1.2.b', (_key, _stream, text) => got.push(`b:${text}`));
    await stopA();
    await send('run-1', 'run-1.2.b', 'after');
    await listener.sync();
    expect(got).toEqual(['a:before', 'b:after']);

    await stopB();
    await until('the listener to close its connection after the last batch', async () => (await listeners()) === 0);
  }, 120_000);

  it('the last batch stops, and the next one subscribes, while Postgres hangs (frozen): live output never holds the run up', async () => {
    const listener = new OutputListener(server.url, () => {});
    const stopA = await listener.subscribe('run-2', 'run-2.1.a', () => {});
    await listener.sync();
    const thaw = await server.freeze();
    try {
      let stopped = false;
      void stopA().then(() => (stopped = true));
      await until('the stop to settle while Postgres is frozen', () => stopped);
      // A new subscription gives up connecting (bounded) and resolves without listening; sync has nothing to wait for.
      const stopB = await listener.subscribe('run-2', 'run-2.1.b', () => {});
      await listener.sync();
      await thaw();
      await stopB();
    } finally {
      await thaw();
    }
    await until('no listening connection left', async () => (await listeners()) === 0);
  }, 300_000);
});
