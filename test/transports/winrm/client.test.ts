/**
 * The WinRM transport's client side against the protocol test server: auth (NTLM over HTTP and
 * HTTPS, Basic over HTTPS, wrong passwords), TLS verification (`ssl-verify`, `cacert`), Bolt's
 * config checks, OperationTimeout faults retried, MaxEnvelopeSize respected, one socket
 * and one NTLM handshake per target for many commands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WinrmTransport } from '../../../src/transports/winrm/index.ts';
import type { TestWinrmServer } from '../../harness/winrm-server.ts';
import { never, startServer, WINRM_PASSWORD, winrmTarget } from './helpers.ts';

const servers: TestWinrmServer[] = [];
let certDir: string;
let tls: { key: Buffer; cert: Buffer };
beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'rivet-winrm-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
  tls = { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) };
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(certDir, { recursive: true, force: true });
});
const server = async (options: Parameters<typeof startServer>[0] = {}): Promise<TestWinrmServer> => {
  const s = await startServer(options);
  servers.push(s);
  return s;
};

describe('X-10: WinRM auth and TLS', () => {
  it('NTLM over HTTP: one socket and one handshake for many commands, every message encrypted', async () => {
    const s = await server();
    const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
    for (let i = 0; i < 5; i++) expect((await conn.run(`echo ${i}`, { signal: never() })).stdout.toString()).toBe(`${i}\n`);
    await conn.close();
    expect(s.stats.connections).toBe(1);
    expect(s.stats.ntlmHandshakes).toBe(1);
    expect(s.stats.plaintextRequests).toBe(0);
  });

  it('a wrong password is AUTH_ERROR, and the password is in no message', async () => {
    const s = await server();
    const target = winrmTarget(s, {}, { password: 'wrong-secret-123' });
    const error = await new WinrmTransport().connect(target, { signal: never() }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ kind: 'puppetlabs.tasks/connect-error', issueCode: 'AUTH_ERROR' });
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('wrong-secret-123');
  });

  it('Basic over HTTPS with cacert and ssl-verify', async () => {
    const s = await server({ tls });
    const target = winrmTarget(s, { ssl: true, 'basic-auth-only': true, cacert: join(certDir, 'cert.pem') });
    const conn = await new WinrmTransport().connect(target, { signal: never() });
    expect((await conn.run('echo tls', { signal: never() })).stdout.toString()).toBe('tls\n');
    await conn.close();
  });

  it('HTTPS with an untrusted certificate is CONNECT_ERROR, unless ssl-verify: false', async () => {
    const s = await server({ tls });
    const error = await new WinrmTransport().connect(winrmTarget(s, { ssl: true }), { signal: never() }).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ issueCode: 'CONNECT_ERROR' });
    expect((error as Error).message).toMatch(/certificate|SELF_SIGNED/i);
    const conn = await new WinrmTransport().connect(winrmTarget(s, { ssl: true, 'ssl-verify': false }), { signal: never() });
    expect((await conn.run('echo ntlm-tls', { signal: never() })).stdout.toString()).toBe('ntlm-tls\n');
    await conn.close();
  });

  it('X-10: realm (Kerberos) and basic-auth-only without ssl are clear errors', async () => {
    const s = await server();
    await expect(new WinrmTransport().connect(winrmTarget(s, { realm: 'EXAMPLE.COM' }), { signal: never() })).rejects.toThrow(/Kerberos.*not supported/);
    await expect(new WinrmTransport().connect(winrmTarget(s, { 'basic-auth-only': true }), { signal: never() })).rejects.toThrow(/basic-auth-only needs ssl: true/);
    await expect(new WinrmTransport().connect(winrmTarget(s, {}, { password: undefined }), { signal: never() })).rejects.toThrow(/needs a password/);
  });

  it('a closed port is CONNECT_ERROR', async () => {
    const s = await server();
    const port = s.port;
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    await expect(new WinrmTransport().connect(winrmTarget({ port }), { signal: never() })).rejects.toMatchObject({ issueCode: 'CONNECT_ERROR' });
  });
});

describe('one socket, many steps', () => {
  it('concurrent steps on one target share its socket and all complete (requests are serialised)', async () => {
    const s = await server();
    const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
    const runs = await Promise.all([conn.run('sleep 1; echo slow', { signal: never() }), ...[1, 2, 3].map((i) => conn.run(`echo fast${i}`, { signal: never() }))]);
    await conn.close();
    expect(runs.map((r) => r.stdout.toString())).toEqual(['slow\n', 'fast1\n', 'fast2\n', 'fast3\n']);
    expect(s.stats.connections).toBe(1);
  });

  it('a step canceled before it starts reports canceled without running anything', async () => {
    const s = await server();
    const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
    const before = s.stats.actions.length;
    const r = await conn.run('echo never', { signal: AbortSignal.abort() });
    await conn.close();
    expect(r).toMatchObject({ canceled: true, exitCode: null });
    expect(s.stats.actions.length).toBe(before);
  });
});

describe('WS-Management limits and faults', () => {
  it('a Receive that times out (w:TimedOut fault) is re-issued until the command ends', async () => {
    const s = await server({ maxOperationTimeoutMs: 100 });
    const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
    const r = await conn.run('sleep 1; echo late', { signal: never() });
    await conn.close();
    expect(r.stdout.toString()).toBe('late\n');
    expect(s.stats.timedOutFaults).toBeGreaterThan(0);
  });

  it('stdin and uploads go in Send chunks within a 150 KiB MaxEnvelopeSizekb; larger envelopes are a clear fault', async () => {
    const s = await server({ maxEnvelopeSizeKb: 150 });
    const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
    const data = Buffer.alloc(1024 * 1024, 7);
    const r = await conn.run('wc -c', { signal: never(), stdin: data });
    expect(r.stdout.toString().trim()).toBe(String(data.length));
    await conn.close();
    const big = await new WinrmTransport({ maxEnvelopeSize: 400 * 1024 }).connect(winrmTarget(s), { signal: never() });
    await expect(big.run('wc -c', { signal: never(), stdin: data })).rejects.toMatchObject({ issueCode: 'WSMAN_FAULT', details: { operation: 'Send' } });
    await big.close();
  });

  it('output larger than MaxEnvelopeSize arrives over several Receives, complete', async () => {
    const s = await server();
    const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
    const r = await conn.run('seq 1 200000', { signal: never() });
    await conn.close();
    expect(r.stdout.toString()).toBe(Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join(''));
    expect(s.stats.actions.filter((a) => a === 'Receive').length).toBeGreaterThan(5);
  });
});

it('the password of the test user reaches no error of a failed command', async () => {
  const s = await server();
  const conn = await new WinrmTransport().connect(winrmTarget(s), { signal: never() });
  const r = await conn.run('exit 4', { signal: never() });
  expect(r.exitCode).toBe(4);
  expect(JSON.stringify(r)).not.toContain(WINRM_PASSWORD);
  await conn.close();
});
