/**
 * I-24: `rivet module install` in a project whose file lists no modules, without a Puppetfile:
 * Bolt 3.30's `lib/bolt/application.rb` `install_modules` prints "Project configuration file ...
 * does not specify any module dependencies. Nothing to do." (print_message: stdout) and exits 0.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

describe('rivet module install with nothing to install (I-24)', () => {
  it("I-24: a project file without modules and no Puppetfile: Bolt's 'Nothing to do.' on stdout, exit 0, nothing written", async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n' });
    const r = await rivet(['module', 'install'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Project configuration file ${join(cwd, 'bolt-project.yaml')} does not specify any module dependencies. Nothing to do.\n`);
    expect(r.stderr).toBe('');
    expect(existsSync(join(cwd, '.modules'))).toBe(false);
    expect(existsSync(join(cwd, 'rivet-lock.yaml'))).toBe(false);
  });

  it('I-24: without a project file it is still an error naming the project (exit 2)', async () => {
    const cwd = await makeProject({});
    const r = await rivet(['module', 'install', '--project', cwd], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the project has no modules to install');
  });
});
