/**
 * Module-relative paths on the CLI (issue 10, group 4), as Bolt 3.30's `lib/bolt/application.rb`
 * `find_file` (used by `run_script` and `upload_file`) with `lib/bolt/util.rb`
 * `find_file_in_module`/`search_module`:
 * - a path that exists from the current directory, or an absolute one, is used as is;
 * - else `<module>/<rest>` through the modulepath: `<module>/files/<rest>`, then `<module>/<rest>`;
 * - a module found without the file gives `<module>/files/<rest>`, which `validate_file` reports
 *   as "does not exist".
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

interface Envelope {
  items: { status: string; value: Record<string, unknown> }[];
  _error?: { kind: string; msg: string };
}

async function project(): Promise<string> {
  return makeProject({
    'bolt-project.yaml': 'name: proj\n',
    'inventory.yaml': 'targets:\n  - localhost\n',
    'modules/mymod/scripts/x.sh': '#!/bin/sh\necho "new-style script $1"\n',
    'modules/mymod/files/conf': 'from files/\n',
    'modules/mymod/files/scripts/y.sh': '#!/bin/sh\necho "files/ script"\n',
    'files/own.txt': 'the project is a module\n',
  });
}

describe('C-01/P-31: find_file: module-relative paths for script run and file upload', () => {
  it('script run mymod/scripts/x.sh finds <module>/scripts/x.sh (new-style path)', async () => {
    const cwd = await project();
    const r = await rivet(['script', 'run', 'mymod/scripts/x.sh', 'arg', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code, r.stdout).toBe(0);
    expect(r.json<Envelope>().items[0]!.value['stdout']).toBe('new-style script arg\n');
  });

  it('files/<rest> is searched first (search_module)', async () => {
    const cwd = await project();
    const r = await rivet(['script', 'run', 'mymod/scripts/y.sh', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.json<Envelope>().items[0]!.value['stdout']).toBe('files/ script\n');
  });

  it('file upload mymod/conf and mymod/files/conf both find modules/mymod/files/conf', async () => {
    const cwd = await project();
    const dest = join(cwd, 'uploaded');
    await mkdir(dest);
    for (const source of ['mymod/conf', 'mymod/files/conf']) {
      await rm(join(dest, 'conf'), { force: true });
      const r = await rivet(['file', 'upload', source, dest, '-t', 'localhost', '--format', 'json'], { cwd });
      expect(r.code, r.stdout).toBe(0);
      expect(await readFile(join(dest, 'conf'), 'utf8')).toBe('from files/\n');
    }
  });

  it('the project is a module of its own name (Module.discover includes the project)', async () => {
    const cwd = await project();
    const dest = join(cwd, 'own-copy.txt');
    const r = await rivet(['file', 'upload', 'proj/own.txt', dest, '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code, r.stdout).toBe(0);
    expect(await readFile(dest, 'utf8')).toBe('the project is a module\n');
  });

  it('a path that exists from the current directory wins over the module', async () => {
    const cwd = await project();
    await mkdir(join(cwd, 'mymod', 'scripts'), { recursive: true });
    await writeFile(join(cwd, 'mymod', 'scripts', 'x.sh'), '#!/bin/sh\necho local\n');
    const r = await rivet(['script', 'run', 'mymod/scripts/x.sh', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.json<Envelope>().items[0]!.value['stdout']).toBe('local\n');
  });

  it("a module without the file: \"The script '<module>/files/<rest>' does not exist\"", async () => {
    const cwd = await project();
    const r = await rivet(['script', 'run', 'mymod/scripts/nope.sh', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    expect(r.json<Envelope>()._error).toMatchObject({ kind: 'bolt/file-error', msg: `The script '${join(cwd, 'modules', 'mymod', 'files', 'scripts', 'nope.sh')}' does not exist` });
  });

  it('no such module: the path from the current directory is reported', async () => {
    const cwd = await project();
    const r = await rivet(['file', 'upload', 'nomod/x', '/tmp/x', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.json<Envelope>()._error).toMatchObject({ kind: 'bolt/file-error', msg: `The source file '${join(cwd, 'nomod', 'x')}' does not exist` });
  });
});
