/**
 * `rivet init [dir]`: the files it writes, the names it derives, never overwriting (nothing written
 * when one file exists, nothing left when writing fails), and that the project works: its task runs
 * on localhost, its task types declare the task, and (with `rivetops` linked to this checkout, as
 * `npm install` would install it) its plan runs and type-checks. Also the warning for a project
 * file without `name:`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { typesOptions } from '../../src/cli/commands/types.ts';
import { initProjectName, packageNameFor } from '../../src/cli/init/names.ts';
import { generateTaskTypes } from '../../src/codegen/index.ts';
import { loadInventoryFile } from '../../src/runtime/inventory/index.ts';
import { findProject, projectNameFor } from '../../src/runtime/project.ts';
import { makeProject, rivet } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const run = promisify(execFile);

const FILES = [
  '.rivet/tasks.gen.ts',
  'inventory.yaml',
  'modules/hello/tasks/greet.json',
  'modules/hello/tasks/greet.sh',
  'package.json',
  'plans/hello.ts',
  'rivet-project.yaml',
  'tsconfig.json',
];

async function tempDir(): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), 'rivet-init-')));
}

/** Every file below `dir`, relative and sorted. */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** What `npm install` would do for the generated package.json, with this checkout as `rivetops`. */
async function linkRivet(project: string): Promise<void> {
  await mkdir(join(project, 'node_modules'), { recursive: true });
  await symlink(ROOT, join(project, 'node_modules/rivetops'));
  await symlink(join(ROOT, 'node_modules/@types'), join(project, 'node_modules/@types'));
}

describe('rivet init: the files', () => {
  it('writes a project into a new directory, with names from the directory name, and says what to do next', async () => {
    const cwd = await tempDir();
    const r = await rivet(['init', 'nested/My Infra!'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = join(cwd, 'nested/My Infra!');
    expect(await filesIn(dir)).toEqual(FILES);

    const rivetPkg = await readJson<{ version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> }>(join(ROOT, 'package.json'));
    expect(await readJson(join(dir, 'package.json'))).toEqual({
      name: 'my-infra',
      version: '0.1.0',
      private: true,
      description: 'Rivet project my_infra: tasks and typed plans',
      type: 'module',
      scripts: { hello: 'rivet plan run my_infra::hello', types: 'rivet types', 'types:check': 'rivet types --check', typecheck: 'tsc --noEmit' },
      devDependencies: {
        '@types/node': rivetPkg.dependencies['@types/node'],
        rivetops: `^${rivetPkg.version}`,
        tsx: rivetPkg.dependencies['tsx'],
        typescript: rivetPkg.devDependencies['typescript'],
      },
    });
    const tsconfig = await readJson<{ compilerOptions: Record<string, unknown>; include: string[] }>(join(dir, 'tsconfig.json'));
    expect(tsconfig.compilerOptions).toMatchObject({ module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] });
    expect(tsconfig.include).toEqual(['plans', 'modules', '.rivet/*.ts']);
    expect(await readFile(join(dir, 'rivet-project.yaml'), 'utf8')).toMatch(/^name: my_infra$/m);
    expect(findProject({ cwd: dir }).name).toBe('my_infra');
    expect(loadInventoryFile(join(dir, 'inventory.yaml')).getTargets(['all']).map((t) => [t.name, t.transport])).toEqual([['localhost', 'local']]);
    expect((await stat(join(dir, 'modules/hello/tasks/greet.sh'))).mode & 0o111).toBe(0o111);
    expect(await readFile(join(dir, 'plans/hello.ts'), 'utf8')).toContain("import { definePlan, out, runCommand, runTask } from 'rivetops';");

    expect(r.stdout).toContain("Created the Rivet project 'my_infra' in 'nested/My Infra!':\n  package.json ");
    expect(r.stdout).toMatch(/ {2}\.rivet\/tasks\.gen\.ts +types of 4 tasks and 1 plan/);
    expect(r.stdout).toMatch(/Next steps:\n {2}cd 'nested\/My Infra!'\n {2}npm install <path>\/rivetops-\d+\.\d+\.\d+\.tgz +# the tarball `npm pack` made\b.*\n {2}npx rivet plan run my_infra::hello name=Ada /);
    expect(r.stdout).toContain('npx tsx plans/hello.ts name=Ada');
    expect(r.stdout).toContain('npx rivet types ');
  });

  it('defaults to the current directory; --name names the project', async () => {
    const cwd = join(await tempDir(), 'site');
    await mkdir(cwd);
    await writeFile(join(cwd, 'README.md'), 'mine\n');
    const r = await rivet(['init', '--name', 'ops'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Created the Rivet project 'ops' in the current directory:");
    expect(r.stdout).not.toContain('  cd ');
    expect(await filesIn(cwd)).toEqual([...FILES, 'README.md'].sort());
    expect(findProject({ cwd }).name).toBe('ops');
    expect((await readJson<{ name: string }>(join(cwd, 'package.json'))).name).toBe('site');
    expect(await readFile(join(cwd, 'plans/hello.ts'), 'utf8')).toContain('ops::hello');
  });

  it('an invalid or reserved --name is a usage error, and nothing is written', async () => {
    const cwd = await tempDir();
    const bad = await rivet(['init', 'proj', '--name', 'My-Ops'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "Error: --name 'My-Ops' is not a valid project name: use lowercase letters, digits and _, starting with a letter (^[a-z][a-z0-9_]*$), e.g. 'my_ops'\n",
    );
    const builtin = await rivet(['init', 'proj', '--name', 'package'], { cwd });
    expect(builtin.code).toBe(2);
    expect(builtin.stderr).toMatch(/--name 'package' is the name of a Rivet built-in module/);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('derives valid names from any directory name', () => {
    expect(initProjectName(undefined, 'Web-Ops 2', ['facts', 'package', 'service'])).toBe('web_ops_2');
    expect(initProjectName(undefined, '2048', [])).toBe('my_project');
    expect(initProjectName(undefined, 'package', ['package'])).toBe('package_project');
    expect(packageNameFor('Web Ops (v2)', 'web_ops_v2')).toBe('web-ops-v2');
    expect(packageNameFor('.config', 'config')).toBe('config');
    expect(packageNameFor('日本', 'my_project')).toBe('my-project');
    expect(packageNameFor('node_modules', 'node_modules')).toBe('node-modules');
  });

  it('a project named hello gets its example task from a module of another name', async () => {
    const cwd = await tempDir();
    expect((await rivet(['init', 'hello'], { cwd })).code).toBe(0);
    const dir = join(cwd, 'hello');
    expect(await filesIn(dir)).toContain('modules/greeting/tasks/greet.json');
    expect(await readFile(join(dir, 'plans/hello.ts'), 'utf8')).toContain("runTask('greeting::greet', targets");
    const r = await rivet(['task', 'run', 'greeting::greet', 'name=x', '-t', 'localhost', '--format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
  });
});

describe('rivet init: never overwrites', () => {
  it('refuses when one of its files exists, lists it, exits 2 and writes nothing', async () => {
    const dir = await makeProject({ 'plans/hello.ts': '// mine\n', 'notes.txt': 'x\n' });
    const r = await rivet(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: Cannot create a project in ${dir}: this file exists and rivet init never overwrites:\n  plans/hello.ts\nNothing was written. Move it away, or pass another directory.\n`,
    );
    expect(await filesIn(dir)).toEqual(['notes.txt', 'plans/hello.ts']);
    expect(await readFile(join(dir, 'plans/hello.ts'), 'utf8')).toBe('// mine\n');
  });

  it('lists every file that exists, the generated types included', async () => {
    const dir = await makeProject({ 'package.json': '{}\n', '.rivet/tasks.gen.ts': '' });
    const r = await rivet(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('these files exist and rivet init never overwrites:\n  package.json\n  .rivet/tasks.gen.ts\nNothing was written. Move them away');
  });

  it('a file where the project directory should be is a usage error', async () => {
    const dir = await makeProject({ taken: 'x\n' });
    const r = await rivet(['init', 'taken'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`Error: Cannot create a project in ${join(dir, 'taken')}: it is a file, not a directory\n`);
  });

  it('when writing fails halfway, removes what it wrote (and the directories it made)', async () => {
    // `modules` is a file: package.json and the others are written, then modules/hello/tasks cannot be made.
    const nested = await makeProject({ modules: 'not a directory\n' });
    const failed = await rivet(['init'], { cwd: nested });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Error: .*(ENOTDIR|EEXIST)/);
    expect(await filesIn(nested)).toEqual(['modules']);
    expect(await readdir(nested)).toEqual(['modules']);
  });
});

describe('rivet init: the project works', () => {
  it('its task runs on localhost through the local transport', async () => {
    const dir = join(await tempDir(), 'demo');
    expect((await rivet(['init', dir], { cwd: tmpdir() })).code).toBe(0);
    const r = await rivet(['task', 'run', 'hello::greet', 'name=Ada', 'style=loud', '-t', 'localhost', '--format', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [item] = r.json<{ items: { target: string; status: string; value: Record<string, unknown> }[] }>().items;
    expect(item).toMatchObject({ target: 'localhost', status: 'success', value: { greeting: 'HELLO, ADA!', host: expect.any(String) } });
    const missing = await rivet(['task', 'run', 'hello::greet', '-t', 'localhost'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/name/);
  });

  it(".rivet/tasks.gen.ts declares the task and the plan for 'rivetops', and is what rivet types generates", async () => {
    const dir = join(await tempDir(), 'demo');
    expect((await rivet(['init', dir], { cwd: tmpdir() })).code).toBe(0);
    const types = await readFile(join(dir, '.rivet/tasks.gen.ts'), 'utf8');
    expect(types).toContain("import type { JsonObject, PlanParams, PlanReturn } from 'rivetops';");
    expect(types).toMatch(/'hello::greet': \{\n\s+params: \{[\s\S]*?name: string;\n[\s\S]*?style\?: 'plain' \| 'loud' \| null;\n\s+\};\n\s+result: \{\n\s+greeting: string;\n\s+host: string;/);
    expect(types).toContain("'demo::hello': {\n    params: PlanParams<typeof import('../plans/hello.ts').default>;");
    expect(types).toContain("declare module 'rivetops' {");
    const fresh = await generateTaskTypes({ ...typesOptions(findProject({ cwd: dir })), sdkModule: 'rivetops' });
    expect(fresh.content).toBe(types);
  });

  it("with rivetops installed (linked to this checkout), the plan runs, and the project type-checks against its task types", async () => {
    const dir = join(await tempDir(), 'demo');
    expect((await rivet(['init', dir], { cwd: tmpdir() })).code).toBe(0);
    await linkRivet(dir);

    const r = await rivet(['plan', 'run', 'demo::hello', 'name=Ada'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Starting: plan demo::hello');
    expect(r.stdout).toMatch(/localhost: Hello, Ada! \(from .+\)/);
    expect(r.stdout).toContain('Successful on 1 target: localhost');
    const shown = await rivet(['plan', 'show', 'demo::hello', '--format', 'json'], { cwd: dir });
    expect(shown.json()).toMatchObject({ parameters: { name: { type: 'String[1]', default_value: 'world' }, style: { type: 'Enum[plain, loud]' } } });

    await run(TSC, ['-p', dir]);
    // A wrong parameter value is a compile error, thanks to the generated types.
    const plan = join(dir, 'plans/hello.ts');
    await writeFile(plan, (await readFile(plan, 'utf8')).replace('{ name, style }', "{ name, style: 'quiet' }"));
    const failed = await run(TSC, ['-p', dir]).catch((e: { code: number; stdout: string }) => e);
    expect(failed).toMatchObject({ code: 2, stdout: expect.stringContaining(`Type '"quiet"' is not assignable to type '"plain" | "loud"`) });
  });
});

describe('a project without a name', () => {
  it("plan show warns that the project's plans are ignored and says which name to add", async () => {
    const dir = await makeProject({ 'rivet-project.yaml': 'concurrency: 5\n', 'plans/deploy.ts': 'export {};\n' });
    const r = await rivet(['plan', 'show'], { cwd: dir });
    expect(r.code).toBe(0);
    const suggested = projectNameFor(basename(dir));
    expect(r.stderr).toBe(
      `WARN: ${join(dir, 'rivet-project.yaml')}: the project has no name, so its plans (plans/deploy.ts) are ignored: add 'name: ${suggested}' to run them as ${suggested}::<name> [ID: missing_project_name]\n`,
    );
    expect(r.stdout).toMatch(/^No plans found\./);
    const named = await makeProject({ 'rivet-project.yaml': 'name: site\n', 'plans/deploy.ts': 'export {};\n' });
    expect((await rivet(['plan', 'show'], { cwd: named })).stderr).not.toContain('no name');
  });
});
