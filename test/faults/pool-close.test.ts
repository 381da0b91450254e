/**
 * The pool's close is bounded: a connection whose close never completes (the server never answers
 * the disconnect, its TCP side stays open) is destroyed after the pool's grace, with a warning,
 * so it cannot hold the end of the run. Against a real sshd behind a proxy that, once told to,
 * passes nothing and never closes its side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type RivetEvent } from '../../src/core/events.ts';
import { ConnectionPool } from '../../src/runtime/pool.ts';
import { SshTransport } from '../../src/transports/ssh/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { fakeHome, sshTarget } from '../transports/ssh/helpers.ts';
import { DroppingProxy } from './helpers.ts';

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('closing the connection pool', () => {
  let server: SshdServer;
  let proxy: DroppingProxy;
  let port: number;
  beforeAll(async () => {
    server = await startSshd();
    proxy = new DroppingProxy(server.port);
    port = await proxy.listen();
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it(
    'destroys a connection whose close the server never answers, after the grace, with a warning',
    async () => {
      const events = new EventBus();
      const seen: RivetEvent[] = [];
      events.on((event) => seen.push(event));
      // disconnect-timeout: the SSH close alone would wait a day for the server's answer.
      const target = sshTarget(server, { 'host-key-check': false, 'disconnect-timeout': 86_400 }, { host: '127.0.0.1', port, name: 'silent' });
      const pool = new ConnectionPool({ ssh: new SshTransport({ resolveEnv: await fakeHome() }) }, { closeGraceMs: 1000, events });
      const signal = new AbortController().signal;
      const out = await pool.use(target, { signal }, (connection) => connection.run('echo ready', { signal }));
      expect(out.stdout.toString()).toBe('ready\n');
      expect(pool.size).toBe(1);
      proxy.blackhole();
      await pool.closeAll();
      expect(pool.size).toBe(0);
      const warnings = seen.filter((e) => e.type === 'log' && e.level === 'warn').map((e) => (e as { text: string }).text).filter((text) => text.startsWith('Closing'));
      expect(warnings).toEqual([expect.stringMatching(/^Closing the connection to silent did not finish in 1 s \(the other side never answered\): dropped it$/)]);
    },
    120_000,
  );
});
