/**
 * Controllers on one database do not take each other's runs (issue 15): while controller A runs a
 * long durable plan (its step waits for a file the test creates), `rivet plan resume` of a run
 * SIGKILLed earlier, `rivet plan retry --from-step`, and a resume of a run whose resumer died
 * before starting it, and of a run an application started and died with, each run in the process
 * that asked for it: its output shows the plan's
 * messages and result, DBOS records that process's executor ID on the run, and A's output never
 * names the run. A `plan resume` of a run whose controller (or another resume of it) is alive is
 * refused (`rivet/durable-executor-busy`): the run's steps run once.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { systemDatabaseUrl } from '../../src/runtime/durable/system-db-url.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresSkipReason, type PostgresServer } from '../harness/postgres.ts';
import { BIN, durableFixture, jsonLines, localProject, markerDir, runIdOf, SDK, until, type Spawned } from './helpers.ts';

const skip = postgresSkipReason();
const KEY = { RIVET_DURABLE_KEY: 'a-controllers-test-key' };

/** The runtime API as an application imports it (the build in dist/). */
const RUNTIME_API = join(BIN, '..', '..', 'dist', 'runtime', 'index.js');

/**
 * Three steps on `localhost`; step 2 waits for `<dir>/<label>.gate`. Each step appends to
 * `<dir>/<label>.log`. `app.mjs` is an application of the runtime API (argv: URL, executor ID, then
 * `start LABEL DIR`: start a gated run, print its id and await it; `open`: only open durable runs
 * and close them; `resume RUN`: once open, print `ready`, and resume the run when a line comes on
 * stdin); what it gets is printed as JSON, an error as its kind and msg with exit code 1.
 */
function project(): Promise<string> {
  return localProject(
    { web: ['localhost'] },
    {
      'plans/gated.ts': `import { definePlan, out, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', dir: 'String', label: 'String' },
  async run({ targets, dir, label }) {
    const log = dir + '/' + label + '.log';
    await runCommand('echo one >> ' + log, targets);
    out.message(label + ' is at the gate');
    await runCommand('echo two >> ' + log + '; until [ -e ' + dir + '/' + label + '.gate ]; do sleep 0.1; done', targets);
    out.message(label + ' passed the gate');
    await runCommand('echo three >> ' + log, targets);
    return label + ' done';
  },
});
`,
      'app.mjs': `import { createRuntime, openDurable, PlanRunner } from ${JSON.stringify(RUNTIME_API)};
const [url, executorId, mode, ...rest] = process.argv.slice(2);
const runtime = await createRuntime({ cwd: process.cwd() });
let durable;
try {
  durable = await openDurable({ url, runner: new PlanRunner(runtime), executorId });
  if (mode === 'start') {
    const run = await durable.start('demo::gated', { targets: 'web', dir: rest[1], label: rest[0] });
    console.log(JSON.stringify({ runId: run.runId }));
    await run.result;
  } else if (mode === 'resume') {
    console.log(JSON.stringify({ ready: true }));
    await new Promise((resolve) => process.stdin.once('data', resolve));
    process.stdin.destroy();
    console.log(JSON.stringify({ result: await durable.resume(rest[0]) }));
  }
} catch (error) {
  console.log(JSON.stringify({ kind: error.kind, msg: error.message }));
  process.exitCode = 1;
}
await durable?.close();
await runtime.close();
`,
    },
  );
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe.skipIf(skip !== undefined)('durable controllers on one database', () => {
  let pg: PostgresServer;
  let markers: string;
  let url: string;
  let client: DBOSClient;
  const { controller: rivetProcess, node } = durableFixture(project, KEY, (set) => (pg = set.pg));

  beforeAll(async () => {
    await pg.createDatabase('rivet_controllers');
    url = pg.urlFor('rivet_controllers');
    markers = await markerDir();
    client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(url) });
  }, 300_000);
  afterAll(async () => {
    await client?.destroy();
    if (markers !== undefined) await rm(markers, { recursive: true, force: true });
  });

  /** `rivet plan run demo::gated label=LABEL --durable --format jsonl`. */
  function runGated(label: string): Spawned {
    return rivetProcess(['plan', 'run', 'demo::gated', '-t', 'web', `dir=${markers}`, `label=${label}`, '--durable', url, '--format', 'jsonl']);
  }

  /** Resolves once `p`'s run of `label` waits at its gate; throws with `p`'s output if it exits first. */
  async function atTheGate(p: Spawned, label: string): Promise<void> {
    await until(`${label} to wait at the gate`, async () => {
      if (p.child.exitCode !== null) throw new Error(`the run of ${label} exited (${p.child.exitCode}) before its gate:\n${p.stderr()}\n${p.stdout()}`);
      return (await lines(join(markers, `${label}.log`))).includes('two');
    });
  }

  /** Starts a run of `label`, SIGKILLs its controller while step 2 waits at the gate; the run id. */
  async function killedAtTheGate(label: string): Promise<string> {
    const victim = runGated(label);
    await atTheGate(victim, label);
    victim.child.kill('SIGKILL');
    await victim.exit;
    return runIdOf(victim);
  }

  /** A finished controller's run: exit 0, the plan's messages and result in its output, all of its events about `runId`. */
  async function expectRanHere(p: Spawned, runId: string, label: string): Promise<void> {
    expect(await p.exit, p.stderr()).toBe(0);
    const events = jsonLines(p.stdout());
    expect(events.filter((e) => e['type'] === 'message').map((e) => e['text'])).toEqual(expect.arrayContaining([`${label} passed the gate`]));
    expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: `${label} done` });
    expect(events.filter((e) => e['type'] === 'target_finish').length).toBeGreaterThan(0);
    expect(events.every((e) => e['runId'] === runId)).toBe(true);
    const status = await client.getWorkflow(runId);
    expect(status).toMatchObject({ status: 'SUCCESS', executorId: `rivet-controller-${runId}` });
  }

  it('plan resume and plan retry --from-step run in the process that asked, never in a controller already running on the database', async () => {
    const victimId = await killedAtTheGate('victim');

    // Controller A: a long run, held at its gate until the end of the test.
    const a = runGated('long');
    await atTheGate(a, 'long');
    const aId = runIdOf(a);

    // B resumes the killed run: step 1 is not run again, step 2 (in flight when it was killed) is, then step 3.
    await writeFile(join(markers, 'victim.gate'), '');
    const b = rivetProcess(['plan', 'resume', victimId, '--durable', url, '--format', 'jsonl']);
    await expectRanHere(b, victimId, 'victim');
    expect(await lines(join(markers, 'victim.log'))).toEqual(['one', 'two', 'two', 'three']);

    // C retries it from step 3: a new run, run by C.
    const c = rivetProcess(['plan', 'retry', victimId, '--from-step', '3', '--durable', url, '--format', 'jsonl']);
    await until('the retry to be announced', () => jsonLines(c.stdout()).some((e) => e['type'] === 'durable_run'));
    const retryId = runIdOf(c);
    await expectRanHere(c, retryId, 'victim');
    expect(await lines(join(markers, 'victim.log'))).toEqual(['one', 'two', 'two', 'three', 'three']);

    // A is still at its gate and never ran either run; then it finishes its own.
    expect(a.child.exitCode).toBeNull();
    await writeFile(join(markers, 'long.gate'), '');
    expect(await a.exit, a.stderr()).toBe(0);
    for (const output of [a.stdout(), a.stderr()]) {
      expect(output).not.toContain(victimId);
      expect(output).not.toContain(retryId);
    }
    expect(jsonLines(a.stdout()).every((e) => e['runId'] === aId)).toBe(true);
    expect(await lines(join(markers, 'long.log'))).toEqual(['one', 'two', 'three']);
    // Each controller deleted its own queue when it closed (the SIGKILLed one's went with its resumer's: same executor ID).
    expect((await client.listQueues()).map((q) => q.name).filter((name) => name.startsWith('rivet-controller:'))).toEqual([]);
  }, 600_000);

  it('a run left queued on the queue of a resumer that died before starting it is resumed by the next plan resume, wherever it runs', async () => {
    const orphanId = await killedAtTheGate('orphan');
    // What a resumer that died between queueing the run on its own queue and starting it leaves behind.
    await client.resumeWorkflow(orphanId, { queueName: 'rivet-controller:a-resumer-that-died' });
    expect(await client.getWorkflow(orphanId)).toMatchObject({ status: 'ENQUEUED', queueName: 'rivet-controller:a-resumer-that-died' });

    const a = runGated('other');
    await atTheGate(a, 'other');

    await writeFile(join(markers, 'orphan.gate'), '');
    const b = rivetProcess(['plan', 'resume', orphanId, '--durable', url, '--format', 'jsonl']);
    await expectRanHere(b, orphanId, 'orphan');
    expect(await lines(join(markers, 'orphan.log'))).toEqual(['one', 'two', 'two', 'three']);

    await writeFile(join(markers, 'other.gate'), '');
    expect(await a.exit, a.stderr()).toBe(0);
    expect(a.stdout() + a.stderr()).not.toContain(orphanId);
  }, 600_000);

  /** A refused `plan resume`: non-zero exit, `rivet/durable-executor-busy` naming the run and its executor, and no plan output. */
  async function expectRefused(p: Spawned, runId: string): Promise<void> {
    expect(await p.exit, p.stdout()).not.toBe(0);
    const output = p.stdout() + p.stderr();
    expect(output).toContain('rivet/durable-executor-busy');
    expect(output).toContain(`Run ${runId} is being run by a live controller (executor rivet-controller-${runId})`);
    expect(jsonLines(p.stdout()).filter((e) => e['type'] === 'message')).toEqual([]);
  }

  it('plan resume of a run whose controller is alive is refused, changes nothing, and the run finishes once in its controller', async () => {
    const a = runGated('alive');
    await atTheGate(a, 'alive');
    const runId = runIdOf(a);
    const before = await client.getWorkflow(runId);
    expect(before).toMatchObject({ status: 'PENDING', executorId: `rivet-controller-${runId}` });

    await expectRefused(rivetProcess(['plan', 'resume', runId, '--durable', url, '--format', 'jsonl']), runId);
    // Nothing moved: the run is still its controller's, and no other controller's queue was left behind.
    expect(await client.getWorkflow(runId)).toMatchObject({ status: 'PENDING', executorId: `rivet-controller-${runId}`, queueName: before?.queueName });
    expect(a.child.exitCode).toBeNull();

    await writeFile(join(markers, 'alive.gate'), '');
    expect(await a.exit, a.stderr()).toBe(0);
    expect(await lines(join(markers, 'alive.log'))).toEqual(['one', 'two', 'three']);
    expect(await client.getWorkflow(runId)).toMatchObject({ status: 'SUCCESS', executorId: `rivet-controller-${runId}` });
  }, 600_000);

  it('a second plan resume of a run the first resume is running is refused; after a SIGKILL of the resumer, plan resume works', async () => {
    const runId = await killedAtTheGate('twice');
    // The first resume runs step 2 again and waits at the gate: a second `two` line.
    const first = rivetProcess(['plan', 'resume', runId, '--durable', url, '--format', 'jsonl']);
    await until('the first resume to wait at the gate', async () => {
      if (first.child.exitCode !== null) throw new Error(`the first resume exited (${first.child.exitCode}):\n${first.stderr()}`);
      return (await lines(join(markers, 'twice.log'))).filter((l) => l === 'two').length === 2;
    });

    await expectRefused(rivetProcess(['plan', 'resume', runId, '--durable', url, '--format', 'jsonl']), runId);
    expect(first.child.exitCode).toBeNull();

    // The resumer dies too: its lock goes with its connection, and the next resume takes the run.
    first.child.kill('SIGKILL');
    await first.exit;
    await writeFile(join(markers, 'twice.gate'), '');
    const third = rivetProcess(['plan', 'resume', runId, '--durable', url, '--format', 'jsonl']);
    await expectRanHere(third, runId, 'twice');
    expect(await lines(join(markers, 'twice.log'))).toEqual(['one', 'two', 'two', 'two', 'three']);
  }, 600_000);

  /** The last JSON line `p` printed. */
  function lastJson(p: Spawned): unknown {
    return JSON.parse(p.stdout().trim().split('\n').at(-1)!);
  }

  it('two applications (two other executors) resuming one run at the same moment: one resumes it, the other is refused and exits non-zero, the run finishes once', async () => {
    // A few attempts, so the two resumes overlap at least once: a CANCELLED run, a PENDING one whose controller died, a CANCELLED one.
    for (const [attempt, cancelled] of [[1, true], [2, false], [3, true]] as const) {
      const label = `race${attempt}`;
      const runId = await killedAtTheGate(label);
      if (cancelled) await client.cancelWorkflow(runId);
      expect(await client.getWorkflow(runId)).toMatchObject({ status: cancelled ? 'CANCELLED' : 'PENDING' });

      const ids = [`resumer-a${attempt}`, `resumer-b${attempt}`];
      const resumers = ids.map((id) => node('app.mjs', [url, id, 'resume', runId], { stdin: true }));
      await until('both resumers to be open and ready', () =>
        resumers.every((r) => {
          if (r.child.exitCode !== null) throw new Error(`a resumer exited (${r.child.exitCode}) before it was ready:\n${r.stdout()}\n${r.stderr()}`);
          return r.stdout().includes('{"ready":true}');
        }),
      );
      // Both are told at once; step 2 waits at the gate again, so the one that resumes cannot finish before the other's outcome.
      for (const r of resumers) r.child.stdin!.write('go\n');
      await until('one resumer to give up', () => resumers.some((r) => r.child.exitCode !== null)).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${resumers.map((r, i) => `--- ${ids[i]} ---\n${r.stdout()}${r.stderr()}`).join('\n')}`);
      });
      const lost = resumers.findIndex((r) => r.child.exitCode !== null);
      const [loser, winner, winnerId] = [resumers[lost]!, resumers[1 - lost]!, ids[1 - lost]!];
      expect(await loser.exit, loser.stdout() + loser.stderr()).toBe(1);
      expect(lastJson(loser)).toEqual({
        kind: 'rivet/durable-executor-busy',
        msg: `Run ${runId} is being run by a live controller (executor ${winnerId}); resume it only once that process has stopped`,
      });
      expect(winner.child.exitCode).toBeNull();
      // The run is on the winner's queue (ENQUEUED there, or PENDING once it took it): the loser moved nothing.
      expect(await client.getWorkflow(runId)).toMatchObject({ queueName: `rivet-controller:${winnerId}` });

      await writeFile(join(markers, `${label}.gate`), '');
      expect(await winner.exit, winner.stdout() + winner.stderr()).toBe(0);
      expect(lastJson(winner)).toEqual({ result: `${label} done` });
      // Step 2 ran again once (it was in flight when the controller died), step 3 once.
      expect(await lines(join(markers, `${label}.log`))).toEqual(['one', 'two', 'two', 'three']);
      expect(await client.getWorkflow(runId)).toMatchObject({ status: 'SUCCESS', executorId: winnerId });
    }
  }, 900_000);

  it("plan resume takes over a run of an application's executor that died (another executor ID), while a controller runs", async () => {
    const started = node('app.mjs', [url, 'deployer-1', 'start', 'app', markers]);
    await until('the application run to wait at its gate', async () => (await lines(join(markers, 'app.log'))).includes('two'));
    started.child.kill('SIGKILL');
    await started.exit;
    const appRunId = (JSON.parse(started.stdout().trim().split('\n')[0]!) as { runId: string }).runId;
    expect(await client.getWorkflow(appRunId)).toMatchObject({ status: 'PENDING', executorId: 'deployer-1' });

    const a = runGated('third');
    await atTheGate(a, 'third');

    await writeFile(join(markers, 'app.gate'), '');
    const b = rivetProcess(['plan', 'resume', appRunId, '--durable', url, '--format', 'jsonl']);
    await expectRanHere(b, appRunId, 'app');
    expect(await lines(join(markers, 'app.log'))).toEqual(['one', 'two', 'two', 'three']);

    await writeFile(join(markers, 'third.gate'), '');
    expect(await a.exit, a.stderr()).toBe(0);
    expect(a.stdout() + a.stderr()).not.toContain(appRunId);
  }, 600_000);
});

describe.skipIf(skip !== undefined)('durable controllers on one database: a live application executor', () => {
  let pg: PostgresServer;
  let markers: string;
  let url: string;
  const { controller, node } = durableFixture(project, KEY, (set) => (pg = set.pg));

  beforeAll(async () => {
    await pg.createDatabase('rivet_live_app');
    url = pg.urlFor('rivet_live_app');
    markers = await markerDir();
  }, 300_000);
  afterAll(async () => {
    if (markers !== undefined) await rm(markers, { recursive: true, force: true });
  });

  it("plan resume of a live application's run, and a second process with its executor ID, are refused; the run finishes once", async () => {
    const app = (mode: string): Spawned => node('app.mjs', [url, 'deployer-2', mode, 'live', markers]);
    const live = app('start');
    await until('the application run to wait at its gate', async () => {
      if (live.child.exitCode !== null) throw new Error(`the application exited (${live.child.exitCode}): ${live.stdout()}`);
      return (await lines(join(markers, 'live.log'))).includes('two');
    });
    const runId = (JSON.parse(live.stdout().trim().split('\n')[0]!) as { runId: string }).runId;

    // `plan resume` (executor rivet-controller-<run id>) finds the run PENDING on deployer-2, whose lock is held.
    const resume = controller(['plan', 'resume', runId, '--durable', url, '--format', 'jsonl']);
    expect(await resume.exit, resume.stdout()).not.toBe(0);
    expect(resume.stdout() + resume.stderr()).toContain(`Run ${runId} is being run by a live controller (executor deployer-2)`);

    // The application started again while its old process runs: refused at open.
    const second = app('open');
    expect(await second.exit, second.stdout()).toBe(1);
    expect(JSON.parse(second.stdout().trim())).toMatchObject({ kind: 'rivet/durable-executor-busy', msg: expect.stringContaining("Executor ID 'deployer-2'") });

    await writeFile(join(markers, 'live.gate'), '');
    expect(await live.exit, live.stdout()).toBe(0);
    expect(await lines(join(markers, 'live.log'))).toEqual(['one', 'two', 'three']);
    // Once it stopped, the executor ID is free again.
    expect(await app('open').exit).toBe(0);
  }, 600_000);
});
