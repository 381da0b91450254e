/**
 * Steps a durable plan starts together (`Promise.all`) on the same targets each record their own
 * results. A script reads its file and an upload checks its source before the step starts, a
 * command starts at once: the step called last emits its `step_start` first, deterministically.
 * Each step's recorded results (`plan show-run`) and what the plan saw must be its own, and the
 * steps are numbered in the order the plan called them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, rivet } from '../cli/helpers.ts';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { controllerExit, jsonLines, SDK, spawnRivet, startWorker, stopWorker } from './helpers.ts';

const skip = postgresSkipReason();

function project(): Promise<string> {
  return makeProject({
    'package.json': '{ "type": "module" }\n',
    'rivet-project.yaml': 'name: demo\n',
    'inventory.yaml': 'targets:\n  - name: one\n    config: { transport: local }\n  - name: two\n    config: { transport: local }\n',
    'scripts/hello.sh': '#!/bin/sh\necho from-script\n',
    'files/payload.txt': 'payload\n',
    'tasks/hello.sh': '#!/bin/sh\necho \'{"from": "task"}\'\n',
    'plans/together.ts': `import { definePlan, runCommand, runScript, runTask, uploadFile } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', dest: 'String' },
  async run({ targets, dest }) {
    // The task, script and upload await before they start; the command starts at once.
    const [task, script, upload, command] = await Promise.all([
      runTask('demo::hello', targets),
      runScript('scripts/hello.sh', targets),
      uploadFile('files/payload.txt', dest, targets),
      runCommand('echo from-command', targets),
    ]);
    const each = (set, key) => set.results.map((r) => [r.target.name, r.action, r.value[key]]);
    return { task: each(task, 'from'), script: each(script, 'stdout'), upload: each(upload, '_output'), command: each(command, 'stdout') };
  },
});
`,
  });
}

interface Shown {
  run: { status: string };
  steps: { step: number; action: string; object: string | null; results: { target: string; status: string; value: Record<string, unknown> }[] }[];
}

/** What the plan saw and what `show-run` recorded: each step's own results on both targets. */
async function expectOwnResults(dir: string, url: string, stdout: string): Promise<void> {
  const result = jsonLines(stdout).at(-1)!;
  expect(result).toMatchObject({ type: 'plan_result', status: 'success' });
  const value = result['value'] as Record<string, [string, string, unknown][]>;
  expect(value['task']).toEqual([['one', 'task', 'task'], ['two', 'task', 'task']]);
  expect(value['script']).toEqual([['one', 'script', 'from-script\n'], ['two', 'script', 'from-script\n']]);
  expect(value['command']).toEqual([['one', 'command', 'from-command\n'], ['two', 'command', 'from-command\n']]);
  expect(value['upload']!.map(([t, a, o]) => [t, a, String(o).startsWith('Uploaded ')])).toEqual([['one', 'upload', true], ['two', 'upload', true]]);

  const runId = jsonLines(stdout).find((e) => e['type'] === 'durable_run')!['runId'] as string;
  const shown = await rivet(['plan', 'show-run', runId, '--durable', url, '--format', 'json'], { cwd: dir });
  expect(shown.code, shown.stderr).toBe(0);
  const steps = shown.json<Shown>().steps;
  // Numbered in the order the plan called them, though the task was handed to the hook after its metadata loaded.
  expect(steps.map((s) => [s.step, s.action])).toEqual([[1, 'task'], [2, 'script'], [3, 'upload'], [4, 'command']]);
  for (const step of steps) {
    expect(step.results.map((r) => r.target)).toEqual(['one', 'two']);
    for (const r of step.results) {
      expect(r.status, `${step.action} on ${r.target}`).toBe('success');
      if (step.action === 'task') expect(r.value).toEqual({ from: 'task' });
      if (step.action === 'script') expect(r.value['stdout']).toBe('from-script\n');
      if (step.action === 'command') expect(r.value['stdout']).toBe('from-command\n');
      if (step.action === 'upload') expect(String(r.value['_output'])).toMatch(/^Uploaded /);
    }
  }
}

describe.skipIf(skip !== undefined)('durable steps started together on the same targets', () => {
  let pg: PostgresServer;
  let dir: string;
  let dest: string;

  beforeAll(async () => {
    pg = await startPostgres();
    dir = await project();
    dest = await mkdtemp(join(tmpdir(), 'rivet-together-'));
  }, 300_000);
  afterAll(async () => {
    await pg?.stop();
    for (const d of [dir, dest]) if (d !== undefined) await rm(d, { recursive: true, force: true });
  });

  it('each step records and returns its own results, though the command called last starts first', async () => {
    await pg.createDatabase('rivet_together');
    const url = pg.urlFor('rivet_together');
    const r = spawnRivet(['plan', 'run', 'demo::together', '-t', 'one,two', `dest=${join(dest, 'local')}`, '--durable', url, '--format', 'jsonl'], dir);
    expect(await r.exit, r.stderr() + r.stdout()).toBe(0);
    await expectOwnResults(dir, url, r.stdout());
  }, 600_000);

  it('with workers: batches of the four steps run at once in one worker, each records its own results', async () => {
    await pg.createDatabase('rivet_together_workers');
    const url = pg.urlFor('rivet_together_workers');
    const worker = await startWorker(['--id', 'together-worker', '--durable', url], dir);
    try {
      const r = spawnRivet(['plan', 'run', 'demo::together', '-t', 'one,two', `dest=${join(dest, 'workers')}`, '--durable', url, '--workers', '--format', 'jsonl'], dir);
      expect(await controllerExit(r, [worker]), r.stderr() + r.stdout()).toBe(0);
      await expectOwnResults(dir, url, r.stdout());
    } finally {
      await stopWorker(worker);
    }
  }, 600_000);
});
