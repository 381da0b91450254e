/**
 * What a project lists (issue 10, groups 9 and 11): the `tasks:`/`plans:` allow-lists of
 * bolt-project.yaml (Bolt: lib/bolt/pal.rb `filter_content`, called by `list_tasks_with_cache`
 * and `list_plans_with_cache` for `task show`/`plan show` only), a project named like one of its
 * modules (Bolt: lib/bolt/pal.rb `detect_project_conflict`), and Rivet's built-in tasks.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));
const task = (out: string): string => `#!/bin/sh\necho '{"out": "${out}"}'\n`;

const ALLOW = {
  'package.json': '{ "type": "module" }\n',
  'bolt-project.yaml': "name: site\ntasks:\n  - demo::shown\n  - 'demo::{a,b}*'\nplans:\n  - site::deploy*\n",
  'inventory.yaml': 'targets: [localhost]\n',
  'modules/demo/tasks/shown.sh': task('shown'),
  'modules/demo/tasks/alpha.sh': task('alpha'),
  'modules/demo/tasks/beta.sh': task('beta'),
  'modules/demo/tasks/hidden.sh': task('hidden'),
  'plans/deploy.ts': `import { definePlan } from '${SDK}';\nexport default definePlan({ description: 'Deploy', run: () => 1 });\n`,
  'plans/deploy_db.ts': `import { definePlan } from '${SDK}';\nexport default definePlan({ run: () => 2 });\n`,
  'plans/cleanup.ts': `import { definePlan } from '${SDK}';\nexport default definePlan({ run: () => 3 });\n`,
};

describe('project allow-lists (I-22)', () => {
  it('I-22: tasks: limits task show to the names and globs listed ({a,b} and * as File.fnmatch? with FNM_EXTGLOB)', async () => {
    const cwd = await makeProject(ALLOW);
    const r = await rivet(['task', 'show', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    // The built-in tasks are not listed either: Bolt filters its packaged modules the same way.
    expect(r.json<{ tasks: [string, string | null][] }>().tasks.map(([n]) => n)).toEqual(['demo::alpha', 'demo::beta', 'demo::shown']);
    const human = await rivet(['task', 'show'], { cwd });
    expect(human.stdout).not.toContain('demo::hidden');
  });

  it('I-22: a task left out of the list still runs (the list is for show only)', async () => {
    const cwd = await makeProject(ALLOW);
    const r = await rivet(['task', 'run', 'demo::hidden', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<{ items: { value: unknown }[] }>().items[0]!.value).toEqual({ out: 'hidden' });
  });

  it('I-22: plans: limits plan show', async () => {
    const cwd = await makeProject(ALLOW);
    const r = await rivet(['plan', 'show', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<{ plans: string[][] }>().plans.map(([n]) => n)).toEqual(['site::deploy', 'site::deploy_db']);
  });

  it('I-22: rivet types types only the listed tasks and plans', async () => {
    const cwd = await makeProject(ALLOW);
    const r = await rivet(['types'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(3 tasks, 2 plans)');
    const content = await readFile(join(cwd, '.rivet', 'tasks.gen.ts'), 'utf8');
    for (const name of ['demo::shown', 'demo::alpha', 'demo::beta', 'site::deploy', 'site::deploy_db']) expect(content).toContain(`'${name}'`);
    for (const name of ['demo::hidden', 'site::cleanup', 'facts']) expect(content).not.toContain(`'${name}'`);
  });

  it('I-22: without lists everything is listed', async () => {
    const cwd = await makeProject({ ...ALLOW, 'bolt-project.yaml': 'name: site\n' });
    const names = (await rivet(['task', 'show', '--format', 'json'], { cwd })).json<{ tasks: [string][] }>().tasks.map(([n]) => n);
    expect(names).toEqual(expect.arrayContaining(['demo::hidden', 'facts', 'package', 'service']));
  });
});

describe('a project named like one of its modules (T-08, T-09)', () => {
  const SHADOW = {
    'bolt-project.yaml': 'name: ops\n',
    'inventory.yaml': 'targets: [localhost]\n',
    'tasks/own.sh': task('project'),
    'modules/ops/tasks/disk.sh': task('disk'),
  };
  const WARNING = "The project 'ops' shadows an existing module of the same name";

  it("T-08: the project wins, with Bolt's warning on task show, task run and rivet types", async () => {
    const cwd = await makeProject(SHADOW);
    const show = await rivet(['task', 'show', '--format', 'json'], { cwd });
    expect(show.stderr).toContain(WARNING);
    expect(show.stderr).toContain(join(cwd, 'modules', 'ops'));
    const names = show.json<{ tasks: [string][] }>().tasks.map(([n]) => n);
    expect(names).toContain('ops::own');
    expect(names).not.toContain('ops::disk');
    const run = await rivet(['task', 'run', 'ops::own', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(WARNING);
    const types = await rivet(['types'], { cwd });
    expect(types.stderr).toContain(WARNING);
    expect((await rivet(['plan', 'show'], { cwd })).stderr).toContain(WARNING);
    expect((await rivet(['inventory', 'show'], { cwd })).stderr).toContain(WARNING);
  });

  it("T-08: the unknown-task error for a hidden task says it again", async () => {
    const cwd = await makeProject(SHADOW);
    const r = await rivet(['task', 'run', 'ops::disk', '-t', 'localhost'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Could not find a task named 'ops::disk'");
    expect(r.stderr).toContain(`${WARNING} (${join(cwd, 'modules', 'ops')})`);
  });

  it('no warning when no module has the project name', async () => {
    const cwd = await makeProject({ ...SHADOW, 'bolt-project.yaml': 'name: site\n' });
    expect((await rivet(['task', 'show'], { cwd })).stderr).toBe('');
  });
});

describe("Rivet's built-in tasks (T-09)", () => {
  it('T-09: task show marks facts, package and service as built in; a project module of the same name wins', async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: site\n', 'modules/facts/tasks/init.sh': task('mine') });
    const human = (await rivet(['task', 'show'], { cwd })).stdout;
    expect(human).toMatch(/ {2}package \(built in\)/);
    expect(human).toMatch(/ {2}service \(built in\)/);
    expect(human).toMatch(/ {2}facts(?! \(built in\))/);
    const detail = await rivet(['task', 'show', 'facts', '--format', 'json'], { cwd });
    expect(detail.json<{ module_dir: string }>().module_dir).toBe(join(cwd, 'modules', 'facts'));
    expect((await rivet(['task', 'show', 'package', '--format', 'json'], { cwd })).json<{ module_dir: string }>().module_dir).toBe('built-in module');
  });
});
