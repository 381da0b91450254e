import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transports/local/index.ts';
import { runTransportContract } from './contract.ts';
import { localTarget } from '../helpers/targets.ts';

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

runTransportContract('local', async () => {
  const isRoot = process.getuid?.() === 0;
  const runAsUser = isRoot && userExists('rivetapp') ? 'rivetapp' : undefined;
  return {
    connect: () => new LocalTransport().connect(localTarget(), { signal: new AbortController().signal }),
    runAsUser,
    skipRunAsReason: isRoot ? 'test user rivetapp is missing (created by test/harness/users.ts)' : 'run-as over local needs root to become a test user',
    remoteDir: await mkdtemp(join(tmpdir(), 'rivet-local-remote-')),
  };
});
