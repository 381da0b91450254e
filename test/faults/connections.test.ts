/**
 * Bounded connections and connecting under load (issue 9): open connections never exceed the
 * limit (the concurrency by default), an ad-hoc step closes each target's connection after it,
 * runs that keep connections close the least recently used one past the limit, and 500 targets
 * (10 % of them faulty: refused ports, a server that never sends its banner, a server that closes
 * before it, bad logins) finish with exact counts while the controller's open file descriptors
 * stay bounded. Descriptors are counted in /proc; nothing here depends on how long a run takes.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime/create.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { makeProject } from '../cli/helpers.ts';
import { BIN } from './helpers.ts';

const skip = sshdSkipReason();

/** Open file descriptors of a process (this one by default). */
function fdCount(pid: number | 'self' = 'self'): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0; // the process has exited
  }
}

/** Samples a process's fd count every few ms until stopped; returns the peak. */
function sampleFds(pid: number | 'self'): { stop: () => number } {
  let peak = fdCount(pid);
  const timer = setInterval(() => (peak = Math.max(peak, fdCount(pid))), 5);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, fdCount(pid));
    },
  };
}

/** A loopback server doing `onSocket` with each connection; `close()` destroys them all. */
async function faultServer(onSocket: (sock: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    onSocket(sock);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port nothing listens on (bound, then closed). */
async function refusedPort(): Promise<number> {
  const s = await faultServer(() => {});
  await s.close();
  return s.port;
}

function sshConfig(sshd: SshdServer): Record<string, unknown> {
  return { port: sshd.port, user: sshd.user, 'private-key': sshd.clientKeyPath, 'known-hosts-file': sshd.knownHostsPath, 'load-config': false };
}

/** `count` inventory targets named `<prefix><n>`, all reaching the test sshd on 127.0.0.1. */
function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

describe.skipIf(skip !== undefined)('bounded connections (real sshd)', () => {
  let sshd: SshdServer;
  beforeAll(async () => {
    sshd = await startSshd();
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });

  function inventory(targets: readonly string[]): unknown {
    return { targets: targets.map((name) => ({ name, uri: '127.0.0.1' })), config: { transport: 'ssh', ssh: sshConfig(sshd) } };
  }

  it('X-07: -c 10 on 200 targets never holds more than 10 connections, and an ad-hoc step closes each after its work', { timeout: 600_000 }, async () => {
    const project = await makeProject({ 'rivet-project.yaml': 'name: conns\n' });
    const targets = names('c', 200);
    const before = sshd.connectionCount();
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: inventory(targets), concurrency: 10, keepConnections: false });
    const baseline = fdCount();
    const fds = sampleFds('self');
    const set = await runtime.runCommand('echo ok', targets);
    const peakFds = fds.stop();
    expect(set.ok).toBe(true);
    expect(set.length).toBe(200);
    expect(runtime.pool.peak).toBeLessThanOrEqual(10);
    expect(runtime.pool.size).toBe(0); // every connection closed after its step
    expect(sshd.connectionCount() - before).toBe(200);
    // Slack: the sampler's own readdir, and sockets the runtime opens besides connections.
    expect(peakFds - baseline).toBeLessThanOrEqual(10 + 10);
    process.stderr.write(`[faults] -c 10 on 200 targets: pool peak ${runtime.pool.peak}, fds peak ${peakFds - baseline} above baseline ${baseline}\n`);
  });

  it('X-07: connections kept for reuse stay under the limit, closing the least recently used', { timeout: 600_000 }, async () => {
    const project = await makeProject({ 'rivet-project.yaml': 'name: lru\n' });
    const [a, b, c, d] = names('l', 4) as [string, string, string, string];
    await using runtime = await createRuntime({ cwd: project, env: {}, inventory: inventory([a, b, c, d]), concurrency: 3 });
    const count = (): number => sshd.connectionCount();
    const start = count();
    for (const target of [a, b, c]) expect((await runtime.runCommand('true', [target])).ok).toBe(true);
    expect(count() - start).toBe(3);
    expect((await runtime.runCommand('true', [a])).ok).toBe(true); // reused: a is now the most recent
    expect(count() - start).toBe(3);
    expect((await runtime.runCommand('true', [d])).ok).toBe(true); // full: b (least recently used) is closed
    expect(count() - start).toBe(4);
    expect(runtime.pool.size).toBeLessThanOrEqual(3);
    expect((await runtime.runCommand('true', [a, c, d])).ok).toBe(true); // all three still open
    expect(count() - start).toBe(4);
    expect((await runtime.runCommand('true', [b])).ok).toBe(true); // b connects again
    expect(count() - start).toBe(5);
    expect(runtime.pool.peak).toBeLessThanOrEqual(3);
  });

  it('X-01: 500 targets at -c 500 with 10 % faulty finish with exact counts and bounded fds', { timeout: 900_000 }, async () => {
    const silent = await faultServer(() => {}); // accepts, never sends a banner
    const closer = await faultServer((sock) => sock.destroy()); // closes before its banner
    const refused = await refusedPort();
    try {
      const good = names('ok', 450).map((name) => ({ name, uri: '127.0.0.1' }));
      const faulty = [
        ...names('refused', 15).map((name) => ({ name, uri: `127.0.0.1:${refused}` })),
        ...names('silent', 10).map((name) => ({ name, uri: `127.0.0.1:${silent.port}`, config: { ssh: { 'connect-timeout': 3 } } })),
        ...names('closer', 10).map((name) => ({ name, uri: `127.0.0.1:${closer.port}` })),
        ...names('badauth', 15).map((name) => ({ name, uri: 'nosuchuser@127.0.0.1' })),
      ];
      const inv = { targets: [...good, ...faulty], config: { transport: 'ssh', ssh: sshConfig(sshd) } };
      // Each target's own port and user beat the group config (the URI's are target-level).
      const project = await makeProject({ 'rivet-project.yaml': 'name: fleet\n', 'inventory.yaml': JSON.stringify(inv) });
      const child = spawn(process.execPath, [BIN, 'command', 'run', 'echo ok', '-t', 'all', '-c', '500', '--format', 'json'], {
        cwd: project,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const fds = sampleFds(child.pid!);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const peakFds = fds.stop();
      expect(code, stderr).toBe(1);
      const doc = JSON.parse(stdout) as { items: { target: string; status: string; value: { _error?: { msg: string; issue_code?: string } } }[] };
      const byStatus = (prefix: string, status: string): number => doc.items.filter((i) => i.target.startsWith(prefix) && i.status === status).length;
      expect(doc.items).toHaveLength(500);
      expect(byStatus('ok', 'success')).toBe(450);
      for (const [prefix, n] of [['refused', 15], ['silent', 10], ['closer', 10], ['badauth', 15]] as const) expect(byStatus(prefix, 'failure')).toBe(n);
      const message = (name: string): string => doc.items.find((i) => i.target === name)?.value._error?.msg ?? '';
      expect(message('refused1')).toMatch(/connection refused/);
      expect(message('silent1')).toMatch(/Timeout after 3 seconds/);
      expect(message('closer1')).toMatch(/before sending its SSH banner.*MaxStartups/);
      expect(message('badauth1')).toMatch(/Authentication failed for user nosuchuser/);
      // -c 500 lets 500 connections be open at once at most: far fewer are, as handshakes are
      // paced and each ad-hoc connection closes after its step. Node and its pipes take ~30 fds.
      expect(peakFds).toBeLessThanOrEqual(500 + 50);
      process.stderr.write(`[faults] 500 targets at -c 500 (50 faulty): 450 ok, 50 failed, peak fds of rivet ${peakFds}\n`);
    } finally {
      await silent.close();
      await closer.close();
    }
  });
});
