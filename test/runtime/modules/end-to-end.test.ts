/**
 * I-24 end to end, through the real binary: `rivet module install` of a Forge module with a task
 * and a TypeScript plan, then `task run` over OpenSSH sshd, `plan run`, and the task's generated
 * types checked by tsc in a plan of the project (a wrong parameter type is a compile error).
 */
import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { sshConfigLines } from '../../helpers/ssh-inventory.ts';
import { startForge, type ForgeServer } from './forge-server.ts';
import { project, projectYaml } from './helpers.ts';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..', '..');
const BIN = join(REPO, 'bin', 'rivet.mjs');
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const skipReason = sshdSkipReason();

async function exec(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const rivetBin = (args: string[], cwd: string) => exec(process.execPath, [BIN, ...args], cwd);

describe.skipIf(!!skipReason)(`installed module end to end over sshd${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let forge: ForgeServer;
  let sshd: SshdServer;
  let dir: string;

  beforeAll(async () => {
    sshd = await startSshd();
    forge = await startForge([
      {
        slug: 'acme-greet',
        version: '1.0.0',
        files: {
          'tasks/hello.sh': '#!/bin/sh\nprintf \'{"greeting": "hello %s from %s"}\\n\' "$PT_name" "$(id -un)"\n',
          'tasks/hello.json': JSON.stringify({ description: 'Greet someone', parameters: { name: { type: 'String[1]', description: 'Who' } } }),
          'plans/twice.ts': [
            "import { definePlan, runTask } from 'rivetops';",
            "export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) {",
            "  const a = await runTask('greet::hello', targets, { name: 'one' });",
            "  const b = await runTask('greet::hello', targets, { name: 'two' });",
            '  return [a.first?.value, b.first?.value];',
            '} });',
            '',
          ].join('\n'),
        },
      },
    ]);
    dir = await project({
      'rivet-project.yaml': projectYaml(forge.url, ['acme/greet']),
      'package.json': '{ "type": "module", "private": true }\n',
      'inventory.yaml': ['targets:', '  - 127.0.0.1', ...sshConfigLines(sshd, { 'connect-timeout': 60 }), ''].join('\n'),
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true }, include: ['plans', '.rivet/*.ts'] }),
      'plans/typed.ts': [
        "import { definePlan, runTask } from 'rivetops';",
        "export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) {",
        "  await runTask('greet::hello', targets, { name: 'typed' });",
        '  // @ts-expect-error name is a String[1]',
        "  await runTask('greet::hello', targets, { name: 42 });",
        '  // @ts-expect-error name is required',
        "  await runTask('greet::hello', targets, {});",
        '} });',
        '',
      ].join('\n'),
    });
    // node_modules/rivetops -> this repository (its dist/), as an app that installed rivetops.
    await mkdir(join(dir, 'node_modules'));
    await symlink(REPO, join(dir, 'node_modules', 'rivetops'), 'dir');
  }, 120_000);
  afterAll(async () => {
    await forge?.close();
    await sshd?.stop();
  });

  it('installs, runs the task over ssh and the plan, and types the task for plans', async () => {
    const install = await rivetBin(['module', 'install'], dir);
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('Installed acme-greet 1.0.0');
    expect(install.stdout).toContain('Wrote .rivet/tasks.gen.ts');

    const task = await rivetBin(['task', 'run', 'greet::hello', 'name=ssh', '--targets', '127.0.0.1', '--format', 'json'], dir);
    expect(task.stderr).toBe('');
    expect(task.code).toBe(0);
    const items = (JSON.parse(task.stdout) as { items: { status: string; value: { greeting: string } }[] }).items;
    expect(items).toEqual([expect.objectContaining({ status: 'success', value: { greeting: `hello ssh from ${sshd.user}` } })]);

    const plan = await rivetBin(['plan', 'run', 'greet::twice', '--targets', '127.0.0.1', '--format', 'json'], dir);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout)).toEqual([{ greeting: `hello one from ${sshd.user}` }, { greeting: `hello two from ${sshd.user}` }]);

    const shown = await rivetBin(['plan', 'show', '--format', 'json'], dir);
    expect(shown.stdout).toContain('greet::twice');

    const tsc = await exec(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], dir);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }, 300_000);
});
