/**
 * SshPrimitives against a real sshd: exec channels (exit codes, streams, signals, concurrency,
 * MaxSessions queueing) and SFTP transfers; plus the in-process fault servers.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransferUnavailableError } from '../../../src/transports/posix/primitives.ts';
import type { ResolveEnv } from '../../../src/transports/ssh/config.ts';
import type { SshPrimitives } from '../../../src/transports/ssh/primitives.ts';
import { sshdSkipReason, startSshd } from '../../harness/sshd.ts';
import { startSsh2Server, startTestSshServer, type TestSshServer } from '../../harness/ssh2-server.ts';
import { collect, connect, fakeHome, never, run, sshTarget } from './helpers.ts';

let server: TestSshServer;
let env: ResolveEnv;
let p: SshPrimitives;
let local: string;
const remoteBase = `/tmp/rivet-ssh-test-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  server = await startTestSshServer();
  env = await fakeHome();
  p = await connect(sshTarget(server), env);
  local = await mkdtemp(join(tmpdir(), 'rivet-ssh-local-'));
});
afterAll(async () => {
  await p?.close();
  await server?.stop();
  await rm(remoteBase, { recursive: true, force: true });
  if (local) await rm(local, { recursive: true, force: true });
});

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
}

describe('ssh spawn', () => {
  it('reports exit codes and signals', async () => {
    for (const code of [0, 1, 42, 255]) expect((await run(p, `exit ${code}`)).code).toBe(code);
    const killed = await run(p, 'kill -KILL $$');
    expect(killed).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('keeps stdout and stderr apart and passes stdin', async () => {
    const r = await run(p, 'echo out; echo err >&2; cat; echo done', 'from stdin\n');
    expect(r.stdout).toBe('out\nfrom stdin\ndone\n');
    expect(r.stderr).toBe('err\n');
  });

  it('is complete at the exit, not when a leftover background process closes the streams', async () => {
    const proc = await p.spawn('sleep 2 & echo started', { signal: never() });
    proc.stdin.end();
    let ended = false;
    proc.stdout.on('end', () => (ended = true)).resume();
    proc.stderr.resume();
    const started = Date.now();
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(ended).toBe(false);
  });

  it("kill('SIGTERM') kills the remote process group", async () => {
    const marker = 1000 + Math.floor(Math.random() * 8000);
    const proc = await p.spawn(`sleep ${marker}.1 & sleep ${marker}.2; wait`, { signal: never() });
    proc.stdin.end();
    proc.stdout.resume();
    proc.stderr.resume();
    for (let i = 0; i < 50 && pgrep(`^sleep ${marker}`).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pgrep(`^sleep ${marker}`)).toHaveLength(2);
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGTERM' });
    for (let i = 0; i < 50 && pgrep(`^sleep ${marker}`).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    // OpenSSH (>= 7.9) delivers the signal with killpg(): the background sleep dies too.
    expect(pgrep(`^sleep ${marker}`)).toEqual([]);
  });

  it('runs 20 commands at once on one connection', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => run(p, `sleep 0.2; echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(results.every((r) => r.code === 0)).toBe(true);
  });

  it('rejects a spawn whose signal is already aborted, and one after close', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(p.spawn('true', { signal: ac.signal })).rejects.toMatchObject({ kind: 'rivet/canceled' });
    const q = await connect(sshTarget(server), env);
    await q.close();
    await q.close(); // idempotent
    await expect(q.spawn('true', { signal: never() })).rejects.toMatchObject({ issueCode: 'CONNECT_ERROR' });
  });
});

describe('ssh sessions beyond MaxSessions', () => {
  it('queues channel opens beyond max-sessions instead of failing', async () => {
    const q = await connect(sshTarget(server, { 'max-sessions': 2 }), env);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => run(q, 'sleep 0.3; echo ok')));
    expect(results.every((r) => r.stdout === 'ok\n')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(850); // 3 waves of 2
    await q.close();
  });

  it("adapts to a server whose MaxSessions is lower than max-sessions", async (ctx) => {
    const reason = sshdSkipReason();
    if (reason) return ctx.skip(reason);
    await using small = await startSshd({ maxSessions: 3 });
    const q = await connect(sshTarget(small, { 'max-sessions': 10 }), env);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => run(q, `sleep 0.2; echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(q.sessionLimit).toBe(3);
    await q.close();
  });
});

describe('ssh SFTP transfers', () => {
  it('uploads and downloads a file with its mode, creating parent dirs', async (ctx) => {
    if (!server.sftp) return ctx.skip('the in-process fallback server has no SFTP subsystem');
    const src = join(local, 'script.sh');
    await writeFile(src, '#!/bin/sh\necho hi\n');
    await chmod(src, 0o750);
    const remote = `${remoteBase}/a/b/script.sh`;
    await p.putPath(src, remote, { signal: never() });
    expect((await run(p, `stat -c %a ${remote}; ${remote}`)).stdout).toBe('750\nhi\n');
    const back = join(local, 'back', 'script.sh');
    await p.getPath(remote, back, { signal: never() });
    expect(await readFile(back, 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect((await stat(back)).mode & 0o777).toBe(0o750);
  });

  it('replaces an existing file through a temp name and rename (no partial file, no leftovers)', async (ctx) => {
    if (!server.sftp) return ctx.skip('the in-process fallback server has no SFTP subsystem');
    const dir = `${remoteBase}/replace`;
    const src = join(local, 'v.txt');
    await writeFile(src, 'version 1');
    await p.putPath(src, `${dir}/v.txt`, { signal: never() });
    const inode1 = (await run(p, `stat -c %i ${dir}/v.txt`)).stdout;
    await writeFile(src, 'version 2');
    await chmod(src, 0o600);
    await p.putPath(src, `${dir}/v.txt`, { signal: never() });
    const r = await run(p, `ls -A ${dir}; cat ${dir}/v.txt; echo; stat -c '%a %i' ${dir}/v.txt`);
    const [listing, content, modeInode] = r.stdout.trim().split('\n');
    expect(listing).toBe('v.txt');
    expect(content).toBe('version 2');
    expect(modeInode!.split(' ')[0]).toBe('600');
    expect(modeInode!.split(' ')[1]).not.toBe(inode1.trim()); // a new file was renamed into place
  });

  it('uploads and downloads a directory tree recursively with modes', async (ctx) => {
    if (!server.sftp) return ctx.skip('the in-process fallback server has no SFTP subsystem');
    const tree = join(local, 'tree');
    await mkdir(join(tree, 'sub', 'deep'), { recursive: true });
    await writeFile(join(tree, 'top.txt'), 'top');
    await writeFile(join(tree, 'sub', 'exec.sh'), 'x');
    await chmod(join(tree, 'sub', 'exec.sh'), 0o755);
    await writeFile(join(tree, 'sub', 'deep', 'secret'), 's');
    await chmod(join(tree, 'sub', 'deep', 'secret'), 0o600);
    await chmod(join(tree, 'sub', 'deep'), 0o700);
    const remote = `${remoteBase}/tree`;
    await p.putPath(tree, remote, { signal: never() });
    const listing = (await run(p, `cd ${remote} && find . | sort | while read f; do echo "$f $(stat -c %a "$f")"; done`)).stdout;
    expect(listing).toContain('./sub/exec.sh 755');
    expect(listing).toContain('./sub/deep 700');
    expect(listing).toContain('./sub/deep/secret 600');
    expect(listing).toContain('./top.txt');

    const back = join(local, 'tree-back');
    await mkdir(back);
    await writeFile(join(back, 'stale'), 'replaced'); // the download replaces what was there
    await p.getPath(remote, back, { signal: never() });
    expect(await readFile(join(back, 'sub', 'deep', 'secret'), 'utf8')).toBe('s');
    expect((await stat(join(back, 'sub', 'exec.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(back, 'sub', 'deep'))).mode & 0o777).toBe(0o700);
    await expect(stat(join(back, 'stale'))).rejects.toThrow();
  });

  it('moves a 10 MB file both ways intact', async (ctx) => {
    if (!server.sftp) return ctx.skip('the in-process fallback server has no SFTP subsystem');
    const data = randomBytes(10 * 1024 * 1024);
    const src = join(local, 'big.bin');
    await writeFile(src, data);
    const remote = `${remoteBase}/big.bin`;
    let t = Date.now();
    await p.putPath(src, remote, { signal: never() });
    const up = Date.now() - t;
    expect((await run(p, `sha256sum ${remote}`)).stdout.split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
    t = Date.now();
    await p.getPath(remote, join(local, 'big-back.bin'), { signal: never() });
    const down = Date.now() - t;
    expect((await readFile(join(local, 'big-back.bin'))).equals(data)).toBe(true);
    console.log(`10 MB over SFTP: upload ${up} ms, download ${down} ms`);
  });

  it('stops a transfer when the AbortSignal fires, and transfers again afterwards', async (ctx) => {
    if (!server.sftp) return ctx.skip('the in-process fallback server has no SFTP subsystem');
    const src = join(local, 'abort.bin');
    await writeFile(src, randomBytes(64 * 1024 * 1024));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const started = Date.now();
    await expect(p.putPath(src, `${remoteBase}/abort.bin`, { signal: ac.signal })).rejects.toMatchObject({ kind: 'rivet/canceled' });
    expect(Date.now() - started).toBeLessThan(500);
    const small = join(local, 'after-abort.txt');
    await writeFile(small, 'after');
    await p.putPath(small, `${remoteBase}/after-abort.txt`, { signal: never() });
    expect((await run(p, `cat ${remoteBase}/after-abort.txt`)).stdout).toBe('after');
  });

  it('reports a missing remote path clearly', async (ctx) => {
    if (!server.sftp) return ctx.skip('the in-process fallback server has no SFTP subsystem');
    await expect(p.getPath(`${remoteBase}/nope`, join(local, 'nope'), { signal: never() })).rejects.toThrow(/nope.*No such file/);
  });

  it('throws TransferUnavailableError when the server has no SFTP subsystem', async () => {
    const reason = sshdSkipReason();
    await using noSftp = reason ? await startSsh2Server() : await startSshd({ sftp: false });
    const q = await connect(sshTarget(noSftp, {}, reason ? { host: '127.0.0.1' } : {}), env);
    const src = join(local, 'x.txt');
    await writeFile(src, 'x');
    await expect(q.putPath(src, `${remoteBase}/x.txt`, { signal: never() })).rejects.toBeInstanceOf(TransferUnavailableError);
    await expect(q.getPath('/etc/hostname', join(local, 'y'), { signal: never() })).rejects.toBeInstanceOf(TransferUnavailableError);
    // The connection is still good for exec.
    expect((await run(q, 'echo still-ok')).stdout).toBe('still-ok\n');
    await q.close();
  });
});

describe('ssh faults (in-process ssh2 server)', () => {
  it('resolves exited without a status when the server closes the channel abruptly', async () => {
    await using srv = await startSsh2Server({ mode: 'drop-channel' });
    const q = await connect(sshTarget(srv, {}, { host: '127.0.0.1' }), env);
    const r = await collect(await q.spawn('echo never runs', { signal: never() }));
    expect(r).toMatchObject({ code: null, signal: null, stdout: 'partial output\n' });
    await q.close();
  });

  it('settles running work as lost (CONNECTION_LOST) and fails new work with CONNECT_ERROR when the connection drops', async () => {
    const srv = await startSsh2Server();
    const q = await connect(sshTarget(srv, {}, { host: '127.0.0.1' }), env);
    const proc = await q.spawn('sleep 30', { signal: never() });
    await srv.stop();
    expect(await proc.exited).toMatchObject({ code: null, signal: null, lost: { kind: 'rivet/connection-lost', issueCode: 'CONNECTION_LOST' } });
    await expect(q.spawn('true', { signal: never() })).rejects.toMatchObject({ issueCode: 'CONNECT_ERROR', message: expect.stringContaining('connection lost') });
    await q.close();
  });
});
