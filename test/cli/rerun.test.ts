/**
 * `--rerun failure|success|all` (I-18): each ad-hoc run and plan run records its results in
 * `<project>/.rivet/rerun.json` (Bolt's `.rerun.json` shape), `--rerun` targets the chosen set of
 * the last run (for a plan: its `targets` parameter), `--no-save-rerun` keeps the record, and
 * misuse is a clear error.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';
import { RivetError } from '../../src/core/errors.ts';
import { savePlanRerun } from '../../src/cli/rerun.ts';

const PROJECT = {
  'rivet-project.yaml': 'name: again\n',
  'inventory.yaml': ['targets:', '  - name: good', '  - name: bad', '  - name: fine', 'config:', '  transport: local', ''].join('\n'),
};

interface Envelope {
  items: { target: string; status: string }[];
}

async function run(cwd: string, args: string[]): Promise<ReturnType<typeof rivet>> {
  return rivet(['command', 'run', 'true', ...args, '--format', 'json'], { cwd });
}

describe('--rerun (I-18)', () => {
  it('I-18: records each target\'s status and reruns the failed, the successful or all of them', async () => {
    const cwd = await makeProject(PROJECT);
    const r1 = await rivet(['command', 'run', 'true', '-t', 'all', '--format', 'json'], { cwd });
    expect(r1.code).toBe(0);
    const recorded = JSON.parse(await readFile(join(cwd, '.rivet', 'rerun.json'), 'utf8')) as unknown;
    expect(recorded).toEqual([
      { target: 'good', status: 'success' },
      { target: 'bad', status: 'success' },
      { target: 'fine', status: 'success' },
    ]);

    await writeFile(join(cwd, '.rivet', 'rerun.json'), JSON.stringify([{ target: 'good', status: 'success' }, { target: 'bad', status: 'failure' }, { target: 'fine', status: 'success' }]));
    const failed = (await run(cwd, ['--rerun', 'failure'])).json<Envelope>();
    expect(failed.items.map((i) => i.target)).toEqual(['bad']);
    // That run was recorded in its turn: only `bad`, now a success.
    expect(JSON.parse(await readFile(join(cwd, '.rivet', 'rerun.json'), 'utf8'))).toEqual([{ target: 'bad', status: 'success' }]);

    await writeFile(join(cwd, '.rivet', 'rerun.json'), JSON.stringify([{ target: 'good', status: 'success' }, { target: 'bad', status: 'failure' }, { target: 'fine', status: 'success' }]));
    const ok = (await run(cwd, ['--rerun', 'success', '--no-save-rerun'])).json<Envelope>();
    expect(ok.items.map((i) => i.target).sort()).toEqual(['fine', 'good']);
    const all = (await run(cwd, ['--rerun', 'all'])).json<Envelope>();
    expect(all.items.map((i) => i.target).sort()).toEqual(['bad', 'fine', 'good']); // --no-save-rerun kept the record
  });

  it('I-18: a failed target is recorded as a failure and found by --rerun failure', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'exit 3', '-t', 'bad', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    await rivet(['command', 'run', 'true', '-t', 'good', '--no-save-rerun'], { cwd });
    const again = (await run(cwd, ['--rerun', 'failure'])).json<Envelope>();
    expect(again.items.map((i) => [i.target, i.status])).toEqual([['bad', 'success']]);
  });

  it('I-18: clear errors without a record, with a bad record, a bad filter, or with --targets too', async () => {
    const cwd = await makeProject(PROJECT);
    const none = await run(cwd, ['--rerun', 'failure']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--rerun failure: there is no record of a last run \(.*\.rivet\/rerun\.json\)/);

    const both = await run(cwd, ['--rerun', 'all', '-t', 'good']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("Only one targeting option can be given: '--targets' or '--rerun'");

    const bad = await run(cwd, ['--rerun', 'failed']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--rerun.*'failed' is invalid.*failure, success, all/);

    await mkdir(join(cwd, '.rivet'), { recursive: true });
    await writeFile(join(cwd, '.rivet', 'rerun.json'), '{"not": "a list"}');
    const broken = await run(cwd, ['--rerun', 'all']);
    expect(broken.stderr).toMatch(/--rerun all: missing data in .*rerun\.json/);
    await writeFile(join(cwd, '.rivet', 'rerun.json'), JSON.stringify([{ target: 'good', status: 'success' }]));
    const empty = await run(cwd, ['--rerun', 'failure']);
    expect(empty.stderr).toMatch(/--rerun failure: the last run .* had no target with status failure/);
  });

  it('I-16/I-18: a target URI password is not recorded', async () => {
    const cwd = await makeProject(PROJECT);
    await rivet(['command', 'run', 'true', '-t', 'ssh://root:s3cretpw@127.0.0.1:1', '--connect-timeout', '5'], { cwd });
    const text = await readFile(join(cwd, '.rivet', 'rerun.json'), 'utf8');
    expect(JSON.parse(text)).toEqual([{ target: 'ssh://root@127.0.0.1:1', status: 'failure' }]);
    expect(text).not.toContain('s3cretpw');
  });
});

const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));

const PLAN_PROJECT = {
  ...PROJECT,
  'package.json': '{ "type": "module" }\n',
  // Runs `true` on `targets` and `exit 3` on `fail`; returns both as one ResultSet, or (throw=true) fails with the RunFailure.
  'plans/deploy.ts': `import { definePlan, runCommand, ResultSet } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', fail: 'Optional[TargetSpec]', throw: { type: 'Boolean', default: false } },
  async run({ targets, fail, throw: raise }) {
    const ok = await runCommand('true', targets);
    if (fail === undefined) return ok;
    const bad = await runCommand('exit 3', fail, { catchErrors: !raise });
    return new ResultSet([...ok, ...bad]);
  },
});
`,
  'plans/answer.ts': `import { definePlan } from '${SDK}';
export default definePlan({ run: () => ({ answer: 42 }) });
`,
};

const record = async (cwd: string): Promise<unknown> => JSON.parse(await readFile(join(cwd, '.rivet', 'rerun.json'), 'utf8'));

describe('plan run --rerun (I-18)', () => {
  it('I-18: a plan run records the ResultSet it returns, and --rerun fills its targets parameter', async () => {
    const cwd = await makeProject(PLAN_PROJECT);
    const first = await rivet(['plan', 'run', 'again::deploy', '-t', 'good', 'fail=bad', '--format', 'json'], { cwd });
    expect(first.code, first.stderr).toBe(0);
    expect(await record(cwd)).toEqual([
      { target: 'good', status: 'success' },
      { target: 'bad', status: 'failure' },
    ]);

    const again = await rivet(['plan', 'run', 'again::deploy', '--rerun', 'failure', '--format', 'json'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<{ target: string; status: string }[]>().map((r) => [r.target, r.status])).toEqual([['bad', 'success']]);
    expect(await record(cwd)).toEqual([{ target: 'bad', status: 'success' }]);

    await writeFile(join(cwd, '.rivet', 'rerun.json'), JSON.stringify([{ target: 'good', status: 'success' }, { target: 'fine', status: 'failure' }]));
    const all = await rivet(['plan', 'run', 'again::deploy', '--rerun', 'all', '--no-save-rerun', '--format', 'json'], { cwd });
    expect(all.json<{ target: string }[]>().map((r) => r.target)).toEqual(['good', 'fine']);
    expect(await record(cwd)).toEqual([{ target: 'good', status: 'success' }, { target: 'fine', status: 'failure' }]);
  });

  it("I-18: a RunFailure records its ResultSet; any other plan result removes the record (Bolt's Rerun#update)", async () => {
    const cwd = await makeProject(PLAN_PROJECT);
    const failed = await rivet(['plan', 'run', 'again::deploy', '-t', 'good', 'fail=bad', 'throw=true', '--format', 'json'], { cwd });
    expect(failed.code).toBe(1);
    expect(await record(cwd)).toEqual([{ target: 'bad', status: 'failure' }]);

    // A preview contacts no target, --no-save-rerun keeps the record: neither touches it.
    expect((await rivet(['plan', 'run', 'again::deploy', '--rerun', 'failure', '--preview'], { cwd })).code).toBe(0);
    expect((await rivet(['plan', 'run', 'again::answer', '--no-save-rerun'], { cwd })).code).toBe(0);
    expect(await record(cwd)).toEqual([{ target: 'bad', status: 'failure' }]);

    const value = await rivet(['plan', 'run', 'again::answer', '--format', 'json'], { cwd });
    expect(value.json()).toEqual({ answer: 42 });
    expect(existsSync(join(cwd, '.rivet', 'rerun.json'))).toBe(false);
  });

  it("I-18: save-rerun: false in the project file keeps the record of a plan run", async () => {
    const cwd = await makeProject({ ...PLAN_PROJECT, 'rivet-project.yaml': 'name: again\nsave-rerun: false\n' });
    await mkdir(join(cwd, '.rivet'));
    await writeFile(join(cwd, '.rivet', 'rerun.json'), JSON.stringify([{ target: 'fine', status: 'failure' }]));
    const r = await rivet(['plan', 'run', 'again::deploy', '--rerun', 'failure', '--format', 'json'], { cwd });
    expect(r.json<{ target: string }[]>().map((x) => x.target)).toEqual(['fine']);
    await rivet(['plan', 'run', 'again::answer'], { cwd });
    expect(await record(cwd)).toEqual([{ target: 'fine', status: 'failure' }]);
  });

  it('I-18: clear errors for a plan without targets, targets= too, --targets too, no record or a bad filter; the record stays', async () => {
    const cwd = await makeProject(PLAN_PROJECT);
    const none = await rivet(['plan', 'run', 'again::deploy', '--rerun', 'failure'], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--rerun failure: there is no record of a last run \(.*\.rivet\/rerun\.json\)/);

    await mkdir(join(cwd, '.rivet'));
    await writeFile(join(cwd, '.rivet', 'rerun.json'), JSON.stringify([{ target: 'bad', status: 'failure' }]));
    const cases: [string[], RegExp | string][] = [
      [['again::answer', '--rerun', 'failure'], "--rerun failure was given but the plan has no 'targets' parameter"],
      [['again::deploy', '--rerun', 'failure', 'targets=good'], "Pass the targets either with --rerun failure or as the 'targets' parameter, not both"],
      [['again::deploy', '--rerun', 'failure', '--params', '{"targets": "good"}'], "Pass the targets either with --rerun failure or as the 'targets' parameter, not both"],
      [['again::deploy', '--rerun', 'all', '-t', 'good'], "Only one targeting option can be given: '--targets' or '--rerun'"],
      [['again::deploy', '--rerun', 'failed'], /--rerun.*'failed' is invalid.*failure, success, all/],
      [['again::deploy', '--rerun', 'success'], /--rerun success: the last run .* had no target with status success/],
      // A plan that never starts (bad parameter) leaves the record.
      [['again::deploy', '--rerun', 'failure', 'throw=maybe'], /throw/],
    ];
    for (const [args, message] of cases) {
      const r = await rivet(['plan', 'run', ...args], { cwd });
      expect(r.code, args.join(' ')).toBe(2);
      if (typeof message === 'string') expect(r.stderr).toContain(message);
      else expect(r.stderr).toMatch(message);
    }
    expect(await record(cwd)).toEqual([{ target: 'bad', status: 'failure' }]);
  });
});

describe('savePlanRerun (I-18)', () => {
  it("I-18: a durable run's journaled ResultSet or RunFailure is recorded; other journaled values remove the record", async () => {
    const dir = await makeProject({ 'rivet-project.yaml': 'name: again\n' });
    const data = [{ target: 'web1', action: 'command', object: 'true', status: 'failure', value: {} }];
    expect(await savePlanRerun(dir, new RivetError('bolt/run-failure', 'failed', { details: { result_set: data } }), true)).toBeUndefined();
    expect(await record(dir)).toEqual([{ target: 'web1', status: 'failure' }]);
    // Outside a journal a plain array is a plain value: the record goes.
    await savePlanRerun(dir, data);
    expect(existsSync(join(dir, '.rivet', 'rerun.json'))).toBe(false);
    await savePlanRerun(dir, [{ ...data[0], status: 'success' }], true);
    expect(await record(dir)).toEqual([{ target: 'web1', status: 'success' }]);
  });
});
