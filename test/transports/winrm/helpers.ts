/** Targets and servers for the WinRM tests: the protocol test server on a free loopback port. */
import type { Target } from '../../../src/core/target.ts';
import { startWinrmTestServer, type TestWinrmServer, type WinrmTestServerOptions } from '../../harness/winrm-server.ts';
import { makeTarget } from '../../helpers/targets.ts';

export const WINRM_USER = 'vagrant';
/** With a space and a colon: Basic and NTLM must carry both. */
export const WINRM_PASSWORD = 'pa ss:w0rd';

export function startServer(options: Partial<WinrmTestServerOptions> = {}): Promise<TestWinrmServer> {
  return startWinrmTestServer({ user: WINRM_USER, password: WINRM_PASSWORD, ...options });
}

/** A `winrm` target for the test server (HTTP, NTLM with encryption unless `config` says otherwise). */
export function winrmTarget(server: { port: number }, config: Record<string, unknown> = {}, overrides: Partial<Target> = {}): Target {
  return makeTarget({
    name: `winrm://127.0.0.1:${server.port}`,
    transport: 'winrm',
    host: '127.0.0.1',
    port: server.port,
    user: WINRM_USER,
    password: WINRM_PASSWORD,
    config: { transport: 'winrm', winrm: { ssl: false, ...config } },
    ...overrides,
  });
}

export const never = (): AbortSignal => new AbortController().signal;
