/**
 * I-24: git modules (bare repositories made here, real `git`), local modules, the Puppetfile
 * (`--no-resolve`) and Puppet version ranges.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePuppetfile } from '../../../src/runtime/modules/puppetfile.ts';
import { puppetRangeToNpm, satisfiesPuppetRange } from '../../../src/runtime/modules/version-range.ts';
import { rivet } from '../../cli/helpers.ts';
import { startForge, type ForgeServer } from './forge-server.ts';
import { project, snapshot } from './helpers.ts';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();

let forge: ForgeServer;
let bare: string;
let tagCommit: string;
let mainCommit: string;
beforeAll(async () => {
  forge = await startForge([{ slug: 'acme-lib', version: '1.0.0' }, { slug: 'acme-lib', version: '2.0.0' }]);
  const root = await mkdtemp(join(tmpdir(), 'rivet-git-'));
  const work = join(root, 'work');
  await mkdir(join(work, 'tasks'), { recursive: true });
  git(root, 'init', '-q', work);
  await writeFile(join(work, 'metadata.json'), JSON.stringify({ name: 'acme-gitmod', version: '0.1.0', dependencies: [{ name: 'acme/lib', version_requirement: '1.x' }] }));
  await writeFile(join(work, 'tasks/check.sh'), '#!/bin/sh\necho checked\n');
  git(work, 'add', '.');
  git(work, 'commit', '-qm', 'first');
  git(work, 'tag', '-a', 'v1.0.0', '-m', 'release');
  tagCommit = git(work, 'rev-parse', 'HEAD');
  await writeFile(join(work, 'tasks/check.sh'), '#!/bin/sh\necho checked twice\n');
  git(work, 'commit', '-qam', 'second');
  mainCommit = git(work, 'rev-parse', 'HEAD');
  bare = join(root, 'gitmod.git');
  git(root, 'clone', '-q', '--bare', work, bare);
});
afterAll(() => forge.close());

const yaml = (modules: string): string => `name: site\nmodule-install:\n  forge:\n    baseurl: ${forge.url}\nmodules:\n${modules}`;

describe('git modules (I-24)', () => {
  it('installs a tag, locks its commit, follows its metadata.json dependencies, keeps no .git', async () => {
    const dir = await project({ 'rivet-project.yaml': yaml(`  - git: ${bare}\n    ref: v1.0.0\n`) });
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lock = parse(await readFile(join(dir, 'rivet-lock.yaml'), 'utf8')) as { modules: Record<string, string>[] };
    expect(lock.modules).toEqual([
      expect.objectContaining({ name: 'acme-gitmod', dir: 'gitmod', source: 'git', ref: 'v1.0.0', commit: tagCommit }),
      expect.objectContaining({ name: 'acme-lib', version: '1.0.0' }),
    ]);
    expect(await readFile(join(dir, '.modules/gitmod/tasks/check.sh'), 'utf8')).toContain('echo checked\n');
    expect(existsSync(join(dir, '.modules/gitmod/.git'))).toBe(false);
    // Unchanged lock: nothing to do, nothing touched.
    const before = await snapshot(dir);
    const count = forge.requests.length;
    expect((await rivet(['module', 'install'], { cwd: dir })).stdout).toContain('up to date');
    expect(forge.requests.length).toBe(count);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a branch resolves to its newest commit', async () => {
    const dir = await project({ 'rivet-project.yaml': yaml(`  - git: ${bare}\n    ref: main\n    resolve: false\n`) });
    expect((await rivet(['module', 'install'], { cwd: dir })).code).toBe(0);
    expect(await readFile(join(dir, 'rivet-lock.yaml'), 'utf8')).toContain(`commit: ${mainCommit}`);
    expect(existsSync(join(dir, '.modules/lib'))).toBe(false);
  });

  it('a ref that does not exist is a clear error and changes nothing', async () => {
    const dir = await project({ 'rivet-project.yaml': yaml(`  - git: ${bare}\n    ref: no-such-branch\n`) });
    const before = await snapshot(dir);
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`git ref 'no-such-branch' does not exist in ${bare}`);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a git URL with a password is refused (it would be written to the lock)', async () => {
    const dir = await project({ 'rivet-project.yaml': yaml('  - git: https://me:hunter2@git.example.com/x.git\n    ref: main\n') });
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(dir, 'rivet-project.yaml')}:6: the git URL https://git.example.com/x.git has a password or token in it`);
    expect(run.stderr).not.toContain('hunter2');
    // A token as the user name (https://TOKEN@host) is refused the same way, and never shown.
    const token = await project({ 'rivet-project.yaml': yaml('  - git: https://ghp_s3cr3tt0ken@git.example.com/x.git\n    ref: main\n') });
    const withToken = await rivet(['module', 'install'], { cwd: token });
    expect(withToken.code).toBe(2);
    expect(withToken.stderr).toContain('the git URL https://git.example.com/x.git has a password or token in it');
    expect(withToken.stderr).not.toContain('ghp_s3cr3tt0ken');
  });

  it('a git module with a symbolic link out of its tree is refused, and nothing changes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rivet-git-link-'));
    const work = join(root, 'work');
    await mkdir(join(work, 'files'), { recursive: true });
    git(root, 'init', '-q', work);
    await writeFile(join(work, 'metadata.json'), JSON.stringify({ name: 'acme-linky', version: '0.1.0', dependencies: [] }));
    await symlink('/etc/passwd', join(work, 'files/key'));
    git(work, 'add', '.');
    git(work, 'commit', '-qm', 'link');
    const linky = join(root, 'linky.git');
    git(root, 'clone', '-q', '--bare', work, linky);
    const dir = await project({ 'rivet-project.yaml': yaml(`  - git: ${linky}\n    ref: main\n`) });
    const before = await snapshot(dir);
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has a symbolic link out of its tree: files/key -> /etc/passwd');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a lock whose git commit is not a commit id is refused before git runs (no option injection)', async () => {
    const marker = join(await mkdtemp(join(tmpdir(), 'rivet-inject-')), 'ran');
    const lock = ['version: 1', 'modules:', '  - name: acme-gitmod', '    dir: gitmod', '    source: git', `    git: ${bare}`, '    ref: main', `    commit: "--upload-pack=touch ${marker}"`, '    content: x', ''].join('\n');
    const dir = await project({ 'rivet-project.yaml': yaml(`  - git: ${bare}\n    ref: main\n    resolve: false\n`), 'rivet-lock.yaml': lock });
    const before = await snapshot(dir);
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('is not a full 40-character commit id');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(marker)).toBe(false);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a dependency range the git module cannot meet names both requirers', async () => {
    const dir = await project({ 'rivet-project.yaml': yaml(`  - git: ${bare}\n    ref: v1.0.0\n  - name: acme/lib\n    version_requirement: ">= 2.0.0"\n`) });
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no version of acme-lib satisfies all of: .*requires 1\.x.*requires >= 2\.0\.0|requires >= 2\.0\.0.*requires 1\.x/);
  });
});

describe('the Puppetfile (I-24)', () => {
  it('installs forge, git (:tag, :commit, :branch) and :local modules as written with --no-resolve', async () => {
    const dir = await project({
      'rivet-project.yaml': `name: site\nmodule-install:\n  forge:\n    baseurl: ${forge.url}\n`,
      'site-modules/mylocal/tasks/x.sh': '#!/bin/sh\necho local\n',
      Puppetfile: [
        '# modules for the site',
        "forge 'https://forge.example.invalid'",
        "mod 'acme/lib', '2.0.0'",
        `mod 'gitmod', :git => '${bare}',`,
        `    :commit => '${tagCommit}'`,
        `mod 'acme-other', git: '${bare}', branch: 'main'`,
        "mod 'mylocal', :local => 'site-modules/mylocal'",
        '',
      ].join('\n'),
    });
    const run = await rivet(['module', 'install', '--no-resolve'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lock = parse(await readFile(join(dir, 'rivet-lock.yaml'), 'utf8')) as { modules: Record<string, string>[] };
    expect(lock.modules.map((m) => [m['dir'], m['version'] ?? m['commit'] ?? m['path']])).toEqual([
      ['gitmod', tagCommit],
      ['lib', '2.0.0'],
      ['mylocal', 'site-modules/mylocal'],
      ['other', mainCommit],
    ]);
    expect(await readFile(join(dir, '.modules/mylocal/tasks/x.sh'), 'utf8')).toContain('local');
    // The local module is copied again when it changes.
    await writeFile(join(dir, 'site-modules/mylocal/tasks/x.sh'), '#!/bin/sh\necho changed\n');
    expect((await rivet(['module', 'install', '--no-resolve'], { cwd: dir })).code).toBe(0);
    expect(await readFile(join(dir, '.modules/mylocal/tasks/x.sh'), 'utf8')).toContain('changed');
    // The Puppetfile is its own authority: a module taken out of it is removed.
    const puppetfile = await readFile(join(dir, 'Puppetfile'), 'utf8');
    await writeFile(join(dir, 'Puppetfile'), puppetfile.replace("mod 'acme/lib', '2.0.0'\n", ''));
    const again = await rivet(['module', 'install', '--no-resolve'], { cwd: dir });
    expect(again.stdout).toContain('Removed lib');
    expect(existsSync(join(dir, '.modules/lib'))).toBe(false);
    expect(await readFile(join(dir, 'rivet-lock.yaml'), 'utf8')).not.toContain('acme-lib');
  });

  it('parses the Ruby subset and reports errors with line numbers', () => {
    const pf = parsePuppetfile(
      ["mod 'puppetlabs/stdlib', :latest", "mod('acme-x', '>= 1.0.0 < 2.0.0')", "mod \"a/b\", :git => \"u\", :ref => 'r' # trailing", "mod 'c', tag: 'v1', git: 'u2'"].join('\n'),
      '/p/Puppetfile',
      '/p',
    );
    expect(pf.specs.map((s) => (s.type === 'forge' ? [s.slug, s.versionRequirement] : s.type === 'git' ? [s.moduleName, s.git, s.ref] : []))).toEqual([
      ['puppetlabs-stdlib', undefined],
      ['acme-x', '>= 1.0.0 < 2.0.0'],
      ['b', 'u', 'r'],
      ['c', 'u2', 'v1'],
    ]);
    const bad: [string, string][] = [
      ["mod 'a/b', '1.0.0'\nmod 'x/y', :git => 'u'\n", '/p/Puppetfile:2: git module \'x/y\' needs a :ref, :branch, :tag or :commit'],
      ["\n\nmod 'a/b', :gti => 'u'", "/p/Puppetfile:3: unknown option :gti"],
      ["mod 'a/b\n", '/p/Puppetfile:1: unterminated string'],
      ['gem "rails"', "/p/Puppetfile:1: unknown Puppetfile statement 'gem'"],
      ['mod "a/#{x}"', '/p/Puppetfile:1: string interpolation'],
      ["mod 'x', :git => 'u', :ref => 'a', :tag => 'b'", "/p/Puppetfile:1: module 'x' has more than one of :ref, :tag"],
      ["mod 'a/b' 'c'", '/p/Puppetfile:1: expected a new line'],
    ];
    for (const [text, message] of bad) expect(() => parsePuppetfile(text, '/p/Puppetfile', '/p')).toThrow(message);
  });

  it('I-24: :install_path is refused with an error naming Puppetfile:line, and nothing is installed (not silently ignored)', async () => {
    const dir = await project({
      'rivet-project.yaml': `name: site\nmodule-install:\n  forge:\n    baseurl: ${forge.url}\n`,
      Puppetfile: ["mod 'acme/lib', '2.0.0'", `mod 'gitmod', :git => '${bare}',`, "    :tag => 'v1', :install_path => 'vendor'", ''].join('\n'),
    });
    const run = await rivet(['module', 'install', '--no-resolve'], { cwd: dir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${join(dir, 'Puppetfile')}:3: :install_path for module 'gitmod' is not supported: Rivet installs every module into .modules (Bolt's r10k would put it in vendor/gitmod)`);
    expect(existsSync(join(dir, '.modules'))).toBe(false);
    expect(existsSync(join(dir, 'rivet-lock.yaml'))).toBe(false);
  });
});

describe('Puppet version ranges through npm semver (I-24)', () => {
  const table: [range: string, yes: string[], no: string[]][] = [
    ['1.2.3', ['1.2.3'], ['1.2.4']],
    ['>= 1.0.0 < 2.0.0', ['1.0.0', '1.9.9'], ['0.9.0', '2.0.0']],
    ['>=1.0.0 <2.0.0', ['1.5.0'], ['2.0.0']],
    ['1.x', ['1.0.0', '1.99.0'], ['2.0.0']],
    ['1.2.x', ['1.2.9'], ['1.3.0']],
    ['~1.2', ['1.2.0', '1.2.9'], ['1.3.0']],
    ['^1.2', ['1.9.0'], ['2.0.0', '1.1.0']],
    ['~> 1.2', ['1.2.0', '1.9.0'], ['2.0.0', '1.1.9']],
    ['~> 1.2.3', ['1.2.3', '1.2.9'], ['1.3.0']],
    ['> 1.0.0', ['1.0.1'], ['1.0.0']],
    ['<= 2.0.0', ['2.0.0'], ['2.0.1']],
    ['1.0.0 - 1.5.0', ['1.5.0'], ['1.5.1']],
    ['1.x || >= 3.0.0', ['1.1.0', '3.1.0'], ['2.0.0']],
  ];
  for (const [range, yes, no] of table) {
    it(`'${range}'`, () => {
      expect(puppetRangeToNpm(range)).toBeDefined();
      for (const v of yes) expect(satisfiesPuppetRange(v, range), `${v} in ${range}`).toBe(true);
      for (const v of no) expect(satisfiesPuppetRange(v, range), `${v} not in ${range}`).toBe(false);
    });
  }
  it('rejects what is not a range', () => {
    expect(puppetRangeToNpm('banana')).toBeUndefined();
    expect(puppetRangeToNpm('>= one')).toBeUndefined();
  });
});
