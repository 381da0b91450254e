/**
 * The fresh connection that replaces one whose sessions are all held by processes left running on
 * the target (see leaked-sessions.test.ts) goes through the connection pool's handshake pacing,
 * like every first connect: with a handshake limit of 1, many targets that all need a replacement
 * at once still have at most one handshake in flight. Its wait honours the step's AbortSignal, and
 * a replacement that cannot log in fails the step with the host and the reason, while the old
 * connection is still ended.
 *
 * The sshd here allows 2 sessions per connection. Every process left running carries a marker
 * (`sleep 8<pid>.<n>`) and is killed by it after each test. Handshakes in flight are counted twice:
 * by the pool, and from sshd's log (a handshake starts at `Connection from` and ends at `Accepted
 * publickey`; the log is appended to in the order things happen).
 */
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRivetError, type RivetError } from '../../../src/core/errors.ts';
import { EventBus } from '../../../src/core/events.ts';
import type { Target } from '../../../src/core/target.ts';
import { ConnectionPool } from '../../../src/runtime/pool.ts';
import { PosixConnection } from '../../../src/transports/posix/connection.ts';
import { SshPrimitives } from '../../../src/transports/ssh/primitives.ts';
import type { ResolveEnv } from '../../../src/transports/ssh/config.ts';
import type { ConnectOptions, Connection, Transport } from '../../../src/transports/transport.ts';
import { ThreadedTransport } from '../../../src/transports/threads/index.ts';
import { startSsh2Server } from '../../harness/ssh2-server.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { fakeHome, never, sshTarget } from './helpers.ts';

const skip = sshdSkipReason();
const marker = `8${process.pid}`;
let seq = 0;

function leftRunning(): number {
  try {
    return execFileSync('pgrep', ['-f', `^sleep ${marker}\\.`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

afterEach(() => {
  try {
    execFileSync('pkill', ['-KILL', '-f', `^sleep ${marker}\\.`]);
  } catch {
    // none left
  }
});

/** Waits until `check` holds, polling; fails after `ms` (generous: a loaded machine is slow). */
async function until(check: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rivet's SSH transport, keeping each target's primitives so a test can leave processes running on its connection. */
class KeepingSshTransport implements Transport {
  readonly name = 'ssh' as const;
  readonly primitives = new Map<string, SshPrimitives>();
  constructor(private readonly resolveEnv: ResolveEnv) {}

  async connect(target: Target, options: ConnectOptions): Promise<Connection> {
    const p = await SshPrimitives.connect(target, { ...options, resolveEnv: this.resolveEnv });
    this.primitives.set(target.name, p);
    return new PosixConnection(p);
  }
}

/** Leaves `n` processes running on the target's connection, their channels closed by Rivet (sshd keeps the sessions). */
async function leaveRunning(p: SshPrimitives, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const before = leftRunning();
    const proc = await p.spawn(`exec sleep ${marker}.${++seq}`, { signal: never() });
    proc.stdin.end();
    proc.stdout.resume();
    proc.stderr.resume();
    await until(() => leftRunning() === before + 1);
    proc.release?.();
  }
}

/** The most handshakes in flight at once in sshd's log (from `Connection from` to `Accepted publickey`). */
function sshdHandshakesPeak(sshd: SshdServer): number {
  let inFlight = 0;
  let peak = 0;
  for (const line of readFileSync(sshd.logPath, 'utf8').split('\n')) {
    if (/^Connection from /.test(line)) peak = Math.max(peak, ++inFlight);
    else if (/^Accepted publickey for /.test(line)) inFlight--;
  }
  return peak;
}

function disconnects(sshd: SshdServer): number {
  return (readFileSync(sshd.logPath, 'utf8').match(/^Disconnected from user /gm) ?? []).length;
}

describe.skipIf(skip !== undefined)('replacing a connection whose sessions are all held, under the pool (real sshd, MaxSessions 2)', () => {
  it('X-07: six targets that all need a fresh connection at once keep to a handshake limit of 1, and every old connection ends', { timeout: 600_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const ssh = new KeepingSshTransport(await fakeHome());
    const pool = new ConnectionPool({ ssh }, { handshakes: 1, limit: 6 });
    const targets = Array.from({ length: 6 }, (_, i) => sshTarget(sshd, {}, {}, i + 2));
    try {
      // Each target's pooled connection gets both its sessions held by processes left running.
      for (const target of targets) {
        await pool.use(target, { signal: never() }, () => leaveRunning(ssh.primitives.get(target.name)!, 2));
      }
      expect(leftRunning()).toBe(12);
      expect(pool.handshakesStarted).toBe(6);

      const signal = new AbortController().signal;
      const results = await Promise.all(targets.map((target) => pool.use(target, { signal }, (c) => c.run('echo ok', { signal }))));
      expect(results.map((r) => [r.exitCode, r.stdout.toString()])).toEqual(targets.map(() => [0, 'ok\n']));
      for (const target of targets) expect(ssh.primitives.get(target.name)!.connectionReplacements).toBe(1);
      expect(pool.handshakesStarted).toBe(12);
      expect(pool.handshakesPeak).toBe(1);
      expect(sshd.connectionCount()).toBe(12);
      expect(sshdHandshakesPeak(sshd)).toBe(1);
      // Every old connection had nothing of ours left: each is ended (sshd logs each disconnect,
      // and its socket is closed here, which stops ssh2's keepalive timer), and nothing of the
      // step is left listening on its signal.
      await until(() => disconnects(sshd) === 6);
      await until(() => targets.every((target) => ssh.primitives.get(target.name)!.openConnections === 1));
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      expect(leftRunning()).toBe(12);
    } finally {
      await pool.closeAll();
    }
  });

  it('a replacement waiting for its handshake turn stops when the step is canceled, and starts no handshake', { timeout: 300_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    // A server that accepts and never sends a banner: its connect holds the pool's one handshake turn.
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const events = new EventBus();
    const logged: string[] = [];
    events.on((event) => {
      if (event.type === 'log') logged.push(event.text);
    });
    const ssh = new KeepingSshTransport(await fakeHome());
    const pool = new ConnectionPool({ ssh }, { handshakes: 1, limit: 4, events });
    const leaky = sshTarget(sshd, {}, {}, 2);
    const stuck = sshTarget({ ...sshd, port: silentPort }, { 'connect-timeout': 3600 }, { name: 'silent', host: '127.0.0.1' });
    const stuckStop = new AbortController();
    try {
      await pool.use(leaky, { signal: never() }, () => leaveRunning(ssh.primitives.get(leaky.name)!, 2));
      const stuckConnect = pool.use(stuck, { signal: stuckStop.signal }, async () => undefined).catch((e: unknown) => e);
      await until(() => held.length === 1);
      const started = pool.handshakesStarted;

      const step = new AbortController();
      const run = pool.use(leaky, { signal: step.signal }, (c) => c.run('echo never', { signal: step.signal }));
      await until(() => logged.some((text) => text.startsWith(`Waiting to open a fresh connection to ${leaky.name}`)));
      step.abort();
      const result = await run.then(
        (r) => r,
        (e: unknown) => e,
      );
      // The step ends canceled (a run result or a canceled error), without waiting for the turn.
      if (isRivetError(result)) expect(result.kind).toBe('rivet/canceled');
      else expect(result).toMatchObject({ canceled: true });
      expect(pool.handshakesStarted).toBe(started);
      expect(getEventListeners(step.signal, 'abort')).toHaveLength(0);
      expect(ssh.primitives.get(leaky.name)!.connectionReplacements).toBe(0);

      // Once the turn is free, the next step on the target gets its fresh connection.
      stuckStop.abort();
      expect(await stuckConnect).toMatchObject({ kind: 'rivet/canceled' });
      const ok = await pool.use(leaky, { signal: never() }, (c) => c.run('echo ok', { signal: never() }));
      expect(ok.stdout.toString()).toBe('ok\n');
      expect(ssh.primitives.get(leaky.name)!.connectionReplacements).toBe(1);
    } finally {
      stuckStop.abort();
      await pool.closeAll();
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('a replacement whose login is refused fails the step naming the host and the reason, and the old connection still ends', { timeout: 300_000 }, async () => {
    await using sshd = await startSshd({ maxSessions: 2 });
    const ssh = new KeepingSshTransport(await fakeHome());
    const pool = new ConnectionPool({ ssh }, { handshakes: 1 });
    const target = sshTarget(sshd, {}, {}, 2);
    try {
      await pool.use(target, { signal: never() }, () => leaveRunning(ssh.primitives.get(target.name)!, 2));
      await writeFile(join(sshd.dir, 'authorized_keys'), ''); // from now on sshd refuses the key
      const failed = (await pool.use(target, { signal: never() }, (c) => c.run('echo never', { signal: never() })).catch((e: unknown) => e)) as RivetError;
      expect(isRivetError(failed)).toBe(true);
      expect(failed.kind).toBe('puppetlabs.tasks/connect-error');
      expect(failed.issueCode).toBe('AUTH_ERROR');
      expect(failed.target).toBe(target.name);
      expect(failed.message).toContain(`ssh ${target.name} (${target.host}:${sshd.port})`);
      expect(failed.message).toContain('a fresh connection in its place failed: Authentication failed for user');
      expect(failed.details).toMatchObject({ host: target.host, port: sshd.port });
      // The old connection is ended (its slots are of no use), and later steps get the same error.
      const p = ssh.primitives.get(target.name)!;
      await until(() => p.openConnections === 0 && disconnects(sshd) === 1);
      const again = (await pool.use(target, { signal: never() }, (c) => c.run('echo never', { signal: never() })).catch((e: unknown) => e)) as RivetError;
      expect(again.message).toBe(failed.message);
      expect(pool.handshakesStarted).toBe(2);
    } finally {
      await pool.closeAll();
    }
  });
});

describe.skipIf(skip !== undefined)('a replacement to a host that went down (real sshd, MaxSessions 2)', () => {
  it('fails the step with the refused connection, and the old connection still ends', { timeout: 300_000 }, async () => {
    const sshd = await startSshd({ maxSessions: 2 });
    const ssh = new KeepingSshTransport(await fakeHome());
    const pool = new ConnectionPool({ ssh }, { handshakes: 1 });
    const target = sshTarget(sshd, {}, {}, 2);
    try {
      await pool.use(target, { signal: never() }, () => leaveRunning(ssh.primitives.get(target.name)!, 2));
      // sshd's listener stops; the connection's own server process (and its sessions) stay.
      await sshd.stop();
      const failed = (await pool.use(target, { signal: never() }, (c) => c.run('echo never', { signal: never() })).catch((e: unknown) => e)) as RivetError;
      expect(failed).toMatchObject({ kind: 'puppetlabs.tasks/connect-error', issueCode: 'CONNECT_ERROR', target: target.name });
      expect(failed.message).toContain(`ssh ${target.name} (${target.host}:${sshd.port}): every session of the connection is taken`);
      expect(failed.message).toContain(`connection refused by ${target.host}:${sshd.port}`);
      const p = ssh.primitives.get(target.name)!;
      await until(() => p.openConnections === 0);
    } finally {
      await pool.closeAll();
      await sshd.stop();
    }
  });
});

describe('replacing a connection in a worker thread (--threads)', () => {
  it('the fresh connection of a connection in a worker thread waits for its turn in the main thread\'s pool', { timeout: 300_000 }, async () => {
    // Accepts the first session of each connection and refuses every later one, as a server whose
    // MaxSessions is held by processes left running: the second step on a target replaces its connection.
    await using server = await startSsh2Server({ mode: 'one-session' });
    const ssh = new ThreadedTransport({ threads: 2, resolveEnv: await fakeHome() });
    const pool = new ConnectionPool({ ssh }, { handshakes: 1 });
    const targets = Array.from({ length: 4 }, (_, i) => sshTarget(server, {}, {}, i + 2));
    const step = (command: string): Promise<string[]> =>
      Promise.all(targets.map(async (target) => (await pool.use(target, { signal: never() }, (c) => c.run(command, { signal: never() }))).stdout.toString()));
    try {
      expect(await step('echo up')).toEqual(targets.map(() => 'up\n'));
      expect(await step('echo again')).toEqual(targets.map(() => 'again\n'));
      expect(server.connectionCount()).toBe(8);
      expect(pool.handshakesStarted).toBe(8);
      expect(pool.handshakesPeak).toBe(1);
      expect(server.handshakesPeak()).toBe(1);
      expect(ssh.connectionsPerThread()).toEqual([2, 2]);
    } finally {
      await pool.closeAll();
      await ssh.close();
    }
  });
});

describe('a handshake aborted while it runs keeps its turn until it has ended', () => {
  it('X-07: a connect in a worker thread canceled mid-handshake holds the one handshake turn until the thread has given it up: the next target waits', { timeout: 300_000 }, async () => {
    // Accepts and never sends a banner: a handshake there runs until it is aborted.
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    await using server = await startSsh2Server({ mode: 'one-session' });
    // The abort reaches the handshake in the worker by message: it ends a moment after the step's signal.
    const ssh = new ThreadedTransport({ threads: 1, resolveEnv: await fakeHome() });
    const pool = new ConnectionPool({ ssh }, { handshakes: 1 });
    const target = (name: string): Target => sshTarget({ ...server, port: silentPort }, { 'connect-timeout': 3600 }, { name, host: '127.0.0.1' });
    const stopFirst = new AbortController();
    const stopSecond = new AbortController();
    try {
      const first = pool.use(target('silent-1'), { signal: stopFirst.signal }, async () => undefined).catch((e: unknown) => e);
      await until(() => held.length === 1);
      const second = pool.use(target('silent-2'), { signal: stopSecond.signal }, async () => undefined).catch((e: unknown) => e);
      stopFirst.abort();
      expect(await first).toMatchObject({ kind: 'rivet/canceled' });
      await until(() => held.length === 2);
      expect(pool.handshakesStarted).toBe(2);
      expect(pool.handshakesPeak).toBe(1);
      stopSecond.abort();
      expect(await second).toMatchObject({ kind: 'rivet/canceled' });
    } finally {
      stopFirst.abort();
      stopSecond.abort();
      await pool.closeAll();
      await ssh.close();
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
