import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transports/local/index.ts';
import { runTransportContract } from './contract.ts';
import { localTarget } from '../helpers/targets.ts';
import { ensureTestUsers, isRoot, TEST_USERS } from '../harness/users.ts';

runTransportContract('local', async () => {
  const root = isRoot();
  if (root) await ensureTestUsers();
  const runAsUser = root ? TEST_USERS.app : undefined;
  return {
    connect: () => new LocalTransport().connect(localTarget(), { signal: new AbortController().signal }),
    runAsUser,
    skipRunAsReason: 'run-as over local needs root to become a test user',
    remoteDir: await mkdtemp(join(tmpdir(), 'rivet-local-remote-')),
  };
});
