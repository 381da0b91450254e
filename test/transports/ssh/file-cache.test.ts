/**
 * Per-run reads of the SSH transport's files: with one SshFileCache, ~/.ssh/config, key files and
 * known_hosts are read and parsed once for all targets, and the same key buffer is parsed once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSshConfig } from '../../../src/transports/ssh/config.ts';
import { parseKeyOnce, SshFileCache } from '../../../src/transports/ssh/file-cache.ts';
import { makeTarget } from '../../helpers/targets.ts';

describe('ssh: files read once per run', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'rivet-sshcache-'));
    await mkdir(join(home, '.ssh'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, '.ssh', 'id_ed25519')]);
    await writeFile(join(home, '.ssh', 'config'), 'Host web*\n  User deploy\n  Port 2200\n');
    await writeFile(join(home, 'kh'), 'web1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0w8CCFtT4iTnSj1iMxwlZZuv6hXzW9VdWCvmQxgS0c\n');
  });
  afterAll(() => rm(home, { recursive: true, force: true }));
  const target = (name: string) => makeTarget({ name, host: name, config: { transport: 'ssh', ssh: {} } });

  it('resolves many targets from one read of ~/.ssh/config and of the default identity', async () => {
    const cache = new SshFileCache();
    const renv = { home, env: { HOME: home }, cache };
    const first = await resolveSshConfig(target('web1'), renv);
    // Changed on disk during the run: the run keeps what it read (read once, not per target).
    await writeFile(join(home, '.ssh', 'config'), 'Host web*\n  User other\n');
    const second = await resolveSshConfig(target('web2'), renv);
    expect(first.hops.at(-1)).toMatchObject({ user: 'deploy', port: 2200 });
    expect(second.hops.at(-1)).toMatchObject({ user: 'deploy', port: 2200 });
    // The same key buffer for both targets, so it is parsed once.
    expect(second.hops.at(-1)!.keys[0]!.data).toBe(first.hops.at(-1)!.keys[0]!.data);
    expect(second.fileCache).toBe(cache);
    // A new run (a new cache) reads the file again.
    const next = await resolveSshConfig(target('web3'), { home, env: { HOME: home }, cache: new SshFileCache() });
    expect(next.hops.at(-1)).toMatchObject({ user: 'other' });
    await writeFile(join(home, '.ssh', 'config'), 'Host web*\n  User deploy\n  Port 2200\n');
  });

  it('without a cache, every resolve reads the files (as before)', async () => {
    const renv = { home, env: { HOME: home } };
    const a = await resolveSshConfig(target('web1'), renv);
    const b = await resolveSshConfig(target('web2'), renv);
    expect(b.hops.at(-1)!.keys[0]!.data).not.toBe(a.hops.at(-1)!.keys[0]!.data);
    expect(a.fileCache).toBeUndefined();
  });

  it('a parse error of ~/.ssh/config is still reported with a cache', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'rivet-sshcache-bad-'));
    try {
      await mkdir(join(bad, '.ssh'));
      await writeFile(join(bad, '.ssh', 'config'), 'Host "unterminated\n');
      const renv = { home: bad, env: { HOME: bad }, cache: new SshFileCache() };
      const withCache = await resolveSshConfig(target('x'), renv).then(() => 'resolved', (e: Error) => e.message);
      const without = await resolveSshConfig(target('x'), { home: bad, env: { HOME: bad } }).then(() => 'resolved', (e: Error) => e.message);
      expect(withCache).toBe(without);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('known_hosts is loaded once per list of files; a key buffer is parsed once', async () => {
    const cache = new SshFileCache();
    const paths = [join(home, 'kh'), join(home, 'missing')];
    const entries = await cache.knownHosts(paths);
    expect(entries).toHaveLength(1);
    expect(await cache.knownHosts(paths)).toBe(entries);
    const data = await readFile(join(home, '.ssh', 'id_ed25519'));
    const key = parseKeyOnce(data);
    expect(key).not.toBeInstanceOf(Error);
    expect(parseKeyOnce(data)).toBe(key);
    expect(parseKeyOnce(Buffer.from('not a key'))).toBeInstanceOf(Error);
    expect(cache.localUser()).toBe(cache.localUser());
  });

  it('a file changed on disk is read again once it was trusted for 2 s (a long-lived process sees edits)', async () => {
    const cache = new SshFileCache();
    const path = join(home, 'changing');
    await writeFile(path, 'one');
    expect((await cache.read(path))?.toString()).toBe('one');
    await writeFile(path, 'two!');
    expect((await cache.read(path))?.toString()).toBe('one'); // within the 2 s: from memory
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await cache.read(path))?.toString()).toBe('two!');
    const again = await cache.read(path);
    expect(await cache.read(path)).toBe(again); // unchanged: the same buffer, so parsed results are reused
  });
});
