/**
 * Kills that really kill (issue 9, point 1): a timeout or cancel stops the remote work through a
 * second exec that TERMs, then KILLs, the bootstrap's process group and removes the temp dir,
 * because OpenSSH refuses channel `signal` requests for root sessions ("session signalling
 * requires privilege separation"). Verified on the target with `pgrep` and the temp dir's
 * contents, for root and non-root logins, commands, scripts, tasks with files, and run-as.
 */
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PosixConnection } from '../../src/transports/posix/connection.ts';
import type { RunAs, RunResult } from '../../src/transports/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { TEST_USERS } from '../harness/users.ts';
import { makeProject } from '../cli/helpers.ts';
import { connect, fakeHome, sshTarget } from '../transports/ssh/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rivet.mjs');
const skip = sshdSkipReason();

/** A `sleep` whose argument no other process on the machine has, so pgrep finds only ours. */
function uniqueSleep(): string {
  return `sleep ${randomInt(100_000_000, 999_999_999)}`;
}

async function pgrep(pattern: string): Promise<string[]> {
  try {
    const { stdout } = await run('pgrep', ['-f', `^${pattern}$`]);
    return stdout.trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches.
  }
}

/** Polls until the remote sleep runs (bounded by a count of tries, not by a time budget). */
async function started(pattern: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await pgrep(pattern)).length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${pattern} never started`);
}

async function taskArchive(script: string): Promise<Buffer> {
  const src = await mkdtemp(join(tmpdir(), 'rivet-fault-task-'));
  try {
    await mkdir(join(src, 'mod', 'tasks'), { recursive: true });
    await mkdir(join(src, 'mod', 'files'), { recursive: true });
    await writeFile(join(src, 'mod', 'tasks', 'hang.sh'), script);
    await writeFile(join(src, 'mod', 'files', 'data.txt'), 'data');
    const tar = await import('tar');
    const chunks: Buffer[] = [];
    for await (const chunk of tar.c({ cwd: src, portable: true }, ['mod']) as unknown as AsyncIterable<Buffer>) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await rm(src, { recursive: true, force: true });
  }
}

describe.skipIf(skip !== undefined)('kills without channel signals, verified with pgrep on the target', () => {
  let server: SshdServer;
  let remoteTmp: string;
  const conns: PosixConnection[] = [];

  beforeAll(async () => {
    server = await startSshd({ rootLogin: true });
    remoteTmp = await mkdtemp('/tmp/rivet-fault-kill-');
    await chmod(remoteTmp, 0o1777);
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    await server?.stop();
    await rm(remoteTmp, { recursive: true, force: true });
  });

  async function login(user: string, n: number): Promise<PosixConnection> {
    const conn = new PosixConnection(await connect(sshTarget(server, {}, { user }, n), await fakeHome()), { killGraceMs: 1_000 });
    conns.push(conn);
    return conn;
  }

  /** Each case gets its own tmpdir, so "the temp dir was removed" means "this one is empty". */
  async function caseDir(): Promise<string> {
    const dir = await mkdtemp(join(remoteTmp, 'case-'));
    await chmod(dir, 0o1777);
    return dir;
  }

  async function expectKilled(result: RunResult, sleep: string, dir?: string): Promise<void> {
    expect(result.timedOut || result.canceled).toBe(true);
    expect(result.killed).toBe(true);
    expect(await pgrep(sleep)).toEqual([]);
    if (dir !== undefined) expect(await readdir(dir)).toEqual([]);
  }

  async function cancelWhenStarted(sleep: string, work: (signal: AbortSignal) => Promise<RunResult>): Promise<RunResult> {
    const controller = new AbortController();
    const pending = work(controller.signal);
    await started(sleep);
    controller.abort();
    return pending;
  }

  it('root login: the server refuses channel signals (the reason for the kill exec)', async () => {
    const conn = await login('root', 11);
    const sleep = uniqueSleep();
    const result = await conn.run(sleep, { signal: new AbortController().signal, timeoutMs: 500 });
    await expectKilled(result, sleep);
    const log = await readFile(server.logPath, 'utf8');
    expect(log).toContain('session signalling requires privilege separation');
  });

  it('root login: a command that ignores TERM is killed with KILL on timeout', async () => {
    const conn = await login('root', 12);
    const sleep = uniqueSleep();
    const result = await conn.run(`trap '' TERM; ${sleep}`, { signal: new AbortController().signal, timeoutMs: 500 });
    await expectKilled(result, sleep);
  });

  it('root login: a task (one file) is killed on cancel and its temp dir removed', async () => {
    const conn = await login('root', 13);
    const sleep = uniqueSleep();
    const dir = await caseDir();
    const result = await cancelWhenStarted(sleep, (signal) =>
      conn.runFile({ signal, tmpdir: dir, file: { name: 'hang.sh', content: Buffer.from(`#!/bin/sh\n${sleep}\n`) } }),
    );
    await expectKilled(result, sleep, dir);
  });

  it('root login: a task with files (T-19) is killed on timeout and its temp dir removed', async () => {
    const conn = await login('root', 14);
    const sleep = uniqueSleep();
    const dir = await caseDir();
    const result = await conn.runBundle({
      signal: new AbortController().signal,
      timeoutMs: 1_000,
      tmpdir: dir,
      archive: await taskArchive(`#!/bin/sh\n${sleep}\n`),
      entry: 'mod/tasks/hang.sh',
      input: () => ({}),
    });
    await expectKilled(result, sleep, dir);
  });

  it('non-root login: a command on timeout and a task with files on cancel', async () => {
    const conn = await login(TEST_USERS.main, 15);
    const sleep = uniqueSleep();
    await expectKilled(await conn.run(sleep, { signal: new AbortController().signal, timeoutMs: 500 }), sleep);
    const taskSleep = uniqueSleep();
    const dir = await caseDir();
    const archive = await taskArchive(`#!/bin/sh\n${taskSleep}\n`);
    const result = await cancelWhenStarted(taskSleep, (signal) => conn.runBundle({ signal, tmpdir: dir, archive, entry: 'mod/tasks/hang.sh', input: () => ({}) }));
    await expectKilled(result, taskSleep, dir);
  });

  it('X-02: run-as (non-root login, sudo to another user): a script on timeout and a task with files on cancel', async () => {
    const conn = await login(TEST_USERS.main, 16);
    const runAs: RunAs = { user: TEST_USERS.app };
    const sleep = uniqueSleep();
    const dir = await caseDir();
    const script = await conn.runFile({ signal: new AbortController().signal, timeoutMs: 1_000, runAs, tmpdir: dir, file: { name: 'hang.sh', content: Buffer.from(`#!/bin/sh\ntrap '' TERM\n${sleep}\n`) } });
    await expectKilled(script, sleep, dir);
    const taskSleep = uniqueSleep();
    const archive = await taskArchive(`#!/bin/sh\n${taskSleep}\n`);
    const task = await cancelWhenStarted(taskSleep, (signal) => conn.runBundle({ signal, runAs, tmpdir: dir, archive, entry: 'mod/tasks/hang.sh', input: () => ({}) }));
    await expectKilled(task, taskSleep, dir);
  });

  it('the issue\'s case: `rivet command run \'sleep ...\' -t root@host --timeout 1` kills the sleep and says so', async () => {
    const sleep = uniqueSleep();
    const project = await makeProject({
      'bolt-project.yaml': 'name: killroot\n',
      'inventory.yaml': [
        'targets:',
        '  - uri: root@127.0.0.18',
        ...sshConfigLines(server, { user: undefined }),
        '',
      ].join('\n'),
    });
    const r = await run(process.execPath, [BIN, 'command', 'run', sleep, '-t', 'root@127.0.0.18', '--timeout', '1', '--format', 'json'], { cwd: project }).catch(
      (error: { stdout: string; code: number }) => error,
    );
    expect(r).toMatchObject({ code: 1 });
    const doc = JSON.parse(r.stdout) as { items: { value: { _error: { kind: string; msg: string; details: Record<string, unknown> } } }[] };
    expect(doc.items[0]!.value._error).toMatchObject({ kind: 'rivet/timeout', details: { killed: true } });
    expect(doc.items[0]!.value._error.msg).toContain('the remote process was killed');
    expect(await pgrep(sleep)).toEqual([]);
  });

  it('X-02: run-as root from a non-root login: the kill runs under sudo too', async () => {
    const conn = await login(TEST_USERS.main, 17);
    const sleep = uniqueSleep();
    const result = await conn.run(`trap '' TERM; ${sleep}`, { signal: new AbortController().signal, timeoutMs: 500, runAs: { user: 'root' } });
    await expectKilled(result, sleep);
  });
});
