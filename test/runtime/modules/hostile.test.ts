/**
 * I-24: corrupt and hostile tarballs and checksum mismatches are refused before anything is
 * written, and the project stays byte for byte as it was.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackModuleTarball } from '../../../src/runtime/modules/tarball.ts';
import { rivet } from '../../cli/helpers.ts';
import { moduleTarball, startForge, tarEntry, tarGz, type ForgeServer } from './forge-server.ts';
import { project, projectYaml, snapshot } from './helpers.ts';

const top = 'evil-mod-1.0.0';
const hostile: [string, Buffer, RegExp][] = [
  ['a ../ entry', tarGz([tarEntry(`${top}/`, '', '5'), tarEntry(`${top}/../../escape.txt`, 'x')]), /hostile entry '.*escape.txt': '\.\.' in the path/],
  ['an absolute path', tarGz([tarEntry('/tmp/rivet-abs-escape.txt', 'x')]), /hostile entry '\/tmp\/rivet-abs-escape.txt': absolute path/],
  ['a symlink out of the tree', tarGz([tarEntry(`${top}/`, '', '5'), tarEntry(`${top}/tasks/`, '', '5'), tarEntry(`${top}/tasks/link`, '', '2', '../../../etc/passwd')]), /link out of the module/],
  ['an absolute symlink', tarGz([tarEntry(`${top}/`, '', '5'), tarEntry(`${top}/link`, '', '2', '/etc/passwd')]), /link to the absolute path/],
  ['a hard link out of the tree', tarGz([tarEntry(`${top}/`, '', '5'), tarEntry(`${top}/link`, '', '1', 'other-dir/secret')]), /link out of the module/],
  ['a device file', tarGz([tarEntry(`${top}/`, '', '5'), tarEntry(`${top}/dev`, '', '3')]), /entry type CharacterDevice is not allowed/],
  ['a decompression bomb', gzipSync(Buffer.concat([tarEntry(`${top}/big`, Buffer.alloc(150 * 1024 * 1024)), Buffer.alloc(1024)])), /unpacks to more than \d+ bytes \(a decompression bomb\?\)/],
  ['a corrupt file', Buffer.from('this is not gzip at all'), /is not a valid \.tar\.gz file/],
  ['gzip of garbage', gzipSync(Buffer.from('x'.repeat(2000))), /not a valid tar archive|is empty or not a tar archive/],
];

describe('unpacking module tarballs safely (I-24)', () => {
  for (const [what, tarball, message] of hostile) {
    it(`refuses ${what} and writes nothing`, async () => {
      const dest = join(await mkdtemp(join(tmpdir(), 'rivet-unpack-')), 'mod');
      await expect(unpackModuleTarball(tarball, dest, 'evil.tar.gz')).rejects.toThrow(message);
      expect(existsSync(dest)).toBe(false);
      expect(existsSync('/tmp/rivet-abs-escape.txt')).toBe(false);
    });
  }

  it('unpacks a good module with a symlink inside the tree', async () => {
    const dest = join(await mkdtemp(join(tmpdir(), 'rivet-unpack-')), 'mod');
    await unpackModuleTarball(tarGz([tarEntry(`${top}/`, '', '5'), tarEntry(`${top}/a.txt`, 'a'), tarEntry(`${top}/b`, '', '2', 'a.txt')]), dest, 'good.tar.gz');
    expect(await snapshot(dest)).toEqual({ 'a.txt': expect.stringMatching(/^file /), b: 'link a.txt' });
  });

  it('limits the number of entries', async () => {
    const entries = [tarEntry(`${top}/`, '', '5'), ...Array.from({ length: 20 }, (_, i) => tarEntry(`${top}/f${i}`, 'x'))];
    await expect(unpackModuleTarball(tarGz(entries), join(tmpdir(), 'never'), 'many.tar.gz', { maxBytes: 1 << 20, maxEntries: 10 })).rejects.toThrow(/more than 10 entries/);
  });
});

describe('rivet module install refuses bad downloads and leaves the project as it was (I-24)', () => {
  let forge: ForgeServer;
  beforeAll(async () => {
    forge = await startForge([
      { slug: 'acme-good', version: '1.0.0' },
      { slug: 'evil-mod', version: '1.0.0', tarball: hostile[0]![1] },
      { slug: 'evil-link', version: '1.0.0', tarball: hostile[2]![1] },
      { slug: 'evil-bomb', version: '1.0.0', tarball: hostile[6]![1] },
      { slug: 'acme-tampered', version: '1.0.0', sha256: '0'.repeat(64) },
      { slug: 'acme-slow', version: '1.0.0', hang: true },
    ]);
  });
  afterAll(() => forge.close());

  const cases: [string, string, RegExp][] = [
    ['a ../ entry', 'evil/mod', /hostile entry/],
    ['a symlink out of the tree', 'evil/link', /link out of the module/],
    ['a decompression bomb', 'evil/bomb', /decompression bomb/],
    ['a checksum mismatch', 'acme/tampered', new RegExp(`checksum mismatch for acme-tampered-1.0.0 from .*: expected sha256 ${'0'.repeat(64)}, got [0-9a-f]{64}`)],
  ];
  for (const [what, name, message] of cases) {
    it(what, async () => {
      const dir = await project({ 'rivet-project.yaml': projectYaml(forge.url, ['acme/good']) });
      expect((await rivet(['module', 'install'], { cwd: dir })).code).toBe(0);
      await writeFile(join(dir, 'rivet-project.yaml'), projectYaml(forge.url, ['acme/good', name]));
      const before = await snapshot(dir);
      const run = await rivet(['module', 'install', '--force'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(await snapshot(dir)).toEqual(before);
    });
  }

  it('cancelling (Ctrl-C) mid-download leaves the project as it was, staging directory included', async () => {
    const dir = await project({ 'rivet-project.yaml': projectYaml(forge.url, ['acme/good']) });
    expect((await rivet(['module', 'install'], { cwd: dir })).code).toBe(0);
    await writeFile(join(dir, 'rivet-project.yaml'), projectYaml(forge.url, ['acme/good', 'acme/slow']));
    const before = await snapshot(dir);
    const { findProject } = await import('../../../src/runtime/project.ts');
    const { installModules } = await import('../../../src/runtime/modules/install.ts');
    const abort = new AbortController();
    const started = installModules({ project: findProject({ cwd: dir, env: {} }), force: true, signal: abort.signal });
    while (!forge.requests.some((r) => r.includes('acme-slow-1.0.0.tar.gz'))) await new Promise((done) => setTimeout(done, 20));
    abort.abort();
    await expect(started).rejects.toThrow();
    expect(await snapshot(dir)).toEqual(before);
  });

  it('a lock whose sha256 the download does not match is refused (the lock is the authority)', async () => {
    const dir = await project({ 'rivet-project.yaml': projectYaml(forge.url, ['acme/good']) });
    expect((await rivet(['module', 'install'], { cwd: dir })).code).toBe(0);
    const lockFile = join(dir, 'rivet-lock.yaml');
    const { readFile, rm } = await import('node:fs/promises');
    await writeFile(lockFile, (await readFile(lockFile, 'utf8')).replace(/sha256: [0-9a-f]{64}/, `sha256: '${'1'.repeat(64)}'`));
    await rm(join(dir, '.modules'), { recursive: true });
    const before = await snapshot(dir);
    const run = await rivet(['module', 'install'], { cwd: dir });
    expect(run.stderr).toContain(`expected sha256 ${'1'.repeat(64)}`);
    expect(run.code).toBe(1);
    expect(await snapshot(dir)).toEqual(before);
    void moduleTarball;
  });
});
