/**
 * `rivet plan run` of a TypeScript plan on plain node (issue 8, start-up): the plan and the local
 * `.ts` files it imports are compiled with esbuild into Rivet's plan cache and imported as
 * JavaScript; no loader (tsx) is registered. Errors still name the plan's `.ts` file and line,
 * `import.meta.url` is the plan file's, a changed imported file is recompiled, and so is a plan
 * whose non-TypeScript import (a `.js` file, a package) no longer exists where it was found.
 * Runs `bin/rivet.mjs`, so it needs the build (`npm run build`, done by `npm test`).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE_LOG_PRELOAD } from '../helpers/module-log.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

const PLAN = `import { definePlan, out, runCommand } from 'rivetops';
import { greeting } from '../lib/helper.ts';

export default definePlan({
  params: { targets: { type: 'TargetSpec', default: 'localhost' }, fail: { type: 'Boolean', default: false } },
  async run({ targets, fail }) {
    out.message(\`\${greeting()} from \${import.meta.url}\`);
    if (fail) await runCommand('exit 3', targets); // FAILING-STEP
    return 'done';
  },
});
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rivet-plan-compile-'));
  await mkdir(join(dir, 'plans'));
  await mkdir(join(dir, 'lib'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(ROOT, join(dir, 'node_modules', 'rivetops'));
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(dir, 'rivet-project.yaml'), 'name: ctest\n');
  await writeFile(join(dir, 'plans', 'hello.ts'), PLAN);
  await writeFile(join(dir, 'lib', 'helper.ts'), "export const greeting = (): string => 'hello';\n");
  await writeFile(join(dir, 'record.mjs'), MODULE_LOG_PRELOAD);
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  modules: string[];
}

async function rivet(args: string[]): Promise<Run> {
  const log = join(dir, 'modules.log');
  await rm(log, { force: true });
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', join(dir, 'record.mjs'), join(ROOT, 'bin/rivet.mjs'), ...args], { cwd: dir, env: { ...process.env, MODULE_LOG: log } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
  return { code, stdout, stderr, modules: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
}

describe('rivet plan run of a .ts plan without a loader', () => {
  it('runs the plan and its local .ts import, with import.meta.url the plan file, and loads no tsx', async () => {
    const run = await rivet(['plan', 'run', 'ctest::hello', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toBe('done');
    // With --format json, messages go to stderr.
    expect(run.stderr).toBe(`hello from ${pathToFileURL(join(dir, 'plans', 'hello.ts')).href}\n`);
    expect(run.modules.filter((url) => /\/node_modules\/tsx\//.test(url))).toEqual([]);
  }, 120_000);

  it('names the plan file and line of a failing step', async () => {
    const run = await rivet(['plan', 'run', 'ctest::hello', 'fail=true', '--format', 'json']);
    expect(run.code).not.toBe(0);
    const line = PLAN.split('\n').findIndex((l) => l.includes('// FAILING-STEP')) + 1;
    expect(`${run.stdout}${run.stderr}`).toContain(`${join(dir, 'plans', 'hello.ts')}:${line}`);
  }, 120_000);

  it('recompiles a local import that changed', async () => {
    await writeFile(join(dir, 'lib', 'helper.ts'), "export const greeting = (): string => 'changed';\n");
    const run = await rivet(['plan', 'run', 'ctest::hello', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('changed from ');
  }, 120_000);

  it('recompiles a plan whose imported .js file was replaced by a .ts file', async () => {
    await mkdir(join(dir, 'plans', 'lib'), { recursive: true });
    await writeFile(
      join(dir, 'plans', 'jsimport.ts'),
      "import { definePlan, out } from 'rivetops';\nimport { word } from './lib/util.js';\n\nexport default definePlan({ run() { out.message(word()); return 'ok'; } });\n",
    );
    await writeFile(join(dir, 'plans', 'lib', 'util.js'), "export const word = () => 'from js';\n");
    const first = await rivet(['plan', 'run', 'ctest::jsimport', '--format', 'json']);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('from js\n');

    await rm(join(dir, 'plans', 'lib', 'util.js'));
    await writeFile(join(dir, 'plans', 'lib', 'util.ts'), "export const word = (): string => 'from ts';\n");
    const second = await rivet(['plan', 'run', 'ctest::jsimport', '--format', 'json']);
    expect(second.stderr).not.toContain('Cannot find module');
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('from ts\n');
  }, 120_000);

  it('recompiles a plan whose imported package moved to another file', async () => {
    const pkg = join(dir, 'node_modules', 'movingpkg');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'package.json'), '{ "name": "movingpkg", "type": "module", "main": "old.js" }\n');
    await writeFile(join(pkg, 'old.js'), "export const where = 'old';\n");
    await writeFile(
      join(dir, 'plans', 'pkgimport.ts'),
      "import { definePlan, out } from 'rivetops';\nimport { where } from 'movingpkg';\n\nexport default definePlan({ run() { out.message(where); return 'ok'; } });\n",
    );
    const first = await rivet(['plan', 'run', 'ctest::pkgimport', '--format', 'json']);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('old\n');

    // What `npm install` of a new version does: the package's main file changes, the old one goes.
    await rm(join(pkg, 'old.js'));
    await writeFile(join(pkg, 'package.json'), '{ "name": "movingpkg", "type": "module", "main": "new.js" }\n');
    await writeFile(join(pkg, 'new.js'), "export const where = 'new';\n");
    const second = await rivet(['plan', 'run', 'ctest::pkgimport', '--format', 'json']);
    expect(second.stderr).not.toContain('Cannot find module');
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('new\n');
  }, 120_000);

  it('recompiles a plan whose import was missing once the file exists', async () => {
    await writeFile(
      join(dir, 'plans', 'later.ts'),
      "import { definePlan, out } from 'rivetops';\nimport { word } from './lib/later.js';\n\nexport default definePlan({ run() { out.message(word()); return 'ok'; } });\n",
    );
    const first = await rivet(['plan', 'run', 'ctest::later', '--format', 'json']);
    expect(first.code).not.toBe(0);
    await writeFile(join(dir, 'plans', 'lib', 'later.js'), "export const word = () => 'found later';\n");
    const second = await rivet(['plan', 'run', 'ctest::later', '--format', 'json']);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('found later\n');
  }, 120_000);

  it('reports a syntax error with the plan file', async () => {
    await writeFile(join(dir, 'plans', 'broken.ts'), 'export default definePlan({ run() { return 1 +; } });\n');
    const run = await rivet(['plan', 'run', 'ctest::broken']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(join(dir, 'plans', 'broken.ts'));
  }, 120_000);
});
