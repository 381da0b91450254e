/**
 * Running durable runs and workers in practice (issue 15 follow-up), on local targets: a stop is
 * bounded even when Postgres hangs; a controller whose batches no worker takes says so; retry
 * runs on workers; the queue's rate limit holds (counted in Postgres, not timed); a bad durable
 * URL names where it came from; a password in a target URI never reaches Postgres or show-run.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { systemDatabaseUrl } from '../../src/runtime/durable/system-db-url.ts';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from '../cli/helpers.ts';
import { postgresSkipReason, type PostgresServer } from '../harness/postgres.ts';
import { controllerExit, durableFixture, jsonLines, localProject, markerDir, runIdOf, SDK, stopWorker, until } from './helpers.ts';

const skip = postgresSkipReason();
const KEY = { RIVET_DURABLE_KEY: 'an-operations-test-key' };
const CANARY_URI_PASSWORD = 'canary-uri-pw-7e6d5c';
const CANARY_DB_PASSWORD = 'canary-db-pw-4b3a29';

function project(): Promise<string> {
  return localProject({ four: ['l1', 'l2', 'l3', 'l4'] }, {
    'plans/two.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    await runCommand('echo one', targets);
    const set = await runCommand('echo two', targets);
    return set.results.length;
  },
});
`,
    'modules/ops/tasks/wait.json': JSON.stringify({ parameters: { gate: { type: 'Optional[String]' } } }),
    'modules/ops/tasks/wait.sh': '#!/bin/sh\nif [ -n "$PT_gate" ]; then until [ -e "$PT_gate" ]; do sleep 0.2; done; fi\necho \'{"waited": true}\'\n',
    'plans/one_waits.ts': `import { definePlan, runTaskWith } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', dir: 'String' },
  async run({ targets, dir }) {
    const set = await runTaskWith('ops::wait', targets, (t) => (t.name === 'l2' ? { gate: dir + '/gate' } : {}));
    return set.results.length;
  },
});
`,
    'plans/gated.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', dir: 'String' },
  async run({ targets, dir }) {
    await runCommand('touch ' + dir + '/started; until [ -e ' + dir + '/gate ]; do sleep 0.2; done', targets);
    return 'done';
  },
});
`,
  });
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** The run's batch workflows (DBOS status), read from Postgres. */
async function batches(url: string, runId: string): Promise<{ workflowID: string; status: string; dequeuedAt?: number | undefined }[]> {
  const client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(url) });
  try {
    return await client.listWorkflows({ workflowName: 'rivet.batch', workflow_id_prefix: `${runId}.`, loadInput: false, loadOutput: false });
  } finally {
    await client.destroy();
  }
}

describe.skipIf(skip !== undefined)('durable runs and workers in operation', () => {
  let pg: PostgresServer;
  let dir: string;
  const { controller, worker } = durableFixture(project, KEY, (set) => ({ pg, dir } = set));

  it('rivet worker stops within --stop-timeout while Postgres does not answer (frozen, a query in flight): it says so and exits', async () => {
    await pg.createDatabase('ops_stop_worker');
    const w = await worker(['--id', 'stop-worker', '--durable', pg.urlFor('ops_stop_worker'), '--stop-timeout', '2']);
    const thaw = await pg.freeze();
    try {
      // The worker's queue poll is waiting on the frozen server: its DBOS shutdown cannot finish.
      await until('a query waiting on the frozen server', async () => (await pg.unreadBytes()) > 0);
      w.child.kill('SIGTERM');
      expect(await w.exit, w.stderr()).toBe(143);
    } finally {
      await thaw();
    }
    expect(w.stderr()).toContain('Worker stop-worker did not stop cleanly (the database did not answer within 2 s); exiting anyway');
  }, 600_000);

  it('a controller stopped while Postgres does not answer exits after RIVET_DURABLE_STOP_TIMEOUT, naming the resume command', async () => {
    await pg.createDatabase('ops_stop_controller');
    const markers = await markerDir();
    const c = controller(['plan', 'run', 'demo::gated', '-t', 'l1', `dir=${markers}`, '--durable', pg.urlFor('ops_stop_controller'), '--format', 'jsonl'], { RIVET_DURABLE_STOP_TIMEOUT: '2' });
    try {
      await until('the step to run', () => existsSync(join(markers, 'started')));
      const thaw = await pg.freeze();
      try {
        await writeFile(join(markers, 'gate'), '');
        // The target's result is being recorded on the frozen server.
        await until('a query waiting on the frozen server', async () => (await pg.unreadBytes()) > 0);
        c.child.kill('SIGTERM');
        expect(await c.exit, c.stderr()).not.toBe(0);
      } finally {
        await thaw();
      }
      const runId = runIdOf(c);
      expect(jsonLines(c.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'failure', error: { kind: 'rivet/canceled' } });
      expect(c.stdout() + c.stderr()).toContain(`did not finish within 2 s of the stop (the database does not answer); what it recorded is kept: continue it with rivet plan resume ${runId}`);
    } finally {
      await rm(markers, { recursive: true, force: true });
    }
  }, 600_000);

  it('--workers with no worker running: a warning names the waiting batch, its step and how to start a worker; a worker started then finishes the run', async () => {
    await pg.createDatabase('ops_no_worker');
    const url = pg.urlFor('ops_no_worker');
    const c = controller(['plan', 'run', 'demo::two', '-t', 'l1', '--durable', url, '--workers', '--format', 'jsonl']);
    const warning = () => jsonLines(c.stdout()).find((e) => e['type'] === 'log' && e['level'] === 'warn' && String(e['text']).includes('no worker has taken it'));
    await until('the warning about the waiting batch', () => {
      if (c.child.exitCode !== null) throw new Error(`the controller exited: ${c.stderr()}`);
      return warning() !== undefined;
    });
    const text = String(warning()!['text']);
    expect(text).toMatch(/^Batch 1 of 1 of step 1 \(command echo one, 1 target\) has been queued for \d+ s and no worker has taken it\. No worker is running any batch of the rivet-workers queue; start one in the project directory with: rivet worker --id NAME --durable postgres:\/\//);
    expect(warning()!['runId']).toBe(runIdOf(c));
    const w = await worker(['--id', 'late-worker', '--durable', url]);
    try {
      expect(await controllerExit(c, [w]), c.stderr()).toBe(0);
      expect(jsonLines(c.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 1 });
    } finally {
      await stopWorker(w);
    }
  }, 600_000);

  it('plan retry --from-step N --workers --batch-size B runs steps N and later as batches on a worker', async () => {
    await pg.createDatabase('ops_retry_workers');
    const url = pg.urlFor('ops_retry_workers');
    const first = controller(['plan', 'run', 'demo::two', '-t', 'l1,l2', '--durable', url, '--format', 'jsonl']);
    expect(await first.exit, first.stderr()).toBe(0);
    const runId = runIdOf(first);
    expect(await batches(url, runId)).toEqual([]);
    const w = await worker(['--id', 'retry-worker', '--durable', url]);
    try {
      const retried = controller(['plan', 'retry', runId, '--from-step', '2', '--workers', '--batch-size', '1', '--durable', url, '--format', 'jsonl', '--log-level', 'debug']);
      expect(await controllerExit(retried, [w]), retried.stderr() + retried.stdout().slice(-3000) + '\n--- worker ---\n' + w.stderr()).toBe(0);
      expect(jsonLines(retried.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 2 });
      const retryId = runIdOf(retried);
      // Step 1 was copied from the old run; step 2 ran on the worker, one batch per target.
      const ran = await batches(url, retryId);
      expect(ran.map((b) => b.workflowID.split('.')[1]).sort()).toEqual(['2', '2']);
      expect(ran.every((b) => b.status === 'SUCCESS')).toBe(true);
    } finally {
      await stopWorker(w);
    }
  }, 600_000);

  it('the queue rate limit holds: with --rate-limit 2/3600 two of four batches start and two stay queued until a worker sets a higher limit', async () => {
    await pg.createDatabase('ops_rate_limit');
    const url = pg.urlFor('ops_rate_limit');
    const slow = await worker(['--id', 'rate-a', '--durable', url, '--rate-limit', '2/3600']);
    const c = controller(['plan', 'run', 'demo::two', '-t', 'four', '--durable', url, '--workers', '--batch-size', '1', '--format', 'jsonl']);
    await until('the run id', () => jsonLines(c.stdout()).some((e) => e['type'] === 'durable_run'));
    const runId = runIdOf(c);
    await until('two batches to finish', async () => (await batches(url, runId)).filter((b) => b.status === 'SUCCESS').length === 2);
    // The global concurrency is unlimited and the worker idle: only the rate limit keeps these two queued.
    const snapshot = await batches(url, runId);
    expect(snapshot.map((b) => b.status).sort()).toEqual(['ENQUEUED', 'ENQUEUED', 'SUCCESS', 'SUCCESS']);
    const fast = await worker(['--id', 'rate-b', '--durable', url, '--rate-limit', '100/1']);
    try {
      expect(await controllerExit(c, [slow, fast]), c.stderr()).toBe(0);
      expect(jsonLines(c.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 4 });
      const all = await batches(url, runId);
      const queued = new Set(snapshot.filter((b) => b.status === 'ENQUEUED').map((b) => b.workflowID));
      const firstTwo = all.filter((b) => b.workflowID.split('.')[1] === '1' && !queued.has(b.workflowID));
      const later = all.filter((b) => queued.has(b.workflowID));
      // The two held batches started after the first two (order of the recorded starts).
      expect(Math.min(...later.map((b) => b.dequeuedAt!))).toBeGreaterThanOrEqual(Math.max(...firstTwo.map((b) => b.dequeuedAt!)));
    } finally {
      await Promise.all([stopWorker(slow), stopWorker(fast)]);
    }
  }, 900_000);

  it('worker results arrive live: a target that finished on the worker is reported while the rest of its batch still runs', async () => {
    await pg.createDatabase('ops_live');
    const url = pg.urlFor('ops_live');
    const markers = await markerDir();
    const w = await worker(['--id', 'live-worker', '--durable', url]);
    try {
      const c = controller(['plan', 'run', 'demo::one_waits', '-t', 'l1,l2', `dir=${markers}`, '--durable', url, '--workers', '--format', 'jsonl']);
      const finished = () => jsonLines(c.stdout()).filter((e) => e['type'] === 'target_finish').map((e) => e['target']);
      await until('l1 to be reported finished', () => {
        if (c.child.exitCode !== null) throw new Error(`the controller exited: ${c.stderr()}`);
        return finished().includes('l1');
      });
      // One batch of both targets: l2 waits for the gate, so the batch has not finished.
      expect(finished()).toEqual(['l1']);
      expect(jsonLines(c.stdout()).filter((e) => e['type'] === 'step_start')).toHaveLength(1);
      expect(jsonLines(c.stdout()).some((e) => e['type'] === 'step_finish')).toBe(false);
      await writeFile(join(markers, 'gate'), '');
      expect(await controllerExit(c, [w]), c.stderr()).toBe(0);
      expect(finished()).toEqual(['l1', 'l2']);
      expect(jsonLines(c.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 2 });
    } finally {
      await stopWorker(w);
      await rm(markers, { recursive: true, force: true });
    }
  }, 600_000);

  it('an unreachable durable URL: the error names where the URL came from (--durable, the project setting with its file, RIVET_DURABLE_URL) and never its password', async () => {
    const url = `postgres://rivet:${CANARY_DB_PASSWORD}@127.0.0.1:${await closedPort()}/runs`;
    const flag = await rivet(['plan', 'runs', '--durable', url], { cwd: dir });
    expect(flag.code, flag.stderr).toBe(1);
    // (The CLI also removes URI passwords from all it prints: the URL shows as postgres://rivet@...)
    expect(flag.stderr).toContain(`Cannot reach the durable run database postgres://rivet`);
    expect(flag.stderr).toContain('(from --durable)');
    const fromEnv = await rivet(['plan', 'show-run', 'r1'], { cwd: dir, env: { RIVET_DURABLE_URL: url } });
    expect(fromEnv.stderr).toContain('(from RIVET_DURABLE_URL)');
    const other = await makeProject({ 'rivet-project.yaml': `name: demo\ndurable: ${url}\n`, 'inventory.yaml': 'targets: [localhost]\n', 'plans/p.yaml': 'steps: []\n' });
    try {
      const fromProject = await rivet(['plan', 'run', 'demo::p', '--durable'], { cwd: other });
      expect(fromProject.code, fromProject.stderr).toBe(1);
      expect(fromProject.stderr).toContain(`(from the 'durable' setting of ${join(other, 'rivet-project.yaml')})`);
      const workerRun = await rivet(['worker', '--id', 'w1'], { cwd: other });
      expect(workerRun.code, workerRun.stderr).toBe(1);
      expect(workerRun.stderr).toContain('Cannot reach the durable run database postgres://rivet');
      expect(fromEnv.stderr).toContain('Cannot reach the durable run database postgres://rivet');
      for (const r of [flag, fromEnv, fromProject, workerRun]) expect(r.stdout + r.stderr).not.toContain(CANARY_DB_PASSWORD);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    const scheme = await rivet(['plan', 'runs'], { cwd: dir, env: { RIVET_DURABLE_URL: `mysql://u:${CANARY_DB_PASSWORD}@h/db` } });
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain("The durable run database (from RIVET_DURABLE_URL) must be a postgres:// URL, got one starting 'mysql:'");
    expect(scheme.stderr).not.toContain(CANARY_DB_PASSWORD);
  }, 600_000);

  it('a password in a target URI never reaches Postgres or show-run/runs (canary in pg_dump), with and without workers, after resume and retry', async () => {
    await pg.createDatabase('ops_uri_password');
    const url = pg.urlFor('ops_uri_password');
    const targets = `local://bob:${CANARY_URI_PASSWORD}@l1,l2`;
    const w = await worker(['--id', 'uri-worker', '--durable', url]);
    try {
      for (const extra of [[], ['--workers']]) {
        const run = controller(['plan', 'run', 'demo::two', '-t', targets, '--durable', url, ...extra, '--format', 'jsonl']);
        expect(await controllerExit(run, [w]), run.stderr()).toBe(0);
        expect(jsonLines(run.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 2 });
        const runId = runIdOf(run);
        // The plan gets its targets back (decrypted) when it runs again from the journal, and when retried.
        for (const args of [['resume', runId], ['retry', runId, '--from-step', '2']]) {
          const again = controller(['plan', ...args, '--durable', url, ...extra, '--format', 'jsonl']);
          expect(await controllerExit(again, [w]), `${args.join(' ')} ${extra.join(' ')}: ${again.stderr()}${again.stdout().slice(-3000)}`).toBe(0);
          expect(jsonLines(again.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success' });
        }
        for (const format of ['human', 'json']) {
          const shown = await rivet(['plan', 'show-run', runId, '--durable', url, '--format', format], { cwd: dir });
          expect(shown.code, shown.stderr).toBe(0);
          if (format === 'json') expect(shown.stdout).toContain('local://bob@l1');
          expect(shown.stdout + shown.stderr).not.toContain(CANARY_URI_PASSWORD);
        }
      }
      const runs = await rivet(['plan', 'runs', '--durable', url, '--format', 'json'], { cwd: dir });
      expect(runs.stdout + runs.stderr).not.toContain(CANARY_URI_PASSWORD);
    } finally {
      await stopWorker(w);
    }
    const dump = await pg.dump('ops_uri_password');
    expect(dump).toContain('rivet.batch');
    expect(dump).toContain('rivet.2.command:local://bob@l1');
    expect(dump).not.toContain(CANARY_URI_PASSWORD);
  }, 900_000);
});
