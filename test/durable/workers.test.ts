/**
 * Durable workers (issue 15, "Workers"): a controller (`rivet plan run --durable --workers`)
 * enqueues each step's targets in batches; two `rivet worker` processes share them. Each worker
 * logs in to the targets as its own SSH user, so the targets' marker files say which worker ran
 * them. Overlap is measured from the order of start/end lines in one append-only log, never from
 * durations.
 */
import { execFile } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { systemDatabaseUrl } from '../../src/runtime/durable/system-db-url.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, rivet } from '../cli/helpers.ts';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { TEST_USERS } from '../harness/users.ts';
import { addresses, controllerExit, jsonLines, markerDir, SDK, spawnRivet, sshProject, startWorker, stopWorker, until, type Spawned } from './helpers.ts';

const skip = sshdSkipReason() ?? postgresSkipReason();
const exec = promisify(execFile);

/** The processes `pgrep ARGS` lists. */
async function pgrep(args: string[]): Promise<number[]> {
  try {
    return (await exec('pgrep', args)).stdout.trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** One step: log start, append `<ssh user>` to the target's marker, log end (optionally wait for a gate on odd targets). */
function markPlan(): string {
  return `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', dir: 'String', gate: { type: 'Boolean', default: false } },
  async run({ targets, dir, gate }) {
    const wait = gate ? 'case $3 in *[13579]) until [ -e ' + dir + '/gate ]; do sleep 0.2; done;; esac; ' : '';
    await runCommand('set -- $SSH_CONNECTION; echo "start $3" >> ' + dir + '/log; ' + wait + 'id -un >> ' + dir + '/t-$3; echo "end $3" >> ' + dir + '/log', targets);
    return 'marked';
  },
});
`;
}

/**
 * A marker directory both workers' SSH users append to: not sticky (Linux's protected_regular
 * refuses appends to another user's file in a sticky world-writable directory), with the shared
 * log made in advance.
 */
async function sharedDir(): Promise<string> {
  const dir = await markerDir();
  await chmod(dir, 0o777);
  await writeFile(join(dir, 'log'), '');
  await chmod(join(dir, 'log'), 0o666);
  return dir;
}

/** The most `start` lines without their `end` at any point of the log. */
function maxOverlap(log: string): number {
  let running = 0;
  let max = 0;
  for (const line of log.split('\n')) {
    if (line.startsWith('start ')) max = Math.max(max, ++running);
    else if (line.startsWith('end ')) running--;
  }
  return max;
}

/** The failed targets' errors of a run's JSONL output (for assertion messages). */
function failures(run: Spawned): string {
  return jsonLines(run.stdout())
    .filter((e) => e['type'] === 'target_finish' && (e['result'] as { status: string }).status !== 'success')
    .slice(0, 5)
    .map((e) => JSON.stringify(e['result']))
    .join('\n');
}

/** Per target: the users (so, workers) that ran its step, one per line of its marker. */
async function markers(dir: string, targets: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of targets) out[t] = (await readFile(join(dir, `t-${t}`), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return out;
}

describe.skipIf(skip !== undefined)('durable workers: batches of targets on rivet worker processes', () => {
  let pg: PostgresServer;
  let sshd: SshdServer;
  /** The same project twice: worker A logs in as TEST_USERS.main, worker B as TEST_USERS.app. */
  let projectA: string;
  let projectB: string;
  const workers: Spawned[] = [];

  beforeAll(async () => {
    [pg, sshd] = await Promise.all([startPostgres(), startSshd({ lastAddress: 201 })]);
    projectA = await sshProject(sshd, 200, { 'plans/mark.ts': markPlan() });
    const asApp = { port: sshd.port, user: TEST_USERS.app, clientKeyPath: sshd.clientKeyPath, knownHostsPath: sshd.knownHostsPath } as SshdServer;
    projectB = await sshProject(asApp, 200, { 'plans/mark.ts': markPlan() });
  }, 300_000);
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all([pg?.stop(), sshd?.stop()]);
    for (const dir of [projectA, projectB]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** A worker that takes batches (a worker that exits before it does fails the test with its stderr). */
  async function worker(project: string, id: string, url: string, extra: string[] = []): Promise<Spawned> {
    const w = await startWorker(['--id', id, '--durable', url, '--concurrency', '5', ...extra], project);
    workers.push(w);
    return w;
  }

  it('two workers share 200 targets in batches; the global concurrency limit holds across both', async () => {
    await pg.createDatabase('rivet_workers');
    const url = pg.urlFor('rivet_workers');
    const dir = await sharedDir();
    // At most one batch at a time over both workers: overlap <= one worker's --concurrency (5), not 10.
    const a = await worker(projectA, 'worker-a', url, ['--global-concurrency', '1']);
    const b = await worker(projectB, 'worker-b', url);

    const controller = spawnRivet(['plan', 'run', 'demo::mark', '--targets', 'all', `dir=${dir}`, '--durable', url, '--workers', '--batch-size', '10', '--format', 'jsonl'], projectA);
    expect(await controllerExit(controller, [a, b]), controller.stderr() + failures(controller)).toBe(0);
    const events = jsonLines(controller.stdout());
    expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 'marked' });
    expect(events.filter((e) => e['type'] === 'target_finish').length).toBe(200);

    const ran = await markers(dir, addresses(200));
    for (const [target, users] of Object.entries(ran)) expect(users, target).toHaveLength(1);
    const byUser = Object.values(ran).map((u) => u[0]);
    // Batches of 10: each worker ran whole batches, and both got some.
    expect(byUser.filter((u) => u === TEST_USERS.main).length % 10).toBe(0);
    expect(byUser.filter((u) => u === TEST_USERS.main).length).toBeGreaterThan(0);
    expect(byUser.filter((u) => u === TEST_USERS.app).length).toBeGreaterThan(0);
    expect(maxOverlap(await readFile(join(dir, 'log'), 'utf8'))).toBeLessThanOrEqual(5);

    const runId = events.find((e) => e['type'] === 'durable_run')!['runId'] as string;
    const shown = await rivet(['plan', 'show-run', runId, '--durable', url, '--format', 'json'], { cwd: projectA });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json<{ steps: { results: unknown[] }[] }>().steps.map((s) => s.results.length)).toEqual([200]);
    await Promise.all([stopWorker(a), stopWorker(b)]);
    await rm(dir, { recursive: true, force: true });
  }, 1_200_000);

  it('a worker SIGKILLed mid-batch, restarted with the same --id, finishes its batches: finished targets do not run again, the ones in flight run again once', async () => {
    await pg.createDatabase('rivet_workers_kill');
    const url = pg.urlFor('rivet_workers_kill');
    const dir = await sharedDir();
    const targets = addresses(40);
    const a = await worker(projectA, 'worker-k', url, ['--global-concurrency', '10', '--concurrency', '50']);
    const controller = spawnRivet(['plan', 'run', 'demo::mark', '--targets', targets.join(','), `dir=${dir}`, 'gate=true', '--durable', url, '--workers', '--batch-size', '20', '--format', 'jsonl'], projectA);
    // Both batches are running: the 20 even targets have a recorded result (Rivet's view), the odd ones wait for the gate.
    const client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(url) });
    try {
      await until('the even targets to be recorded', async () => {
        const batches = await client.listWorkflows({ workflowName: 'rivet.batch' });
        const steps = await Promise.all(batches.map(async (b) => ((await client.listWorkflowSteps(b.workflowID)) ?? []).filter((st) => st.error === null && st.name.startsWith('rivet.1.'))));
        return steps.flat().length === targets.length / 2;
      });
    } finally {
      await client.destroy();
    }
    a.child.kill('SIGKILL');
    await a.exit;
    // Remote work of a dead worker is nobody's: sshd leaves the command of a session without a
    // terminal running when its client dies. Once sshd has dropped the dead worker's connections
    // (no session can start any more), end the odd targets' orphaned waits before opening the gate.
    const [listener] = await pgrep(['-f', `^sshd: .* -f ${sshd.dir}/sshd_config`]);
    expect(listener, 'the sshd listener').toBeDefined();
    await until("sshd to drop the dead worker's connections", async () => (await pgrep(['-P', String(listener)])).length === 0);
    await until('the orphaned waits to end', async () => {
      const left = await pgrep(['-f', `${dir}/gate`]);
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      return left.length === 0;
    });
    const before = await markers(dir, targets);
    await writeFile(join(dir, 'gate'), '');
    const restarted = await worker(projectA, 'worker-k', url, ['--concurrency', '50']);
    expect(await controllerExit(controller, [restarted]), controller.stderr() + failures(controller)).toBe(0);
    expect(jsonLines(controller.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 'marked' });
    const after = await markers(dir, targets);
    for (const [i, t] of targets.entries()) {
      if (i % 2 === 0) {
        // Finished (and recorded) before the kill: DBOS recovery does not run it again.
        expect(before[t], t).toHaveLength(1);
        expect(after[t], t).toHaveLength(1);
      } else {
        // In flight when the worker died: no recorded result, so the restarted worker runs it again
        // (DBOS is at least once for steps without a recorded result); the first attempt was killed
        // before it wrote its marker, so the marker has exactly one line.
        expect(before[t], t).toHaveLength(0);
        expect(after[t], t).toHaveLength(1);
      }
    }
    await stopWorker(restarted);
    await rm(dir, { recursive: true, force: true });
  }, 1_200_000);
});

describe('durable workers: flags', () => {
  it('--workers and --batch-size need --durable; rivet worker needs --id and checks --rate-limit', async () => {
    const project = await makeProject({ 'rivet-project.yaml': 'name: demo\n', 'inventory.yaml': 'targets: []\n', 'plans/p.yaml': 'steps: []\n' });
    try {
      const plain = await rivet(['plan', 'run', 'demo::p', '--workers'], { cwd: project });
      expect(plain.code).toBe(2);
      expect(plain.stderr).toContain('--workers and --batch-size need --durable');
      const noId = await rivet(['worker'], { cwd: project });
      expect(noId.code).not.toBe(0);
      expect(noId.stderr).toContain('--id');
      // Bad numbers are usage errors (exit 2, one line), never a stack trace.
      for (const [args, message] of [
        [['worker', '--id', 'w1', '--rate-limit', 'ten'], '--rate-limit expects BATCHES/SECONDS'],
        [['worker', '--id', 'w1', '--global-concurrency', 'abc'], '--global-concurrency expects a whole number'],
        [['worker', '--id', 'w1', '--worker-concurrency', '0'], '--worker-concurrency expects a whole number'],
        [['plan', 'run', 'demo::p', '--durable', 'postgres://nobody@127.0.0.1:1/x', '--workers', '--batch-size', '0'], '--batch-size expects a whole number'],
        [['plan', 'retry', 'r1', '--from-step', '0', '--durable', 'postgres://nobody@127.0.0.1:1/x'], '--from-step expects a step number'],
      ] as const) {
        const bad = await rivet([...args], { cwd: project });
        expect(bad.code, bad.stderr).toBe(2);
        expect(bad.stderr).toContain(message);
        expect(bad.stderr).not.toMatch(/\n\s+at /);
      }
      const badId = await rivet(['worker', '--id', '../w', '--durable', 'postgres://nobody@127.0.0.1:1/x'], { cwd: project });
      expect(badId.code).toBe(2);
      expect(badId.stderr).toContain("--id expects a name");
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});
