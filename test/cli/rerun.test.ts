/**
 * `--rerun failure|success|all` (I-18): each ad-hoc run records its results in
 * `<project>/.rivet/rerun.json` (Bolt's `.rerun.json` shape), `--rerun` targets the chosen set of
 * the last run, `--no-save-rerun` keeps the record, and misuse is a clear error.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

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
