/**
 * SFTP sessions refused by the server with none of ours to free: after a few refusals in a row,
 * the connection's slots are taken to be held by sessions not ours, and a fresh connection takes
 * its place, instead of retrying without end. The server is the harness's ssh2 fault server in
 * `one-session` mode (it accepts the first session channel of a connection, then refuses every
 * other, as a server whose MaxSessions is taken by a process left on the target): OpenSSH's sshd
 * cannot be made to refuse while none of the connection's channels is open.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransferUnavailableError } from '../../../src/transports/posix/primitives.ts';
import { startSsh2Server } from '../../harness/ssh2-server.ts';
import { connect, fakeHome, never, run, sshTarget } from './helpers.ts';

describe('SFTP session refusals', () => {
  it(
    'a server that keeps refusing the SFTP session with none of ours open gets a fresh connection, where the session is accepted',
    async () => {
      await using server = await startSsh2Server({ mode: 'one-session' });
      const p = await connect(sshTarget(server), await fakeHome());
      const local = await mkdtemp(join(tmpdir(), 'rivet-sftp-refusals-'));
      try {
        expect((await run(p, 'echo up')).stdout).toBe('up\n'); // the connection's one session is used up
        await writeFile(join(local, 'f.txt'), 'x');
        // The fresh connection's session is accepted; this server has no sftp subsystem, so the
        // transfer is unavailable (PosixConnection then streams it through exec).
        await expect(p.putPath(join(local, 'f.txt'), join(local, 'copy.txt'), { signal: never() })).rejects.toBeInstanceOf(TransferUnavailableError);
        expect(p.connectionReplacements).toBe(1);
      } finally {
        await p.close();
        await rm(local, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
