/**
 * `rivet command run` on a `winrm://` target with Bolt's flags (`--no-ssl`, `-u`, `-p`),
 * through the CLI, the inventory, the pool and the WinRM transport, against the protocol test
 * server (NTLM with encryption over HTTP). The password appears in no output. HTTPS with
 * `--no-ssl-verify` and `cacert` (an unreadable one named in the error), `file-protocol: smb` refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('X-10: TLS settings through the CLI', () => {
  let certDir: string;
  let tlsServer: TestWinrmServer;
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'rivet-winrm-cli-cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
    tlsServer = await startServer({ tls: { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) } });
  });
  afterAll(async () => {
    await tlsServer?.stop();
    rmSync(certDir, { recursive: true, force: true });
  });
  const run = (cwd: string, extra: string[]) =>
    rivet(['command', 'run', 'echo over tls', '-t', `winrm://127.0.0.1:${tlsServer.port}`, '-u', WINRM_USER, '-p', WINRM_PASSWORD, '--format', 'json', '--connect-timeout', '30', ...extra], { cwd });

  it('X-10: --no-ssl-verify trusts a self-signed certificate; without it the certificate is refused', async () => {
    const refused = await run(dir, []);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/CONNECT_ERROR/);
    expect(refused.stdout).toMatch(/certificate|SELF_SIGNED/i);
    const trusted = await run(dir, ['--no-ssl-verify']);
    expect(trusted.code).toBe(0);
    expect((trusted.json() as { items: Array<{ value: { stdout: string } }> }).items[0]?.value.stdout).toBe('over tls\n');
    expect(trusted.stdout + trusted.stderr).not.toContain(WINRM_PASSWORD);
  });

  it('X-10: a cacert that cannot be read (missing, or a directory) is a clear error naming the file; a readable one is used', async () => {
    for (const cacert of [join(certDir, 'missing.pem'), certDir]) {
      const cwd = await makeProject({ 'rivet-project.yaml': 'name: wincacert\n', 'inventory.yaml': `config:\n  winrm:\n    cacert: ${cacert}\n` });
      const r = await run(cwd, []);
      expect(r.code).toBe(1);
      const item = (r.json() as { items: Array<{ value: { _error: { msg: string; details: { issue_code?: string } } } }> }).items[0]!;
      expect(item.value._error.msg).toBe(`cacert ${cacert} of winrm://127.0.0.1:${tlsServer.port} cannot be read: ${cacert === certDir ? 'EISDIR' : 'ENOENT'}`);
    }
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: wincacert\n', 'inventory.yaml': `config:\n  winrm:\n    cacert: ${join(certDir, 'cert.pem')}\n` });
    const r = await run(cwd, []);
    expect(r.code).toBe(0);
  });
});
