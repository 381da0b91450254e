/**
 * Lost connections (issue 9, point 4): a connection that silently stops carrying packets (a
 * crashed host, a firewall dropping state) is detected by SSH keepalives and the running command
 * fails with `rivet/connection-lost` (issue code CONNECTION_LOST), not as a command that "failed
 * with exit code null". A loopback TCP proxy in front of real sshd stops forwarding mid-command;
 * the test uses a short keepalive setting and asserts the kind, not the time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorKind } from '../../src/core/errors.ts';
import { resolveSshConfig } from '../../src/transports/ssh/config.ts';
import { SshTransport } from '../../src/transports/ssh/transport.ts';
import type { Connection } from '../../src/transports/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { makeTarget } from '../helpers/targets.ts';
import { fakeHome, sshTarget } from '../transports/ssh/helpers.ts';
import { DroppingProxy } from './helpers.ts';

/** Forwards 127.0.0.1:<port> to `upstreamPort` until `blackhole()`: then every byte is dropped. */
const keyless = (ssh: Record<string, unknown>) => makeTarget({ name: 'web', host: 'web', config: { transport: 'ssh', ssh: { 'load-config': false, ...ssh } } });

describe('keepalive defaults', () => {
  it('notice a dead connection within 30 s: (keepalive-count-max + 1) x keepalive-interval', async () => {
    const config = await resolveSshConfig(keyless({}), await fakeHome());
    expect((config.keepaliveCountMax + 1) * config.keepaliveIntervalMs).toBeLessThanOrEqual(30_000);
    expect(config.keepaliveIntervalMs).toBeGreaterThan(0);
  });

  it('keepalive-count-max must be a non-negative integer, named in the error', async () => {
    await expect(resolveSshConfig(keyless({ 'keepalive-count-max': 1.5 }), await fakeHome())).rejects.toThrow(/keepalive-count-max/);
  });
});

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('a silently dropped connection', () => {
  let server: SshdServer;
  let proxy: DroppingProxy;
  let conn: Connection;

  beforeAll(async () => {
    server = await startSshd();
    proxy = new DroppingProxy(server.port);
    const port = await proxy.listen();
    // The proxy's port is not in known_hosts: the host key is not what this test is about.
    const target = sshTarget(server, { 'host-key-check': false, 'keepalive-interval': 1, 'keepalive-count-max': 1 }, { host: '127.0.0.1', port });
    conn = await new SshTransport({ resolveEnv: await fakeHome() }).connect(target, { signal: new AbortController().signal });
  });
  afterAll(async () => {
    await conn?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('fails the running command with rivet/connection-lost (CONNECTION_LOST), found by keepalives', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const pending = conn.run('echo started; sleep 600', {
      signal: new AbortController().signal,
      onOutput: (stream, chunk) => {
        if (stream === 'stdout' && chunk.toString().includes('started')) started();
      },
    });
    pending.catch(() => {}); // Awaited below.
    await running;
    proxy.blackhole();
    await expect(pending).rejects.toMatchObject({ kind: ErrorKind.ConnectionLost, issueCode: 'CONNECTION_LOST', message: expect.stringContaining('Keepalive timeout') });
  });

  it('a later step on the lost connection fails as a connect error, not a command error', async () => {
    await expect(conn.run('true', { signal: new AbortController().signal })).rejects.toMatchObject({ kind: ErrorKind.Connect, issueCode: 'CONNECT_ERROR' });
  });
});
