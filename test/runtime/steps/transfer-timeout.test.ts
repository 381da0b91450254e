/**
 * Timeouts and cancel of uploads and downloads (P-05, P-06 with Rivet's step timeout): the step's
 * `timeoutMs` stops a transfer part-way and fails the target with `rivet/timeout`, as a command's
 * timeout does; nothing is left half-written at the destination.
 *
 * Local: the source is a named pipe that the test holds open and never ends, so the copy blocks
 * until stopped, whatever the machine's speed. SSH (real sshd): SFTP reads a named pipe as an empty
 * file, so the source there is a sparse file far too large to copy within the step's 1 s timeout.
 * No assertion depends on how long anything took.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../src/runtime/create.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { makeProject } from '../../cli/helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-xfer-'));
  await chmod(dir, 0o755);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A named pipe with a writer held open (a few bytes in it, never an end) until the test is over. */
function endlessPipe(path: string): void {
  execFileSync('mkfifo', ['-m', '0644', path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  writeSync(fd, 'partial data\n');
  cleanups.push(() => closeSync(fd));
}

const localInventory = { targets: [{ name: 'here', uri: 'local://localhost' }] };

describe('local transfers under a timeout or cancel', () => {
  it('P-05: an upload from a source that never ends fails with rivet/timeout and leaves no destination', { timeout: 60_000 }, async () => {
    const dir = await scratch();
    endlessPipe(join(dir, 'pipe'));
    const project = await makeProject({ 'rivet-project.yaml': 'name: xfer\n' });
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: localInventory });
    const set = await runtime.uploadFile(join(dir, 'pipe'), join(dir, 'copy'), ['here'], { timeoutMs: 1000 });
    expect(set.ok).toBe(false);
    expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout', msg: expect.stringMatching(/^Timed out after 1\.0 s on here; the transfer was stopped/) });
    expect((await readdir(dir)).sort()).toEqual(['pipe']);
  });

  it('P-05: a directory upload canceled part-way fails with rivet/canceled and leaves no destination', { timeout: 60_000 }, async () => {
    const dir = await scratch();
    await mkdir(join(dir, 'tree'));
    await writeFile(join(dir, 'tree', 'a.txt'), 'a');
    endlessPipe(join(dir, 'tree', 'z-pipe'));
    const project = await makeProject({ 'rivet-project.yaml': 'name: xfer\n' });
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: localInventory });
    const abort = new AbortController();
    const step = runtime.uploadFile(join(dir, 'tree'), join(dir, 'copy'), ['here'], { signal: abort.signal });
    setTimeout(() => abort.abort(), 200);
    const set = await step;
    expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/canceled' });
    expect((await readdir(dir)).sort()).toEqual(['tree']);
  });

  it('P-06: a download of a source that never ends fails with rivet/timeout and leaves no file', { timeout: 60_000 }, async () => {
    const dir = await scratch();
    endlessPipe(join(dir, 'pipe'));
    const project = await makeProject({ 'rivet-project.yaml': 'name: xfer\n' });
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: localInventory });
    const set = await runtime.downloadFile(join(dir, 'pipe'), join(dir, 'out'), ['here'], { timeoutMs: 1000, cwd: dir });
    expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout' });
    expect(await readdir(join(dir, 'out', 'here'))).toEqual([]);
  });
});

const skip = sshdSkipReason();

function sshInventory(sshd: SshdServer): unknown {
  return {
    targets: [{ name: 'remote', uri: '127.0.0.1' }],
    config: {
      transport: 'ssh',
      ssh: { port: sshd.port, user: sshd.user, 'private-key': sshd.clientKeyPath, 'known-hosts-file': sshd.knownHostsPath, 'load-config': false },
    },
  };
}

/** Far more than loopback SFTP moves in the 1 s timeout; sparse, so it takes no disk. */
const HUGE = 64 * 1024 ** 3;

/**
 * A scratch directory holding `huge`, a sparse file of HUGE bytes, readable by the test user:
 * `open: 'dir'` opens the directory to it (uploads write beside the file), `'file'` only the file.
 */
async function hugeSource(open: 'dir' | 'file'): Promise<string> {
  const dir = await scratch();
  await writeFile(join(dir, 'huge'), '');
  await truncate(join(dir, 'huge'), HUGE);
  if (open === 'dir') await chmod(dir, 0o777);
  else await chmod(join(dir, 'huge'), 0o644);
  return dir;
}

/** A runtime of a fresh project whose one target, `remote`, is the harness sshd. */
async function sshRuntime(sshd: SshdServer, threads: 'off' | number = 'off'): Promise<Awaited<ReturnType<typeof createRuntime>>> {
  const project = await makeProject({ 'rivet-project.yaml': 'name: xfer\n' });
  return createRuntime({ cwd: project, env: {}, inventory: sshInventory(sshd), threads });
}

describe.skipIf(skip !== undefined)('SSH transfers under a timeout (real sshd)', () => {
  for (const sftp of [true, false]) {
    const via = sftp ? 'SFTP' : 'the exec fallback';
    it(`P-05: an upload over ${via} fails with rivet/timeout and leaves no destination`, { timeout: 120_000 }, async () => {
      await using sshd = await startSshd({ sftp });
      const dir = await hugeSource('dir');
      await using runtime = await sshRuntime(sshd);
      const set = await runtime.uploadFile(join(dir, 'huge'), join(dir, 'copy'), ['remote'], { timeoutMs: 1000 });
      expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout' });
      expect((await readdir(dir)).sort()).toEqual(['huge']);
      // The connection is still usable.
      const after = await runtime.runCommand('echo ok', ['remote']);
      expect(after.results[0]!.value).toMatchObject({ stdout: 'ok\n' });
    });

    it(`P-05: an upload over ${via} from an SSH worker thread fails with rivet/timeout`, { timeout: 120_000 }, async () => {
      await using sshd = await startSshd({ sftp });
      const dir = await hugeSource('dir');
      await using runtime = await sshRuntime(sshd, 1);
      const set = await runtime.uploadFile(join(dir, 'huge'), join(dir, 'copy'), ['remote'], { timeoutMs: 1000 });
      expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout' });
      expect((await readdir(dir)).sort()).toEqual(['huge']);
    });

    it(`P-06: a download over ${via} fails with rivet/timeout and leaves no file`, { timeout: 120_000 }, async () => {
      await using sshd = await startSshd({ sftp });
      const dir = await hugeSource('file');
      await using runtime = await sshRuntime(sshd);
      const set = await runtime.downloadFile(join(dir, 'huge'), join(dir, 'out'), ['remote'], { timeoutMs: 1000, cwd: dir });
      expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout' });
      expect(await readdir(join(dir, 'out', 'remote'))).toEqual([]);
    });
  }
});

/** Polls until `ready` holds (no time budget of its own: the test's timeout bounds it). */
async function until(ready: () => Promise<boolean>): Promise<void> {
  while (!(await ready())) await sleep(50);
}

/** True once some file directly under a subdirectory of `dir` whose name starts with `prefix` has bytes. */
async function bytesArrived(dir: string, prefix: string): Promise<boolean> {
  for (const sub of await readdir(dir).catch(() => [])) {
    if (!sub.startsWith(prefix)) continue;
    for (const file of await readdir(join(dir, sub)).catch(() => [])) {
      if (((await stat(join(dir, sub, file)).catch(() => undefined))?.size ?? 0) > 0) return true;
    }
  }
  return false;
}

describe.skipIf(skip !== undefined)('SSH transfers over exec (no SFTP, or run-as) canceled part-way (real sshd)', () => {
  it('P-05: an upload canceled after its first bytes fails with rivet/canceled and leaves nothing behind', { timeout: 120_000 }, async () => {
    await using sshd = await startSshd({ sftp: false });
    const dir = await hugeSource('dir');
    const remoteTmp = await scratch();
    await chmod(remoteTmp, 0o777);
    await using runtime = await sshRuntime(sshd);
    const abort = new AbortController();
    const step = runtime.uploadFile(join(dir, 'huge'), join(dir, 'copy'), ['remote'], { signal: abort.signal, tmpdir: remoteTmp });
    await until(() => bytesArrived(remoteTmp, 'rivet.'));
    abort.abort();
    const set = await step;
    expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/canceled', issue_code: 'CANCELED' });
    expect((await readdir(dir)).sort()).toEqual(['huge']);
    expect(await readdir(remoteTmp)).toEqual([]);
  });

  it('P-05, X-02: an upload with run-as (exec even with SFTP) canceled after its first bytes fails with rivet/canceled', { timeout: 120_000 }, async () => {
    await using sshd = await startSshd({ sftp: true });
    const dir = await hugeSource('dir');
    const remoteTmp = await scratch();
    await chmod(remoteTmp, 0o777);
    await using runtime = await sshRuntime(sshd);
    const abort = new AbortController();
    const step = runtime.uploadFile(join(dir, 'huge'), join(dir, 'copy'), ['remote'], { signal: abort.signal, tmpdir: remoteTmp, runAs: 'root' });
    await until(() => bytesArrived(remoteTmp, 'rivet.'));
    abort.abort();
    const set = await step;
    expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/canceled', issue_code: 'CANCELED' });
    expect((await readdir(dir)).sort()).toEqual(['huge']);
    expect(await readdir(remoteTmp)).toEqual([]);
  });

  it('P-06: a download canceled after its first bytes fails with rivet/canceled and leaves no file', { timeout: 120_000 }, async () => {
    await using sshd = await startSshd({ sftp: false });
    const dir = await hugeSource('file');
    await using runtime = await sshRuntime(sshd);
    const abort = new AbortController();
    const step = runtime.downloadFile(join(dir, 'huge'), join(dir, 'out'), ['remote'], { signal: abort.signal, cwd: dir });
    await until(() => bytesArrived(join(dir, 'out', 'remote'), '.rivet-download-'));
    abort.abort();
    const set = await step;
    expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/canceled', issue_code: 'CANCELED' });
    expect(await readdir(join(dir, 'out', 'remote'))).toEqual([]);
  });
});
