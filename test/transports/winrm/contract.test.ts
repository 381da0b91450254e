/**
 * The shared transport contract over WinRM: Rivet's WinRM transport against the protocol test
 * server (test/harness/winrm-server.ts) over HTTP with NTLM and message encryption required
 * (Windows' default AllowUnencrypted=false). The server runs /bin/sh in place of cmd.exe and a
 * stand-in for PowerShell that carries out Rivet's bootstrap protocol with Linux equivalents, so
 * the POSIX commands of the contract run as written. Run-as cases are skipped: WinRM has no
 * run-as (nor has Bolt's WinRM transport).
 */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { WinrmTransport } from '../../../src/transports/winrm/index.ts';
import type { TestWinrmServer } from '../../harness/winrm-server.ts';
import { runTransportContract } from '../contract.ts';
import { never, startServer, winrmTarget } from './helpers.ts';

let server: TestWinrmServer | undefined;
const dirs: string[] = [];
afterAll(async () => {
  await server?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

runTransportContract('winrm (NTLM, encrypted over HTTP, protocol test server)', async () => {
  server = await startServer({ encryption: 'required' });
  const remoteDir = await mkdtemp('/tmp/rivet-winrm-remote-');
  await chmod(remoteDir, 0o1777);
  dirs.push(remoteDir);
  return {
    connect: () => new WinrmTransport().connect(winrmTarget(server!), { signal: never() }),
    remoteDir,
    readRemote: (path) => readFile(path),
    skipRunAsReason: 'WinRM has no run-as (Bolt refuses run-as over WinRM too)',
  };
});

it('every request of the contract run was encrypted (none in plaintext)', () => {
  expect(server!.stats.encryptedRequests).toBeGreaterThan(100);
  expect(server!.stats.plaintextRequests).toBe(0);
});
