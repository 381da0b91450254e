/**
 * The transport contract over SSH: against OpenSSH's sshd started by the harness (CI), or the
 * in-process ssh2 server when sshd is not available (said so in the output).
 */
import { afterAll } from 'vitest';
import { SshTransport } from '../../src/transports/ssh/index.ts';
import type { TestSshServer } from '../harness/ssh2-server.ts';
import { startTestSshServer } from '../harness/ssh2-server.ts';
import { TEST_USERS } from '../harness/users.ts';
import { fakeHome, sshTarget } from './ssh/helpers.ts';
import { runTransportContract } from './contract.ts';

let server: TestSshServer | undefined;
afterAll(async () => server?.stop());

runTransportContract('ssh', async () => {
  server = await startTestSshServer();
  const s = server;
  const transport = new SshTransport({ resolveEnv: await fakeHome() });
  const signal = new AbortController().signal;
  const real = s.kind === 'sshd';
  const home = real ? `/home/${TEST_USERS.main}` : '/tmp';
  return {
    connect: () => transport.connect(sshTarget(s), { signal }),
    runAsUser: real ? TEST_USERS.app : undefined,
    skipRunAsReason: 'the in-process ssh2 server has no test users (sshd is not available)',
    connectNeedingSudoPassword: real
      ? async () => ({
          connection: await transport.connect(sshTarget(s, { 'private-key': undefined, password: s.password }, { user: s.passwordUser }), { signal }),
          password: s.password,
          runAs: TEST_USERS.app,
        })
      : undefined,
    connectWithoutSudo: real
      ? async () => ({ connection: await transport.connect(sshTarget(s, {}, { user: TEST_USERS.noSudo }), { signal }), runAs: TEST_USERS.app })
      : undefined,
    remoteDir: home,
  };
});
