/** Shared bits of the SSH transport tests: targets on a test server, connecting with a fake home. */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../../../src/core/target.ts';
import type { ResolveEnv } from '../../../src/transports/ssh/config.ts';
import { SshPrimitives } from '../../../src/transports/ssh/primitives.ts';
import type { RemoteProcess } from '../../../src/transports/transport.ts';
import { makeTarget } from '../../helpers/targets.ts';

export interface ServerLike {
  port: number;
  user: string;
  clientKeyPath: string;
  knownHostsPath: string;
}

/** A target at 127.0.0.`n` on the server, key login, its known_hosts, no ~/.ssh/config. */
export function sshTarget(server: ServerLike, ssh: Record<string, unknown> = {}, over: Partial<Target> = {}, n = 2): Target {
  const host = over.host ?? `127.0.0.${n}`;
  return makeTarget({
    name: host,
    host,
    port: server.port,
    user: server.user,
    config: {
      transport: 'ssh',
      ssh: { 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false, ...ssh },
    },
    ...over,
  });
}

const homes: string[] = [];
// Registered while the importing test file is collected: runs after all of its tests.
afterAll(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/**
 * An empty fake home (no ~/.ssh) so the machine's real ssh config never leaks into tests.
 * Removed after the test file's tests.
 */
export async function fakeHome(): Promise<ResolveEnv> {
  const home = await mkdtemp(join(tmpdir(), 'rivet-home-'));
  homes.push(home);
  return { home, env: { HOME: home }, localUser: 'nobody-local' };
}

export const never = (): AbortSignal => new AbortController().signal;

export async function connect(target: Target, resolveEnv: ResolveEnv, signal = never()): Promise<SshPrimitives> {
  return SshPrimitives.connect(target, { signal, resolveEnv });
}

/** Collects a process's output and exit status. */
export async function collect(proc: RemoteProcess, stdin?: string): Promise<{ stdout: string; stderr: string; code: number | null; signal: string | null }> {
  let stdout = '';
  let stderr = '';
  const outDone = new Promise<void>((r) => proc.stdout.on('data', (d: Buffer) => (stdout += d.toString())).on('end', r));
  const errDone = new Promise<void>((r) => proc.stderr.on('data', (d: Buffer) => (stderr += d.toString())).on('end', r));
  proc.stdin.end(stdin);
  const status = await proc.exited;
  await Promise.all([outDone, errDone]);
  return { stdout, stderr, ...status };
}

export async function run(p: SshPrimitives, command: string, stdin?: string): ReturnType<typeof collect> {
  return collect(await p.spawn(command, { signal: never() }), stdin);
}
