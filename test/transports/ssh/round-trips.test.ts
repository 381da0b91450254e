/**
 * Round trips of a step on an open connection, counted at a delaying TCP proxy between Rivet and
 * sshd: a "turn" is a burst of client packets sent after the proxy delivered server data to the
 * client (the client waited for the server). With the exec request and the script pipelined, a
 * command is two turns, each answered by the server: channel open | exec request with the script +
 * EOF (2 round trips; the channel close rides with the next turn). A script with data (env values,
 * a task file, the command's stdin) goes on stdin right behind the exec request, also 2 turns: OpenSSH
 * opens the session's window while it handles the exec request, before it reads what follows.
 * Counts, not durations.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PosixConnection } from '../../../src/transports/posix/connection.ts';
import { startSshd, sshdSkipReason, type SshdServer } from '../../harness/sshd.ts';
import { connect, fakeHome, never, sshTarget } from './helpers.ts';

/** A proxy delaying each direction by `oneWayMs` (order kept) that counts the client's turns. */
function turnCountingProxy(targetPort: number, oneWayMs: number): Promise<{ server: Server; port: number; turns: () => number }> {
  let turns = 0;
  let deliveredSinceClientSent = true;
  const server = createServer({ noDelay: true }, (client: Socket) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort, noDelay: true });
    const pipe = (from: Socket, to: Socket, fromClient: boolean): void => {
      let last = 0;
      from.on('data', (chunk: Buffer) => {
        if (fromClient && deliveredSinceClientSent) {
          turns++;
          deliveredSinceClientSent = false;
        }
        const due = Math.max(performance.now() + oneWayMs, last);
        last = due;
        setTimeout(() => {
          to.write(chunk);
          if (!fromClient) deliveredSinceClientSent = true;
        }, due - performance.now());
      });
      from.on('end', () => setTimeout(() => to.end(), Math.max(0, last - performance.now()) + oneWayMs));
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream, true);
    pipe(upstream, client, false);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, turns: () => turns })),
  );
}

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('ssh: round trips of a step on an open connection', () => {
  let sshd: SshdServer;
  beforeAll(async () => {
    sshd = await startSshd();
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });

  /** Runs `step` three times after a first command; the client turns of each. */
  async function turnsPerStep(step: (conn: PosixConnection) => Promise<void>): Promise<number[]> {
    const proxy = await turnCountingProxy(sshd.port, 25);
    try {
      const env = await fakeHome();
      const target = sshTarget({ ...sshd, port: proxy.port }, { 'keepalive-interval': 0, 'host-key-check': false }, { host: '127.0.0.1' });
      const conn = new PosixConnection(await connect(target, env));
      try {
        await conn.run('true', { signal: never() }); // the first step
        await delay(300);
        const perStep: number[] = [];
        for (let i = 0; i < 3; i++) {
          const before = proxy.turns();
          await step(conn);
          await delay(300); // the channel close the client sends on the server's
          perStep.push(proxy.turns() - before);
        }
        return perStep;
      } finally {
        await conn.close();
      }
    } finally {
      proxy.server.close();
    }
  }

  it('a command is one exec with the script on the request: open | exec + EOF (2 round trips)', async () => {
    const turns = await turnsPerStep(async (conn) => {
      const result = await conn.run('echo step', { signal: never() });
      expect(result.stdout.toString()).toBe('step\n');
    });
    expect(turns).toEqual([2, 2, 2]);
  }, 120_000);

  it('env values stay off the command line: the script goes on stdin right behind the exec request (2 round trips)', async () => {
    const turns = await turnsPerStep(async (conn) => {
      const result = await conn.run('echo "$SECRET_X"', { signal: never(), env: { SECRET_X: 'hidden' } });
      expect(result.stdout.toString()).toBe('hidden\n');
    });
    expect(turns).toEqual([2, 2, 2]);
  }, 120_000);

  it('a task with parameters in its environment and on stdin (a file inside the script): 2 round trips', async () => {
    const turns = await turnsPerStep(async (conn) => {
      const result = await conn.runFile({
        signal: never(),
        file: { name: 'task.sh', content: Buffer.from('#!/bin/sh\nread -r line\necho "$PT_name $line"\n') },
        env: { PT_name: 'world' },
        stdin: '{"name":"world"}\n',
      });
      expect(result.stdout.toString()).toBe('world {"name":"world"}\n');
    });
    expect(turns).toEqual([2, 2, 2]);
  }, 120_000);

  it('a large stdin (above the window sshd opens) waits for the window: more round trips, same bytes', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const turns = await turnsPerStep(async (conn) => {
      const result = await conn.run('wc -c', { signal: never(), stdin: big });
      expect(result.stdout.toString().trim()).toBe(String(big.length));
    });
    for (const t of turns) expect(t).toBeGreaterThan(2);
  }, 120_000);
});
