/**
 * `rivet command run` on a `winrm://` target with Bolt's flags (`--no-ssl`, `-u`, `-p`),
 * through the CLI, the inventory, the pool and the WinRM transport, against the protocol test
 * server (NTLM with encryption over HTTP). The password appears in no output. `file-protocol: smb` is
 * refused.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestWinrmServer } from '../../harness/winrm-server.ts';
import { makeProject, rivet } from '../../cli/helpers.ts';
import { startServer, WINRM_PASSWORD, WINRM_USER } from './helpers.ts';

let server: TestWinrmServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  dir = await makeProject({ 'rivet-project.yaml': 'name: wincli\n' });
});
afterAll(async () => server?.stop());

it('X-10: command run -t winrm://host:port --no-ssl -u -p runs through cmd (sh on the test server)', async () => {
  const target = `winrm://127.0.0.1:${server.port}`;
  const r = await rivet(['command', 'run', 'echo hello from winrm', '-t', target, '--no-ssl', '-u', WINRM_USER, '-p', WINRM_PASSWORD, '--format', 'json'], { cwd: dir });
  expect(r.stderr).not.toContain(WINRM_PASSWORD);
  expect(r.stdout).not.toContain(WINRM_PASSWORD);
  expect(r.code).toBe(0);
  const items = (r.json() as { items: Array<{ target: string; value: Record<string, unknown> }> }).items;
  expect(items[0]).toMatchObject({ target, value: { stdout: 'hello from winrm\n', exit_code: 0 } });
  expect(server.stats.plaintextRequests).toBe(0);
});

it('X-10: without --no-ssl the default is HTTPS, which the plain-HTTP test server does not speak: CONNECT_ERROR', async () => {
  const r = await rivet(['command', 'run', 'echo x', '-t', `winrm://127.0.0.1:${server.port}`, '-u', WINRM_USER, '-p', WINRM_PASSWORD, '--format', 'json', '--connect-timeout', '5'], { cwd: dir });
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/CONNECT_ERROR|connect-error/);
  expect(r.stdout + r.stderr).not.toContain(WINRM_PASSWORD);
});

it('X-10: file-protocol: smb is refused with an error naming the target and the key; smb-port alone is accepted', async () => {
  const smb = await makeProject({ 'rivet-project.yaml': 'name: winsmb\n', 'inventory.yaml': 'config:\n  winrm:\n    file-protocol: smb\n' });
  const refused = await rivet(['command', 'run', 'echo x', '-t', `winrm://127.0.0.1:${server.port}`, '--no-ssl', '-u', WINRM_USER, '-p', WINRM_PASSWORD, '--format', 'json'], { cwd: smb });
  expect(refused.code).toBe(1);
  expect(refused.stdout).toContain(`file-protocol: smb is not supported by Rivet's WinRM transport (target winrm://127.0.0.1:${server.port}): use file-protocol: winrm`);
  const port = await makeProject({ 'rivet-project.yaml': 'name: winsmbport\n', 'inventory.yaml': 'config:\n  winrm:\n    file-protocol: winrm\n    smb-port: 445\n' });
  const accepted = await rivet(['command', 'run', 'echo smb-port ignored', '-t', `winrm://127.0.0.1:${server.port}`, '--no-ssl', '-u', WINRM_USER, '-p', WINRM_PASSWORD, '--format', 'json'], { cwd: port });
  expect(accepted.code).toBe(0);
});
