/**
 * Durable runs on the local transport (issue 15): secrets never reach Postgres in clear (a canary
 * grepped in a pg_dump), a run without `--durable` never loads DBOS, and bad `--durable` input is
 * a usage error.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rivet } from '../cli/helpers.ts';
import { MODULE_LOG_PRELOAD } from '../helpers/module-log.ts';
import { postgresSkipReason, type PostgresServer } from '../harness/postgres.ts';
import { BIN, controllerExit, durableFixture, jsonLines, localProject, SDK, spawnRivet, startWorker, stopWorker, until } from './helpers.ts';

const skip = postgresSkipReason();
const CANARY_PARAM = 'canary-plan-param-5f1e2d';
const CANARY_TASK = 'canary-task-param-9a8b7c';
const CANARY_PROMPT = 'canary-result-3c4d5e';

function project(): Promise<string> {
  return localProject({ web: ['localhost'] }, {
    'modules/canary/tasks/use.json': JSON.stringify({ parameters: { secret: { type: 'String', sensitive: true } } }),
    'modules/canary/tasks/use.sh': '#!/bin/sh\necho \'{"used": true}\'\n',
    'plans/secret.ts': `import { definePlan, runCommand, runTask, Sensitive } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', token: 'Sensitive[String]' },
  async run({ targets, token }) {
    await runTask('canary::use', targets, { secret: '${CANARY_TASK}' });
    const set = await runCommand('test -n "$TOKEN" && echo token-seen', targets, { envVars: { TOKEN: token } });
    return { seen: set.first?.value['stdout'], kept: new Sensitive('${CANARY_PROMPT}') };
  },
});
`,
    'plans/set.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({ params: { targets: 'TargetSpec' }, run: ({ targets }) => runCommand('true', targets) });
`,
    'plans/plain.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) { return (await runCommand('echo plain', targets)).first?.value['stdout']; } });
`,
  });
}

describe.skipIf(skip !== undefined)('durable runs on local targets', () => {
  let pg: PostgresServer;
  let dir: string;
  durableFixture(project, {}, (set) => ({ pg, dir } = set));

  it('no Sensitive plan parameter, sensitive task parameter or Sensitive result reaches the database in clear (canary in pg_dump)', async () => {
    await pg.createDatabase('rivet_canary');
    const url = pg.urlFor('rivet_canary');
    for (const key of [undefined, 'a-test-key']) {
      const r = spawnRivet(['plan', 'run', 'demo::secret', '-t', 'web', `token=${CANARY_PARAM}`, '--durable', url, '--format', 'jsonl'], dir, key === undefined ? {} : { RIVET_DURABLE_KEY: key });
      expect(await r.exit, r.stderr()).toBe(0);
      expect(jsonLines(r.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: { seen: 'token-seen\n', kept: 'Sensitive [value redacted]' } });
    }
    const dump = await pg.dump('rivet_canary');
    expect(dump).toContain('demo::secret');
    expect(dump).toContain('$rivetSensitive');
    for (const canary of [CANARY_PARAM, CANARY_TASK, CANARY_PROMPT]) expect(dump).not.toContain(canary);
  }, 600_000);

  it('with workers too: the task parameters and env values a worker receives are encrypted (canary in pg_dump)', async () => {
    await pg.createDatabase('rivet_canary_workers');
    const url = pg.urlFor('rivet_canary_workers');
    const key = { RIVET_DURABLE_KEY: 'a-worker-key' };
    // The controller starts once the worker takes batches; a worker that exits first fails the test at once.
    const worker = await startWorker(['--id', 'canary-worker', '--durable', url], dir, key);
    try {
      const r = spawnRivet(['plan', 'run', 'demo::secret', '-t', 'web', `token=${CANARY_PARAM}`, '--durable', url, '--workers', '--format', 'jsonl'], dir, key);
      expect(await controllerExit(r, [worker]), r.stderr()).toBe(0);
      expect(jsonLines(r.stdout()).at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: { seen: 'token-seen\n' } });
    } finally {
      await stopWorker(worker);
    }
    const dump = await pg.dump('rivet_canary_workers');
    expect(dump).toContain('rivet.batch');
    for (const canary of [CANARY_PARAM, CANARY_TASK, CANARY_PROMPT]) expect(dump).not.toContain(canary);
  }, 600_000);

  it('a run without --durable loads no DBOS module; with --durable it does', async () => {
    await pg.createDatabase('rivet_lazy');
    await writeFile(join(dir, 'record.mjs'), MODULE_LOG_PRELOAD);
    const loaded = async (extra: string[]): Promise<string[]> => {
      const log = join(dir, `modules-${extra.length}.log`);
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['--import', join(dir, 'record.mjs'), BIN, 'plan', 'run', 'demo::plain', '-t', 'web', ...extra], { cwd: dir, env: { ...process.env, MODULE_LOG: log } }, (error, _o, stderr) =>
          error ? reject(new Error(stderr)) : resolve(),
        ),
      );
      return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    };
    const plain = await loaded([]);
    expect(plain.filter((u) => /@dbos-inc|\/runtime\/durable\/|\/node_modules\/pg\//.test(u))).toEqual([]);
    const durable = await loaded(['--durable', pg.urlFor('rivet_lazy')]);
    expect(durable.filter((u) => /@dbos-inc/.test(u)).length).toBeGreaterThan(0);
  }, 600_000);

  it('applications: runPlan(..., { durable }) runs durably; openDurable lists and shows runs (rivetops/runtime, plain node)', async () => {
    await pg.createDatabase('rivet_app');
    const url = pg.urlFor('rivet_app');
    const runtimeApi = join(BIN, '..', '..', 'dist', 'runtime', 'index.js');
    await writeFile(
      join(dir, 'app.mjs'),
      `import { createRuntime, openDurable, runPlan, PlanRunner } from ${JSON.stringify(runtimeApi)};
const [cmd, url, runId] = process.argv.slice(2);
if (cmd === 'run') {
  let id;
  const value = await runPlan('demo::plain', { targets: 'web' }, { cwd: process.cwd(), durable: { url, onRunId: (r) => (id = r) } });
  console.log(JSON.stringify({ id, value }));
} else {
  const runtime = await createRuntime({ cwd: process.cwd() });
  const durable = await openDurable({ url, runner: new PlanRunner(runtime), executorId: 'app-1' });
  console.log(JSON.stringify({ runs: await durable.list(), show: await durable.show(runId) }));
  await durable.close();
  await runtime.close();
}
`,
    );
    const node = (args: string[]) =>
      new Promise<string>((resolve, reject) => execFile(process.execPath, [join(dir, 'app.mjs'), ...args], { cwd: dir }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))));
    const started = JSON.parse((await node(['run', url])).trim().split('\n').at(-1)!) as { id: string; value: string };
    expect(started.value).toBe('plain\n');
    const listed = JSON.parse((await node(['list', url, started.id])).trim().split('\n').at(-1)!) as { runs: { runId: string; status: string; plan: string }[]; show: { steps: { step: number; results: { target: string }[] }[] } };
    expect(listed.runs).toEqual([expect.objectContaining({ runId: started.id, status: 'SUCCESS', plan: 'demo::plain' })]);
    expect(listed.show.steps).toEqual([expect.objectContaining({ step: 1, action: 'command', results: [expect.objectContaining({ target: 'localhost', status: 'success' })] })]);
  }, 600_000);

  it('applications: a controller with a stable executorId, SIGKILLed mid-plan, continues the run on its own when it restarts (no resume call)', async () => {
    await pg.createDatabase('rivet_restart');
    const url = pg.urlFor('rivet_restart');
    const runtimeApi = join(BIN, '..', '..', 'dist', 'runtime', 'index.js');
    const app = join(dir, 'controller.mjs');
    await writeFile(
      app,
      `import { createRuntime, openDurable, PlanRunner } from ${JSON.stringify(runtimeApi)};
const [cmd, url, runId] = process.argv.slice(2);
const runtime = await createRuntime({ cwd: process.cwd() });
const durable = await openDurable({ url, runner: new PlanRunner(runtime), executorId: 'controller-a' });
if (cmd === 'start') {
  const run = await durable.start('demo::steps', { targets: 'web' });
  console.log(JSON.stringify({ runId: run.runId }));
  await run.result;
} else {
  // Restarted: DBOS recovered this executor's unfinished run at launch; only watch it finish.
  for (let i = 0; i < 6000; i++) {
    const { run } = await durable.show(runId);
    if (!['PENDING', 'ENQUEUED'].includes(run.status)) { console.log(JSON.stringify({ status: run.status })); break; }
    await new Promise((r) => setTimeout(r, 100));
  }
}
await durable.close();
await runtime.close();
`,
    );
    const at = (f: string): string => join(dir, f);
    await writeFile(
      join(dir, 'plans', 'steps.ts'),
      `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    await runCommand('echo one >> ${at('step1.log')}', targets);
    await runCommand('echo started >> ${at('step2.log')}; while [ ! -e ${at('gate')} ]; do sleep 0.1; done', targets);
    await runCommand('echo three >> ${at('step3.log')}', targets);
    return 'done';
  },
});
`,
    );
    const first = spawn(process.execPath, [app, 'start', url], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const firstExit = new Promise((resolve) => first.on('close', resolve));
    await until('step 2 to start', async () => (await readFile(join(dir, 'step2.log'), 'utf8').catch(() => '')).includes('started'));
    first.kill('SIGKILL');
    await firstExit;
    const runId = (JSON.parse(out.trim().split('\n')[0]!) as { runId: string }).runId;
    await writeFile(join(dir, 'gate'), '');
    const restarted = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [app, 'recover', url, runId], { cwd: dir }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout))),
    );
    expect(JSON.parse(restarted.trim().split('\n').at(-1)!)).toEqual({ status: 'SUCCESS' });
    // Step 1 finished before the kill: not run again. Step 2 was in flight: it ran again. Step 3 ran once.
    expect((await readFile(join(dir, 'step1.log'), 'utf8')).split('\n').filter(Boolean)).toEqual(['one']);
    expect((await readFile(join(dir, 'step2.log'), 'utf8')).split('\n').filter(Boolean)).toEqual(['started', 'started']);
    expect((await readFile(join(dir, 'step3.log'), 'utf8')).split('\n').filter(Boolean)).toEqual(['three']);
  }, 600_000);

  it('I-18: plan run --durable records its ResultSet for --rerun; plan resume and retry leave the record alone', async () => {
    await pg.createDatabase('rivet_rerun');
    const url = pg.urlFor('rivet_rerun');
    const record = join(dir, '.rivet', 'rerun.json');
    const run = spawnRivet(['plan', 'run', 'demo::set', '-t', 'web', '--durable', url, '--format', 'jsonl'], dir);
    expect(await run.exit, run.stderr()).toBe(0);
    expect(JSON.parse(await readFile(record, 'utf8'))).toEqual([{ target: 'localhost', status: 'success' }]);
    const runId = (jsonLines(run.stdout()).find((e) => e['type'] === 'durable_run') as { runId: string }).runId;
    const kept = JSON.stringify([{ target: 'elsewhere', status: 'failure' }]);
    await writeFile(record, kept);
    for (const args of [['resume', runId], ['retry', runId, '--from-step', '1']]) {
      const r = spawnRivet(['plan', ...args, '--durable', url, '--format', 'json'], dir);
      expect(await r.exit, r.stderr()).toBe(0);
      expect(await readFile(record, 'utf8')).toBe(kept);
    }
  }, 600_000);

  it('--durable without a URL names the three places a URL comes from; a non-postgres URL is refused', async () => {
    const none = await rivet(['plan', 'run', 'demo::plain', '-t', 'web', '--durable'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--durable <postgres-url>, the project's 'durable' setting, or RIVET_DURABLE_URL");
    const bad = await rivet(['plan', 'runs', '--durable', 'mysql://u:pw@h/db'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must be a postgres:// URL, got one starting 'mysql:'");
    expect(bad.stderr).not.toContain('pw');
  });
});
