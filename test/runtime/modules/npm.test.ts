/**
 * I-24: a Rivet module published as an npm package (a `rivet` field in package.json naming its
 * module directory), packed with `npm pack` and installed with `npm install --offline`, is on the
 * modulepath: `task show` sees its task and `rivet types` types it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { npmModuleDirs } from '../../../src/runtime/modules/npm.ts';
import { rivet } from '../../cli/helpers.ts';
import { project } from './helpers.ts';

const run = promisify(execFile);

async function packModule(name: string, pkgExtra: Record<string, unknown>): Promise<string> {
  const pkg = await mkdtemp(join(tmpdir(), 'rivet-npm-pkg-'));
  await mkdir(join(pkg, 'acme_tools/tasks'), { recursive: true });
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name, version: '1.0.0', files: ['acme_tools'], ...pkgExtra }));
  await writeFile(join(pkg, 'acme_tools/tasks/uptime.sh'), '#!/bin/sh\nuptime\n');
  await writeFile(join(pkg, 'acme_tools/tasks/uptime.json'), JSON.stringify({ description: 'Show uptime', parameters: { verbose: { type: 'Optional[Boolean]' } } }));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', pkg], { cwd: pkg });
  return join(pkg, stdout.trim().split('\n').pop()!);
}

describe('npm-installed Rivet modules (I-24)', () => {
  it('are on the modulepath after npm install, with their tasks shown and typed', async () => {
    const tarball = await packModule('rivet-acme-tools', { rivet: { module: 'acme_tools' } });
    const dir = await project({ 'rivet-project.yaml': 'name: site\n', 'package.json': '{ "name": "site", "private": true }\n' });
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: dir });
    const show = await rivet(['task', 'show', 'acme_tools::uptime', '--format', 'json'], { cwd: dir });
    expect(show.stderr).toBe('');
    expect(show.json<{ name: string }>().name).toBe('acme_tools::uptime');
    const types = await rivet(['types'], { cwd: dir });
    expect(types.code).toBe(0);
    expect(await readFile(join(dir, '.rivet/tasks.gen.ts'), 'utf8')).toContain("'acme_tools::uptime'");
    const list = await rivet(['module', 'show', '--format', 'json'], { cwd: dir });
    expect(list.json<Record<string, unknown>>()[join(dir, 'node_modules/rivet-acme-tools')]).toEqual([{ name: 'acme_tools', version: null }]);
  }, 180_000);

  it('a bad rivet field is a warning naming the package, and the package stays off the modulepath', async () => {
    const dir = await project({
      'package.json': JSON.stringify({ dependencies: { a: '1', b: '1', c: '1' } }),
      'node_modules/a/package.json': JSON.stringify({ name: 'a', rivet: 42 }),
      'node_modules/b/package.json': JSON.stringify({ name: 'b', rivet: '../../escape' }),
      'node_modules/c/package.json': JSON.stringify({ name: 'c', rivet: 'Bad-Name' }),
      'node_modules/c/Bad-Name/tasks/x.sh': '',
    });
    const { dirs, warnings } = npmModuleDirs(dir);
    expect(dirs).toEqual([]);
    expect(warnings).toEqual([
      expect.stringContaining(`${join(dir, 'node_modules/a/package.json')}: rivet: 'rivet' must be the module directory`),
      expect.stringContaining("'../../escape' must be a directory inside the package"),
      expect.stringContaining("the module directory's name 'Bad-Name' is not a module name"),
    ]);
  });
});
