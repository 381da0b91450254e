/**
 * Session slots held by processes left running on the target (a daemon that escaped the step's
 * process group with setsid and keeps the session's stdout/stderr open): OpenSSH keeps such a
 * session open, and counts it against MaxSessions, until the client closes the channel. Later steps
 * on the same pooled connection must not wait or fail because of them.
 *
 * Rivet closes every exec channel it is done with, so OpenSSH frees a session whose command has
 * exited, whoever holds its output. A session whose process is still running stays taken on the
 * server even after that close: once such sessions hold every slot, a fresh connection takes the
 * old one's place.
 *
 * The sshd here allows 2 sessions per connection. Every process left running carries a marker
 * (`sleep 7<pid>.<n>`) and is killed by it after each test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../src/runtime/create.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { makeProject } from '../../cli/helpers.ts';
import { collect, connect, fakeHome, never, run, sshTarget } from './helpers.ts';

const skip = sshdSkipReason();
const marker = `7${process.pid}`;
let seq = 0;

/** A `sleep` whose command line carries this file's marker (so afterEach can find it). */
function leftover(): string {
  return `sleep ${marker}.${++seq}`;
}

function leftRunning(): string[] {
  try {
    return execFileSync('pgrep', ['-f', `^sleep ${marker}\\.`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

afterEach(() => {
  try {
    execFileSync('pkill', ['-KILL', '-f', `^sleep ${marker}\\.`]);
  } catch {
    // none left
  }
});

function inventory(sshd: SshdServer, name: string): unknown {
  return {
    targets: [{ name, uri: '127.0.0.1' }],
    config: {
      transport: 'ssh',
      ssh: { port: sshd.port, user: sshd.user, 'private-key': sshd.clientKeyPath, 'known-hosts-file': sshd.knownHostsPath, 'load-config': false },
    },
  };
}

/** Waits until `check` holds, polling; fails after `ms` (generous: a loaded machine is slow). */
async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== undefined)('sessions held by processes left running (real sshd, MaxSessions 2)', () => {
  it('X-07: a step after three steps that left a setsid daemon holding their output runs normally', { timeout: 300_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const project = await makeProject({ 'rivet-project.yaml': 'name: leaks\n' });
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: inventory(sshd, 'leaky'), concurrency: 4, threads: 'off' });
    for (let i = 0; i < 3; i++) {
      const set = await runtime.runCommand(`setsid sh -c 'exec ${leftover()}' </dev/null & echo started`, ['leaky']);
      expect(set.ok).toBe(true);
      expect(set.results[0]!.value['stdout']).toBe('started\n');
    }
    await until(() => leftRunning().length === 3);
    const guard = AbortSignal.timeout(120_000); // without the fix this step waits for a free slot
    const set = await runtime.runCommand('echo ok', ['leaky'], { signal: guard });
    expect(set.results[0]!.value).toMatchObject({ stdout: 'ok\n', exit_code: 0 });
    expect(set.ok).toBe(true);
  });

  it('X-07: a step after steps that timed out, leaving a daemon that escaped the kill, runs normally', { timeout: 300_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const project = await makeProject({ 'rivet-project.yaml': 'name: leaks\n' });
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: inventory(sshd, 'leaky'), concurrency: 4, threads: 'off' });
    for (let i = 0; i < 3; i++) {
      const set = await runtime.runCommand(`setsid sh -c 'exec ${leftover()}' </dev/null & ${leftover()}`, ['leaky'], { timeoutMs: 1000 });
      expect(set.ok).toBe(false);
      expect(set.results[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout' });
    }
    await until(() => leftRunning().length === 3);
    const guard = AbortSignal.timeout(120_000);
    const set = await runtime.runCommand('echo ok', ['leaky'], { signal: guard });
    expect(set.results[0]!.value).toMatchObject({ stdout: 'ok\n', exit_code: 0 });
    expect(set.ok).toBe(true);
  });
});

describe.skipIf(skip !== undefined)('sessions whose process still runs after Rivet closed the channel (real sshd, MaxSessions 2)', () => {
  it('the next command opens a fresh connection, and the old one is ended once its own work is done', { timeout: 300_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const p = await connect(sshTarget(sshd), await fakeHome());
    try {
      const before = sshd.connectionCount();
      // Two processes left running with their channels closed by Rivet: sshd keeps both sessions.
      for (let i = 0; i < 2; i++) {
        const proc = await p.spawn(`exec ${leftover()}`, { signal: never() });
        proc.stdin.end();
        proc.stdout.resume();
        proc.stderr.resume();
        await until(() => leftRunning().length === i + 1);
        proc.release?.();
      }
      expect((await run(p, 'echo ok')).stdout).toBe('ok\n');
      expect(p.connectionReplacements).toBe(1);
      expect(sshd.connectionCount() - before).toBe(1);
      // The old connection had nothing of ours left: it is ended (sshd logs the client's disconnect).
      await until(() => /Received disconnect from|Disconnected from/.test(readFileSync(sshd.logPath, 'utf8')));
      // The fresh connection has its server's two slots.
      const both = await Promise.all([run(p, 'sleep 0.2; echo a'), run(p, 'sleep 0.2; echo b')]);
      expect(both.map((r) => r.stdout)).toEqual(['a\n', 'b\n']);
      expect(p.connectionReplacements).toBe(1);
      expect(leftRunning()).toHaveLength(2);
    } finally {
      await p.close();
    }
  });

  it("an idle SFTP session of ours gives up its slot to a command instead of holding it for good", { timeout: 180_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const p = await connect(sshTarget(sshd), await fakeHome());
    const local = await mkdtemp(join(tmpdir(), 'rivet-leak-sftp-'));
    try {
      await writeFile(join(local, 'f.txt'), 'x');
      await p.putPath(join(local, 'f.txt'), `/tmp/rivet-leak-sftp-${process.pid}.txt`, { signal: never() }); // the SFTP session stays open
      const leaked = await p.spawn(`exec ${leftover()}`, { signal: never() });
      leaked.stdin.end();
      leaked.stdout.resume();
      leaked.stderr.resume();
      await until(() => leftRunning().length === 1);
      leaked.release?.();
      expect((await run(p, 'echo ok')).stdout).toBe('ok\n');
      expect(p.connectionReplacements).toBe(0);
    } finally {
      await p.close();
      await rm(local, { recursive: true, force: true });
      await rm(`/tmp/rivet-leak-sftp-${process.pid}.txt`, { force: true });
    }
  });

  it('a command of ours still running on the connection is waited for, not replaced', { timeout: 180_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const p = await connect(sshTarget(sshd), await fakeHome());
    try {
      const leaked = await p.spawn(`exec ${leftover()}`, { signal: never() });
      leaked.stdin.end();
      leaked.stdout.resume();
      leaked.stderr.resume();
      await until(() => leftRunning().length === 1);
      leaked.release?.();
      // Ours holds the other slot until the flag file exists: the next command waits for it.
      const flagDir = await mkdtemp(join(tmpdir(), 'rivet-leak-'));
      await chmod(flagDir, 0o755); // the test user looks for the flag
      const flag = join(flagDir, 'go');
      const ours = await p.spawn(`while [ ! -e ${flag} ]; do sleep 0.05; done; echo ours`, { signal: never() });
      const oursDone = collect(ours);
      const next = run(p, 'echo next');
      await until(() => p.sessionLimit === 1); // refused while ours runs: the limit is what the server has left
      await writeFile(flag, '');
      expect((await oursDone).stdout).toBe('ours\n');
      expect((await next).stdout).toBe('next\n');
      expect(p.connectionReplacements).toBe(0);
      await rm(flagDir, { recursive: true, force: true });
    } finally {
      await p.close();
    }
  });
});
