/**
 * Connecting: auth methods, host key checking, connection errors, ~/.ssh/config and ProxyJump,
 * against OpenSSH's sshd (or the in-process ssh2 server when sshd is missing) and fault servers.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRivetError } from '../../../src/core/errors.ts';
import type { ResolveEnv } from '../../../src/transports/ssh/config.ts';
import { startAgent, startSshd } from '../../harness/sshd.ts';
import { generateUsableKey, startSsh2Server, startStallServer, startTestSshServer, type TestSshServer } from '../../harness/ssh2-server.ts';
import { connect, fakeHome, run, sshTarget } from './helpers.ts';

let server: TestSshServer;
let env: ResolveEnv;

beforeAll(async () => {
  server = await startTestSshServer();
  env = await fakeHome();
  if (server.kind === 'ssh2') console.log('SSH tests run against the in-process ssh2 server (sshd unavailable)');
});
afterAll(async () => {
  await server?.stop();
});

async function expectConnectError(promise: Promise<unknown>, issueCode: string, pattern: RegExp): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'connect should fail').toBeDefined();
  expect(isRivetError(error)).toBe(true);
  expect(error).toMatchObject({ kind: 'puppetlabs.tasks/connect-error', issueCode });
  expect((error as Error).message).toMatch(pattern);
  return error as Error;
}

describe('ssh connect: authentication', () => {
  it('logs in with a key file', async () => {
    const p = await connect(sshTarget(server), env);
    try {
      expect(p.loginUser).toBe(server.user);
      const r = await run(p, 'id -un');
      expect(r.stdout.trim()).toBe(server.kind === 'sshd' ? server.user : r.stdout.trim());
    } finally {
      await p.close();
    }
  });

  it('logs in with an inline key (key-data)', async () => {
    const p = await connect(sshTarget(server, { 'private-key': { 'key-data': server.clientKey } }), env);
    expect((await run(p, 'echo ok')).stdout).toBe('ok\n');
    await p.close();
  });

  it('logs in with a password', async () => {
    const t = sshTarget(server, { 'private-key': undefined, password: server.password }, { user: server.passwordUser });
    const p = await connect(t, env);
    expect(p.loginUser).toBe(server.passwordUser);
    expect((await run(p, 'echo ok')).code).toBe(0);
    await p.close();
  });

  it('logs in with ssh-agent (SSH_AUTH_SOCK, load-config: true)', async () => {
    await using agent = await startAgent(server.clientKeyPath);
    const t = sshTarget(server, { 'private-key': undefined, 'load-config': true });
    const p = await connect(t, { ...env, env: { HOME: env.home!, SSH_AUTH_SOCK: agent.socket } });
    expect((await run(p, 'echo agent')).stdout).toBe('agent\n');
    await p.close();
  });

  it('rejects a wrong password as AUTH_ERROR naming the user and the methods tried', async () => {
    const t = sshTarget(server, { 'private-key': undefined, password: 'wrong-password' }, { user: server.passwordUser });
    // Bolt passes on net-ssh's "Authentication failed for user <user>@<host>" (ssh/connection.rb Connection#connect).
    await expectConnectError(connect(t, env), 'AUTH_ERROR', new RegExp(`^Authentication failed for user ${server.passwordUser}@.*127\\.0\\.0\\.2:${server.port}.*tried: password`));
  });

  it('rejects a key the server does not know as AUTH_ERROR', async () => {
    const other = generateUsableKey();
    const t = sshTarget(server, { 'private-key': { 'key-data': other.private } });
    await expectConnectError(connect(t, env), 'AUTH_ERROR', /^Authentication failed for user .*tried: publickey \(inline key/);
  });

  it('rejects an unparseable private key as AUTH_ERROR before connecting', async () => {
    const t = sshTarget(server, { 'private-key': { 'key-data': 'not a key' } });
    await expectConnectError(connect(t, env), 'AUTH_ERROR', /cannot use private key inline key/);
  });

  it('refuses to log in with no auth method configured (AUTH_ERROR once the host is reached)', async () => {
    await expectConnectError(connect(sshTarget(server, { 'private-key': undefined }), env), 'AUTH_ERROR', /^Authentication failed for .*no authentication method configured for user/);
  });

  // Bolt: net-ssh resolves and connects before it authenticates, and Connection#connect maps
  // anything but AuthenticationFailed/HostKeyError/ConnectionTimeout to "Failed to connect to".
  it('an unknown host name is a CONNECT_ERROR, not an AUTH_ERROR, even with no auth method configured', async () => {
    const t = sshTarget(server, { 'private-key': undefined }, { host: 'no-such-host.invalid' });
    await expectConnectError(connect(t, env), 'CONNECT_ERROR', /^Failed to connect to .*cannot resolve host name 'no-such-host\.invalid'/);
  });

  it('offers only the configured methods, in order, with no `none` probe', async () => {
    await using srv = await startSsh2Server();
    const other = generateUsableKey();
    // A key the server refuses, then the password: exactly two requests.
    const t = sshTarget(srv, { 'private-key': { 'key-data': other.private }, password: srv.password }, { host: '127.0.0.1' });
    const p = await connect(t, env);
    await p.close();
    expect(srv.authAttempts).toEqual(['publickey', 'password']);
  });
});

describe('ssh connect: host keys', () => {
  it('accepts a host listed by a hashed known_hosts entry (127.0.0.3 is hashed)', async () => {
    const p = await connect(sshTarget(server, {}, {}, 3), env);
    await p.close();
    const lines = (await import('node:fs')).readFileSync(server.knownHostsPath, 'utf8').split('\n');
    expect(lines[2]).toMatch(/^\|1\|/);
    expect(lines.join('\n')).not.toContain('[127.0.0.3]:');
  });

  it('refuses an unknown host with HOST_KEY_ERROR telling how to add the key', async () => {
    const empty = join(env.home!, 'empty_known_hosts');
    await writeFile(empty, '');
    const t = sshTarget(server, { 'known-hosts-file': empty });
    const e = await expectConnectError(connect(t, env), 'HOST_KEY_ERROR', /^Host key verification failed for .*: .*not in known_hosts/);
    expect(e.message).toContain(`ssh-keyscan -p ${server.port} 127.0.0.2 >> ~/.ssh/known_hosts`);
    expect(e.message).toContain('host-key-check: false');
  });

  it('refuses a changed host key with HOST_KEY_ERROR (possible man-in-the-middle)', async () => {
    await using impostor = await startSsh2Server();
    const kh = join(env.home!, 'kh_changed');
    await writeFile(kh, `[127.0.0.1]:${impostor.port} ${server.hostPublicKey}\n`);
    const t = sshTarget(impostor, { 'known-hosts-file': kh }, { host: '127.0.0.1' });
    await expectConnectError(connect(t, env), 'HOST_KEY_ERROR', /^Host key verification failed for .*CHANGED.*man-in-the-middle/);
  });

  it('connects to an unknown host with host-key-check: false', async () => {
    const empty = join(env.home!, 'empty_known_hosts2');
    await writeFile(empty, '');
    const p = await connect(sshTarget(server, { 'known-hosts-file': empty, 'host-key-check': false }), env);
    await p.close();
  });
});

describe('ssh connect: algorithms', () => {
  it('asks first for the host key type known_hosts lists (an RSA-only entry still matches)', async (ctx) => {
    if (server.kind !== 'sshd') return ctx.skip('needs OpenSSH sshd');
    const dir = (await fakeHome()).home!;
    const rsaKey = join(dir, 'host_rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsaKey]);
    await using both = await startSshd({ extraConfig: [`HostKey ${rsaKey}`] });
    const rsaPub = (await readFile(`${rsaKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
    const kh = join(dir, 'kh_rsa_only');
    await writeFile(kh, `[127.0.0.2]:${both.port} ${rsaPub}\n`);
    const p = await connect(sshTarget(both, { 'known-hosts-file': kh }), env);
    await p.close();
    // Without the preference, the server's ed25519 key would come first and be "unknown".
    const edFirst = sshTarget(both, { 'known-hosts-file': kh, 'host-key-algorithms': ['ssh-ed25519', 'rsa-sha2-512'] });
    await expectConnectError(connect(edFirst, env), 'HOST_KEY_ERROR', /not in known_hosts .* with a ssh-ed25519 key \(known key types: ssh-rsa\)/);
  });

  it('applies encryption/kex/mac/host-key algorithm lists and rejects unknown names', async () => {
    const t = sshTarget(server, {
      'encryption-algorithms': ['defaults', 'aes256-ctr'],
      'kex-algorithms': 'curve25519-sha256,ecdh-sha2-nistp256',
      'mac-algorithms': ['hmac-sha2-256'],
      'host-key-algorithms': ['ssh-ed25519'],
    });
    const p = await connect(t, env);
    await p.close();
    await expectConnectError(connect(sshTarget(server, { 'encryption-algorithms': ['rot13'] }), env), 'CONNECT_ERROR', /Unsupported algorithm: rot13/);
  });
});

describe('ssh connect: connection errors', () => {
  it('reports a refused connection as CONNECT_ERROR', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    // A long connect-timeout: the refusal itself ends the wait, not the deadline.
    const t = sshTarget({ ...server, port }, { 'connect-timeout': 600 }, { host: '127.0.0.1' });
    await expectConnectError(connect(t, env), 'CONNECT_ERROR', new RegExp(`^Failed to connect to .*: connection refused by 127\\.0\\.0\\.1:${port}`));
  });

  it('reports a DNS failure as CONNECT_ERROR', async () => {
    await expectConnectError(connect(sshTarget(server, {}, { host: 'no-such-host.invalid' }), env), 'CONNECT_ERROR', /^Failed to connect to .*cannot resolve host name 'no-such-host\.invalid' \(DNS/);
  });

  it('gives up on a stalled handshake after connect-timeout', async () => {
    await using stall = await startStallServer();
    const started = Date.now();
    const t = sshTarget({ ...server, port: stall.port }, { 'connect-timeout': 1 }, { host: '127.0.0.1' });
    await expectConnectError(connect(t, env), 'CONNECT_ERROR', /^Timeout after 1 seconds connecting to .*connect-timeout/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // not before the deadline (a lower bound only)
  });

  it('names MaxStartups when the server closes before sending its banner', async () => {
    const closer = createServer((sock) => sock.destroy());
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
    try {
      const port = (closer.address() as { port: number }).port;
      const t = sshTarget({ ...server, port }, { 'connect-timeout': 600 }, { host: '127.0.0.1' });
      await expectConnectError(connect(t, env), 'CONNECT_ERROR', /closed the connection before sending its SSH banner.*MaxStartups/);
    } finally {
      await new Promise((resolve) => closer.close(resolve));
    }
  });

  it('stops connecting when the AbortSignal fires', async () => {
    await using stall = await startStallServer();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    // A long connect-timeout: only the abort can end this connect.
    const t = sshTarget({ ...server, port: stall.port }, { 'connect-timeout': 600 }, { host: '127.0.0.1' });
    await expect(connect(t, env, ac.signal)).rejects.toMatchObject({ kind: 'rivet/canceled' });
  });
});

describe('ssh connect: ~/.ssh/config', () => {
  it('applies Host, HostName, User, Port, IdentityFile and UserKnownHostsFile', async (ctx) => {
    if (server.kind !== 'sshd') return ctx.skip('needs OpenSSH sshd (server address check)');
    const home = (await fakeHome()).home!;
    await mkdir(join(home, '.ssh'));
    await writeFile(
      join(home, '.ssh', 'config'),
      `Host myalias\n  HostName 127.0.0.4\n  User ${server.user}\n  Port ${server.port}\n  IdentityFile ${server.clientKeyPath}\n  UserKnownHostsFile ${server.knownHostsPath}\n`,
    );
    const t = sshTarget(server, { 'private-key': undefined, 'known-hosts-file': undefined, 'load-config': true }, { name: 'myalias', host: 'myalias', user: undefined, port: undefined });
    const p = await connect(t, { home, env: { HOME: home }, localUser: 'nobody-local' });
    expect(p.loginUser).toBe(server.user);
    const r = await run(p, 'echo $SSH_CONNECTION');
    expect(r.stdout.trim().split(' ').slice(2)).toEqual(['127.0.0.4', String(server.port)]);
    await p.close();
  });

  it('jumps through a ProxyJump host (ssh_config and the proxyjump option)', async (ctx) => {
    if (server.kind !== 'sshd') return ctx.skip('needs OpenSSH sshd (the in-process server does not forward)');
    const home = (await fakeHome()).home!;
    await mkdir(join(home, '.ssh'));
    await writeFile(join(home, '.ssh', 'config'), `Host 127.0.0.6\n  ProxyJump ${server.user}@127.0.0.5:${server.port}\n`);
    const before = server.connectionCount();
    const t = sshTarget(server, { 'load-config': true }, {}, 6);
    const p = await connect(t, { home, env: { HOME: home }, localUser: 'nobody-local' });
    const r = await run(p, 'echo $SSH_CONNECTION');
    // The target sees the connection coming from the jump host (sshd), not from us directly.
    expect(r.stdout.trim().split(' ')[2]).toBe('127.0.0.6');
    expect(server.connectionCount() - before).toBe(2);
    await p.close();

    const viaOption = await connect(sshTarget(server, { proxyjump: `${server.user}@127.0.0.7:${server.port}` }, {}, 8), env);
    expect((await run(viaOption, 'echo $SSH_CONNECTION')).stdout.trim().split(' ')[2]).toBe('127.0.0.8');
    await viaOption.close();
  });

  it('reports a jump host that cannot reach the target as CONNECT_ERROR', async (ctx) => {
    if (server.kind !== 'sshd') return ctx.skip('needs OpenSSH sshd (the in-process server does not forward)');
    const t = sshTarget(server, { proxyjump: `${server.user}@127.0.0.7:${server.port}` }, { port: 1 }, 8);
    await expectConnectError(connect(t, env), 'CONNECT_ERROR', /^Failed to connect to .*jump host could not open a connection to 127\.0\.0\.8:1/);
  });
});

// ssh-keyscan exists wherever sshd does; make sure the hint we print is a working command.
describe('ssh connect: the known_hosts hint', () => {
  it('is a command that works', async (ctx) => {
    if (server.kind !== 'sshd') return ctx.skip('needs OpenSSH sshd');
    const out = execFileSync('ssh-keyscan', ['-t', 'ed25519', '-p', String(server.port), '127.0.0.2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toContain(server.hostPublicKey.split(' ')[1]);
  });
});
