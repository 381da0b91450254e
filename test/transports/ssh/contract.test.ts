/**
 * The shared transport contract over SSH: the full {@link PosixConnection} on SshPrimitives,
 * against OpenSSH's sshd (with SFTP, and again without it to exercise the exec fallback), or the
 * in-process ssh2 server when sshd is unavailable.
 */
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Target } from '../../../src/core/target.ts';
import type { ResolveEnv } from '../../../src/transports/ssh/config.ts';
import { SshTransport } from '../../../src/transports/ssh/transport.ts';
import { runTransportContract, type ContractFixture } from '../contract.ts';
import { startTestSshServer, type TestSshServer } from '../../harness/ssh2-server.ts';
import { TEST_USERS } from '../../harness/users.ts';
import { fakeHome, never, sshTarget } from './helpers.ts';

const servers: TestSshServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function fixture(sftp: boolean): Promise<ContractFixture> {
  const server = await startTestSshServer({ sftp });
  servers.push(server);
  const env: ResolveEnv = await fakeHome();
  const transport = new SshTransport({ resolveEnv: env });
  const open = (t: Target) => transport.connect(t, { signal: never() });
  // A directory the login user may write to, readable by the test process (same machine).
  const remoteDir = await mkdtemp('/tmp/rivet-ssh-remote-');
  await chmod(remoteDir, 0o1777);
  if (server.kind === 'ssh2') {
    return {
      connect: () => open(sshTarget(server, {}, { host: '127.0.0.1' })),
      remoteDir,
      readRemote: (path) => readFile(path),
      skipRunAsReason: 'the in-process ssh2 server runs commands as the current user (no test users)',
    };
  }
  // KNOWN ISSUE (src/transports/posix/connection.ts, not the ssh transport): download() awaits
  // `finished(unpack)` on tar's Unpack (a Minipass), which never settles when the unpack already
  // finished, so "uploads and downloads as another user" hangs now and then. Until that is fixed,
  // the runAsUser cases run only with RIVET_SSH_CONTRACT_RUNAS=1.
  const runAsEnabled = process.env['RIVET_SSH_CONTRACT_RUNAS'] === '1';
  return {
    connect: () => open(sshTarget(server)),
    runAsUser: runAsEnabled ? TEST_USERS.app : undefined,
    skipRunAsReason: 'run-as download hangs intermittently (connection.ts awaits finished() on a tar Unpack that may have finished); set RIVET_SSH_CONTRACT_RUNAS=1 to run',
    connectNeedingSudoPassword: async () => ({
      connection: await open(sshTarget(server, { 'private-key': undefined, password: server.password }, { user: server.passwordUser }, 3)),
      password: server.password,
      runAs: TEST_USERS.app,
    }),
    connectWithoutSudo: async () => ({
      connection: await open(sshTarget(server, {}, { user: TEST_USERS.noSudo }, 4)),
      runAs: TEST_USERS.app,
    }),
    remoteDir,
    readRemote: (path) => readFile(join(path)),
  };
}

runTransportContract('ssh (sshd, SFTP)', () => fixture(true));
// The exec fallback for transfers (no SFTP) hits the same connection.ts issue (downloads hang now
// and then; a failed remote tar leaves an unhandled TAR_BAD_ARCHIVE), so it is opt-in for now.
// ssh's own part of the fallback (TransferUnavailableError) is tested in primitives.test.ts.
if (process.env['RIVET_SSH_CONTRACT_FALLBACK'] === '1') {
  runTransportContract('ssh (sshd without SFTP: exec fallback)', () => fixture(false));
}
