/**
 * The package as a user gets it: `npm pack` the built package (dist/, made by `npm run build`,
 * which `npm test` runs first), install the tarball into a fresh app, and use it there the three
 * ways the README promises: typed plans checked by the app's own `tsc` (a stock `tsc --init`
 * config with `module: nodenext`, and a `moduleResolution: bundler` config, both with
 * skipLibCheck off), the application API on plain `node`, and the `rivet` binary through `npx`.
 *
 * The install reads npm's cache first (`npm ci` of this repository filled it with every
 * dependency), so it reaches the registry only for what is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE_LOG_PRELOAD } from '../helpers/module-log.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };
// npm and tsc on a loaded 2-core machine: generous bounds, never a budget the tests are judged by.
const INSTALL_TIMEOUT = 20 * 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell; never throws on a non-zero exit. npm's own variables from `npm test` are left out. */
function run(file: string, args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD' && !key.startsWith('VITEST')));
  return new Promise((resolveRun) => {
    execFile(file, [...args], { cwd, env: { ...env, ...extraEnv }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as NodeJS.ErrnoException).code === 'number' ? ((error as unknown as { code: number }).code) : 1;
      resolveRun({ code, stdout, stderr });
    });
  });
}

async function files(dir: string, tree: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

const APP_FILES: Record<string, string> = {
  'rivet-project.yaml': 'name: demo_app\n',
  'modules/greeter/tasks/greet.json': JSON.stringify({
    description: 'Greets someone',
    input_method: 'environment',
    parameters: { name: { type: 'String[1]', description: 'Who to greet' }, loud: { type: 'Optional[Boolean]' } },
  }),
  'modules/greeter/tasks/greet.sh': '#!/bin/sh\nprintf \'{"greeting": "hello %s"}\\n\' "$PT_name"\n',
  'plans/hello.ts': `import { definePlan, runCommand, runTask } from 'rivetops';

export default definePlan({
  params: {
    targets: { type: 'TargetSpec', default: 'localhost' },
    name: { type: 'String[1]', default: 'world' },
  },
  async run({ targets, name }) {
    await runCommand('true', targets);
    const greetings = await runTask('greeter::greet', targets, { name, loud: false });
    return greetings.toJSON().map((result) => result.value);
  },
});
`,
  // Every public subpath, used the way an application would.
  'app.ts': `import { definePlan, type ResultSet } from 'rivetops';
import { ErrorKind, isRivetError } from 'rivetops/core';
import { createRuntime, runPlan } from 'rivetops/runtime';
import { MockPlanEnvironment } from 'rivetops/testing';
import { LocalTransport } from 'rivetops/transports';
import hello from './plans/hello.js';

export async function main(): Promise<void> {
  const values: unknown[] = await runPlan(hello, { name: 'app' }, { cwd: process.cwd() });
  await using runtime = await createRuntime({ cwd: process.cwd(), transports: { local: new LocalTransport() } });
  const set: ResultSet = await runtime.runCommand('echo hi', 'localhost');
  const env = await MockPlanEnvironment.create();
  console.log(values, set.ok, env, ErrorKind.Usage, isRivetError(undefined), definePlan);
}
`,
  // Plain node: the application API runs the TypeScript plan (tsx is loaded for it, lazily).
  'run-plan.mjs': `import { runPlan } from 'rivetops/runtime';
const result = await runPlan('demo_app::hello', { name: 'node' }, { cwd: process.cwd() });
process.stdout.write(JSON.stringify(result) + '\\n');
`,
  // Plain node, no TypeScript plan: tsx must never be loaded.
  'run-command.mjs': `import { createRuntime } from 'rivetops/runtime';
const runtime = await createRuntime({ cwd: process.cwd() });
const set = await runtime.runCommand('echo from-command', 'localhost');
await runtime.close();
process.stdout.write(JSON.stringify(set.toJSON()) + '\\n');
`,
  // Records every module the process loads (node --import ./record-modules.mjs ...).
  'record-modules.mjs': MODULE_LOG_PRELOAD,
  'plans-typos/typos.ts': `import { definePlan, runTask } from 'rivetops';

export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    await runTask('greeter::greet', targets, { nmae: 'x' });
    await runTask('greeter::nosuch', targets);
  },
});
`,
};

let base: string;
let app: string;
let tarball: string;
let installed: Run;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/sdk/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test runs it first)');
  base = await mkdtemp(join(tmpdir(), 'rivet-package-'));
  // --ignore-scripts: dist/ is already built, and rebuilding it would pull it from under the tests running beside this one.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', base], ROOT);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(base, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);

  app = join(base, 'app');
  await files(app, APP_FILES);
  await chmod(join(app, 'modules/greeter/tasks/greet.sh'), 0o755);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'demo-app', private: true, type: 'module' }, null, 2));
  installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `typescript@${PKG.devDependencies['typescript']}`], app);
  expect(installed.code, installed.stderr).toBe(0);

  // A stock `tsc --init` (module nodenext), extended only to turn skipLibCheck off and to list the files.
  const init = await run('npx', ['--no-install', 'tsc', '--init'], app);
  expect(init.code, init.stdout + init.stderr).toBe(0);
  await rename(join(app, 'tsconfig.json'), join(app, 'tsconfig.init.json'));
  const include = ['plans', 'app.ts', '.rivet/*.ts'];
  await files(app, {
    'tsconfig.json': JSON.stringify({ extends: './tsconfig.init.json', compilerOptions: { skipLibCheck: false }, include }),
    'tsconfig.bundler.json': JSON.stringify({
      compilerOptions: { module: 'preserve', moduleResolution: 'bundler', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false },
      include,
    }),
    'tsconfig.typos.json': JSON.stringify({ extends: './tsconfig.json', include: ['plans-typos', '.rivet/*.ts'] }),
  });
  const types = await run('npx', ['--no-install', 'rivet', 'types'], app);
  expect(types.code, types.stdout + types.stderr).toBe(0);
}, INSTALL_TIMEOUT);

afterAll(async () => {
  if (base !== undefined) await rm(base, { recursive: true, force: true });
});

describe('the packed package', { timeout: INSTALL_TIMEOUT }, () => {
  it('ships the build, the built-in modules and the docs, and no tests', async () => {
    const list = await run('tar', ['-tzf', tarball], base);
    const entries = list.stdout.split('\n');
    for (const file of ['package/dist/sdk/index.js', 'package/dist/sdk/index.d.ts', 'package/dist/sdk/index.d.ts.map', 'package/dist/sdk/index.js.map', 'package/dist/cli/main.js', 'package/bin/rivet.mjs', 'package/builtin-modules/facts/tasks/init.sh', 'package/README.md', 'package/docs/plans.md']) {
      expect(entries).toContain(file);
    }
    expect(entries.filter((entry) => entry.startsWith('package/test/'))).toEqual([]);
  });

  it('passes publint and arethetypeswrong (ESM only)', async () => {
    const publint = await run(join(ROOT, 'node_modules/.bin/publint'), ['run', tarball, '--strict'], base);
    expect(publint.code, publint.stdout + publint.stderr).toBe(0);
    const attw = await run(join(ROOT, 'node_modules/.bin/attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], base);
    expect(attw.code, attw.stdout + attw.stderr).toBe(0);
  });
});

describe('an app that installed the tarball', { timeout: INSTALL_TIMEOUT }, () => {
  it('type-checks a plan and an app with a stock `tsc --init` config (nodenext, skipLibCheck off)', async () => {
    const tsc = await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('type-checks them with moduleResolution bundler (skipLibCheck off)', async () => {
    const tsc = await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.bundler.json'], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('after `rivet types`, a misspelt task parameter and an unknown task are compile errors', async () => {
    const generated = await readFile(join(app, '.rivet/tasks.gen.ts'), 'utf8');
    expect(generated).toContain("declare module 'rivetops'");
    expect(generated).toContain("'greeter::greet'");
    const tsc = await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.typos.json', '--noEmit'], app);
    expect(tsc.code).not.toBe(0);
    const errors = tsc.stdout.split('\n').filter((line) => line.includes('error TS'));
    expect(errors.find((line) => line.startsWith('plans-typos/typos.ts(6,'))).toMatch(/'nmae'/);
    expect(errors.find((line) => line.startsWith('plans-typos/typos.ts(7,'))).toMatch(/greeter::nosuch/);
    expect(errors).toHaveLength(2);
  });

  it('plain node runs a TypeScript plan through the application API', async () => {
    const r = await run(process.execPath, ['run-plan.mjs'], app);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ greeting: 'hello node' }]);
  });

  it('plain node runs a command through the application API without ever loading tsx', async () => {
    const log = join(base, 'modules.log');
    const r = await run(process.execPath, ['--import', './record-modules.mjs', 'run-command.mjs'], app, { MODULE_LOG: log });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ target: 'localhost', status: 'success', value: { stdout: 'from-command\n' } });
    const loaded = (await readFile(log, 'utf8')).split('\n');
    expect(loaded.some((url) => url.includes('/node_modules/rivetops/dist/runtime/'))).toBe(true);
    expect(loaded.filter((url) => url.includes('/node_modules/tsx/') || url.includes('/node_modules/esbuild/'))).toEqual([]);
  });

  it('`npx rivet --version` and `npx rivet plan run` work', async () => {
    const version = await run('npx', ['--no-install', 'rivet', '--version'], app);
    expect(version.stdout.trim()).toBe(PKG.version);
    const plan = await run('npx', ['--no-install', 'rivet', 'plan', 'run', 'demo_app::hello', 'name=cli', '--format', 'json'], app);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toEqual([{ greeting: 'hello cli' }]);
    const listed = await readdir(join(app, 'node_modules/.bin'));
    expect(listed).toContain('rivet');
  });

  it('`rivet init` makes a project that installs, runs its plan, type-checks and catches a wrong task value', async () => {
    const project = join(base, 'new-infra');
    const init = await run(join(app, 'node_modules/.bin/rivet'), ['init', project], base);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('npx rivet plan run new_infra::hello name=Ada');
    // Before rivetops is on the registry, the tarball stands in for the devDependency init wrote.
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
    expect(install.code, install.stderr).toBe(0);
    const plan = await run('npx', ['--no-install', 'rivet', 'plan', 'run', 'new_infra::hello', 'name=Ada', '--format', 'json'], project);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('localhost: Hello, Ada!');
    const direct = await run('npx', ['--no-install', 'tsx', 'plans/hello.ts', 'name=Ada', 'style=loud'], project);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toContain('HELLO, ADA!');
    const typecheck = await run('npm', ['run', 'typecheck'], project);
    expect(typecheck.code, typecheck.stdout + typecheck.stderr).toBe(0);
    await writeFile(join(project, 'plans/wrong.ts'), "import { definePlan, runTask } from 'rivetops';\nexport default definePlan({ params: {}, async run() { await runTask('hello::greet', 'localhost', { name: 'x', style: 'quiet' }); } });\n");
    const wrong = await run('npm', ['run', 'typecheck'], project);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toMatch(/plans\/wrong\.ts\(2,[^\n]*'"quiet"'/);
  });
});
