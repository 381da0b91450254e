/**
 * The shared transport contract over SSH WITHOUT an SFTP subsystem: every transfer takes the
 * exec fallback (TransferUnavailableError → tar/cat over exec). The SFTP case is
 * `test/transports/ssh-contract.test.ts`. Falls back to the in-process ssh2 server (which has no
 * SFTP either) when sshd is unavailable.
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
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
const remoteDirs: string[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await Promise.all(remoteDirs.map((d) => rm(d, { recursive: true, force: true })));
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
  remoteDirs.push(remoteDir);
  if (server.kind === 'ssh2') {
    return {
      connect: () => open(sshTarget(server, {}, { host: '127.0.0.1' })),
      remoteDir,
      readRemote: (path) => readFile(path),
      skipRunAsReason: 'the in-process ssh2 server runs commands as the current user (no test users)',
    };
  }
  return {
    connect: () => open(sshTarget(server)),
    runAsUser: TEST_USERS.app,
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

runTransportContract('ssh without SFTP (exec fallback for transfers)', () => fixture(false));
