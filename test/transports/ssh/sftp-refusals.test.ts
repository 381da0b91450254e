/**
 * SFTP sessions refused by the server with none of ours to free: the retries are capped and the
 * transfer fails with a clear error instead of retrying without end. The server is the harness's
 * ssh2 fault server in `one-session` mode (it accepts one session channel, then refuses every
 * other, as a server whose MaxSessions is taken by a process left on the target): OpenSSH's sshd
 * cannot be made to refuse while none of the connection's channels is open.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorKind, isRivetError } from '../../../src/core/errors.ts';
import { startSsh2Server } from '../../harness/ssh2-server.ts';
import { connect, fakeHome, never, run, sshTarget } from './helpers.ts';

describe('SFTP session refusals', () => {
  it(
    'a server that keeps refusing the SFTP session fails the transfer with a clear error, not a retry loop without end',
    async () => {
      await using server = await startSsh2Server({ mode: 'one-session' });
      const p = await connect(sshTarget(server), await fakeHome());
      const local = await mkdtemp(join(tmpdir(), 'rivet-sftp-refusals-'));
      try {
        expect((await run(p, 'echo up')).stdout).toBe('up\n'); // the server has accepted a session
        await writeFile(join(local, 'f.txt'), 'x');
        const error = await p.putPath(join(local, 'f.txt'), join(local, 'copy.txt'), { signal: never() }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isRivetError(error)).toBe(true);
        expect((error as Error).message).toMatch(/^ssh 127\.0\.0\.2: cannot open an SFTP session: the server refused it 201 times in a row/);
        expect((error as { kind?: string }).kind).toBe(ErrorKind.Connect);
      } finally {
        await p.close();
        await rm(local, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
