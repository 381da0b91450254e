/**
 * 50 targets (127.0.0.2 .. 127.0.0.51, all the same sshd) connecting and running at once, through
 * the full SshTransport. The server sees one connection per target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshTransport } from '../../../src/transports/ssh/transport.ts';
import type { Connection } from '../../../src/transports/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { fakeHome, never, sshTarget } from './helpers.ts';

const skip = sshdSkipReason();

describe.skipIf(skip !== undefined)(`ssh: 50 targets at once${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: SshdServer;
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('connects to 127.0.0.2..51 concurrently, one connection each', async () => {
    const transport = new SshTransport({ resolveEnv: await fakeHome() });
    const before = server.connectionCount();
    const started = performance.now();
    const conns: Connection[] = await Promise.all(
      Array.from({ length: 50 }, (_, i) => transport.connect(sshTarget(server, {}, {}, i + 2), { signal: never() })),
    );
    const connected = performance.now() - started;
    try {
      const results = await Promise.all(conns.map((c) => c.run('echo $SSH_CONNECTION', { signal: never() })));
      const total = performance.now() - started;
      const servedAt = results.map((r) => r.stdout.toString().trim().split(' ')[2]);
      expect(servedAt).toEqual(Array.from({ length: 50 }, (_, i) => `127.0.0.${i + 2}`));
      expect(server.connectionCount() - before).toBe(50);
      console.log(`50 targets: all connected in ${connected.toFixed(0)} ms, connected + one command each in ${total.toFixed(0)} ms`);
      expect(total).toBeLessThan(15_000);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });
});
