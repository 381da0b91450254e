/**
 * I-24: `rivet module install|add|show` against a Forge on loopback serving real module tarballs.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rivet } from '../../cli/helpers.ts';
import { startForge, type ForgeServer } from './forge-server.ts';
import { project, projectYaml, snapshot } from './helpers.ts';

const TASK = { 'tasks/hello.sh': '#!/bin/sh\necho "hello $PT_name"\n', 'tasks/hello.json': JSON.stringify({ description: 'Say hello', parameters: { name: { type: 'String[1]' } } }) };

let forge: ForgeServer;
beforeAll(async () => {
  forge = await startForge([
    { slug: 'acme-lib', version: '1.0.0' },
    { slug: 'acme-lib', version: '1.5.0', files: { 'tasks/ping.sh': '#!/bin/sh\necho pong\n' } },
    { slug: 'acme-lib', version: '2.0.0' },
    { slug: 'acme-app', version: '1.0.0', dependencies: [{ name: 'acme/lib', version_requirement: '>= 1.0.0 < 2.0.0' }], files: TASK },
    { slug: 'acme-new', version: '3.0.0', dependencies: [{ name: 'acme-lib', version_requirement: '>= 2.0.0' }] },
    { slug: 'acme-other', version: '1.0.0' },
    { slug: 'acme-broken', version: '1.0.0', dependencies: [{ name: 'acme/ghost', version_requirement: '>= 1.0.0' }] },
  ]);
});
afterAll(() => forge.close());

async function installedProject(modules: string[]): Promise<string> {
  const dir = await project({ 'rivet-project.yaml': projectYaml(forge.url, modules) });
  const run = await rivet(['module', 'install'], { cwd: dir });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return dir;
}

describe('rivet module install from the Forge (I-24)', () => {
  it('resolves dependencies from metadata.json, installs into .modules, writes the lock and the task types', async () => {
    const dir = await installedProject(['acme/app']);
    const lock = parse(await readFile(join(dir, 'rivet-lock.yaml'), 'utf8')) as { modules: Record<string, string>[] };
    expect(lock.modules.map((m) => [m['name'], m['version']])).toEqual([
      ['acme-app', '1.0.0'],
      ['acme-lib', '1.5.0'],
    ]);
    for (const m of lock.modules) {
      expect(m['sha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(m['content']).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(JSON.parse(await readFile(join(dir, '.modules/lib/metadata.json'), 'utf8')).version).toBe('1.5.0');
    // Visible right away to task show, and typed.
    const show = await rivet(['task', 'show', 'app::hello', '--format', 'json'], { cwd: dir });
    expect(show.code).toBe(0);
    expect(show.json<{ name: string }>().name).toBe('app::hello');
    expect(await readFile(join(dir, '.rivet/tasks.gen.ts'), 'utf8')).toContain("'app::hello'");
    // module show lists and details them.
    const list = await rivet(['module', 'show', '--format', 'json'], { cwd: dir });
    expect(list.json<Record<string, { name: string; version: string }[]>>()[join(dir, '.modules')]).toEqual([
      { name: 'acme/app', version: '1.0.0', internal_module_group: 'Project Dependencies' },
      { name: 'acme/lib', version: '1.5.0', internal_module_group: 'Project Dependencies' },
    ]);
    const one = await rivet(['module', 'show', 'acme/app', '--format', 'json'], { cwd: dir });
    expect(one.json<{ tasks: string[]; source: { version: string } }>()).toMatchObject({ name: 'acme/app', tasks: ['app::hello'], source: { source: 'forge', version: '1.0.0' } });
    const human = await rivet(['module', 'show'], { cwd: dir });
    expect(human.stdout).toContain('Project dependencies');
    expect(human.stdout).toContain('acme/lib 1.5.0');
  });

  it('a second run with the lock unchanged makes no request and changes nothing', async () => {
    const dir = await installedProject(['acme/app']);
    const before = await snapshot(dir);
    const count = forge.requests.length;
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('up to date');
    expect(forge.requests.length).toBe(count);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a second machine installs exactly the locked versions and bytes, even after newer releases', async () => {
    const first = await installedProject(['acme/app']);
    forge.add({ slug: 'acme-lib', version: '1.9.0' });
    const second = await project({});
    await cp(join(first, 'rivet-project.yaml'), join(second, 'rivet-project.yaml'));
    await cp(join(first, 'rivet-lock.yaml'), join(second, 'rivet-lock.yaml'));
    const run = await rivet(['module', 'install'], { cwd: second });
    expect(run.code).toBe(0);
    const a = await snapshot(join(first, '.modules'));
    const b = await snapshot(join(second, '.modules'));
    expect(Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v]))).toEqual(a);
    expect(await readFile(join(second, 'rivet-lock.yaml'), 'utf8')).toBe(await readFile(join(first, 'rivet-lock.yaml'), 'utf8'));
    // --force resolves again and takes the newer release.
    const forced = await rivet(['module', 'install', '--force'], { cwd: second });
    expect(forced.code).toBe(0);
    expect(await readFile(join(second, 'rivet-lock.yaml'), 'utf8')).toContain('version: 1.9.0');
  });

  it('a hand-edited module in .modules is put back as locked', async () => {
    const dir = await installedProject(['acme/app']);
    const before = await snapshot(join(dir, '.modules'));
    await writeFile(join(dir, '.modules/app/README.md'), 'changed\n');
    await rm(join(dir, '.modules/lib'), { recursive: true });
    expect((await rivet(['module', 'install'], { cwd: dir })).code).toBe(0);
    expect(await snapshot(join(dir, '.modules'))).toEqual(before);
  });

  it('module add puts the module in the project file (comments kept), resolves and installs', async () => {
    const dir = await project({ 'rivet-project.yaml': `# my project\n${projectYaml(forge.url, ['acme/other'])}` });
    const run = await rivet(['module', 'add', 'acme/app'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = await readFile(join(dir, 'rivet-project.yaml'), 'utf8');
    expect(text).toContain('# my project');
    expect((parse(text) as { modules: string[] }).modules).toEqual(['acme/other', 'acme/app']);
    expect(await readFile(join(dir, 'rivet-lock.yaml'), 'utf8')).toMatch(/name: acme-lib[\s\S]*version: 1\.\d\.0/);
    const again = await rivet(['module', 'add', 'acme/app'], { cwd: dir });
    expect(again.stdout).toContain('Nothing to do');
  });

  it('a lock that no longer satisfies the project file asks for --force', async () => {
    const dir = await installedProject(['acme/app']);
    await writeFile(join(dir, 'rivet-project.yaml'), projectYaml(forge.url, ['acme/app', 'acme/other']));
    const before = await snapshot(dir);
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("does not satisfy acme-other: run 'rivet module install --force'");
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('module-install settings (I-24)', () => {
  it('sends forge.authorization_token and goes through module-install.proxy', async () => {
    const proxied: string[] = [];
    const { createServer, request } = await import('node:http');
    const proxy = createServer((req, res) => {
      proxied.push(req.url ?? '');
      const upstream = request(req.url ?? '', { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.end());
      upstream.end();
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    const port = (proxy.address() as { port: number }).port;
    try {
      const dir = await project({
        'rivet-project.yaml': ['name: site', 'module-install:', '  forge:', `    baseurl: ${forge.url}`, '    authorization_token: Bearer s3cret', `  proxy: http://127.0.0.1:${port}`, 'modules:', '  - acme/other', ''].join('\n'),
      });
      const seen = forge.authorizations.length;
      const run = await rivet(['module', 'install'], { cwd: dir });
      expect(run.code).toBe(0);
      expect(proxied).toEqual(expect.arrayContaining([`${forge.url}/v3/modules/acme-other`, `${forge.url}/v3/files/acme-other-1.0.0.tar.gz`]));
      expect(forge.authorizations.slice(seen).every((a) => a === 'Bearer s3cret')).toBe(true);
      expect(run.stdout + run.stderr).not.toContain('s3cret');
    } finally {
      await new Promise((done) => proxy.close(done));
    }
  });
});

describe('bad input leaves the project byte for byte as it was (I-24)', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown module', ['acme/nope'], /unknown module 'acme\/nope'.*\(required by rivet-project\.yaml:6\)/],
    ['an unknown dependency', ['acme/broken'], /unknown module 'acme\/ghost'.*\(required by acme-broken 1\.0\.0\)/],
    ['a version that does not exist', ['{ name: acme/lib, version_requirement: "9.9.9" }'], /no version of acme-lib matches 9\.9\.9 \(required by rivet-project\.yaml:\d+\); versions on the Forge: 2\.0\.0, 1\.9\.0, 1\.5\.0, 1\.0\.0|no version of acme-lib matches 9\.9\.9/],
    ['conflicting ranges', ['acme/app', 'acme/new'], /no version of acme-lib satisfies all of: .*acme-app 1\.0\.0 requires >= 1\.0\.0 < 2\.0\.0.*acme-new 3\.0\.0 requires >= 2\.0\.0|acme-new 3\.0\.0 requires >= 2\.0\.0.*acme-app 1\.0\.0 requires >= 1\.0\.0 < 2\.0\.0/],
  ];
  for (const [what, modules, message] of cases) {
    it(what, async () => {
      const dir = await installedProject(['acme/other']);
      await writeFile(join(dir, 'rivet-project.yaml'), projectYaml(forge.url, modules));
      const before = await snapshot(dir);
      const run = await rivet(['module', 'install', '--force'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(await snapshot(dir)).toEqual(before);
    });
  }

  it('a refused connection', async () => {
    const closed = await startForge();
    const url = closed.url;
    await closed.close();
    const dir = await installedProject(['acme/other']);
    await writeFile(join(dir, 'rivet-project.yaml'), projectYaml(url, ['acme/lib']));
    const before = await snapshot(dir);
    const run = await rivet(['module', 'install', '--force'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot reach the Forge at ${url}: connection refused`);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a bad version_requirement is an error naming the file, line and key', async () => {
    const dir = await project({ 'rivet-project.yaml': projectYaml(forge.url, ['name: acme/lib\n    version_requirement: "banana"']) });
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${join(dir, 'rivet-project.yaml')}:7: modules[0].version_requirement: 'banana' is not a version range`);
  });
});
