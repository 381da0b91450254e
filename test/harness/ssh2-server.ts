/**
 * In-process SSH servers built on ssh2's `Server`, on a loopback port 0, for two uses:
 *
 * 1. the fallback when OpenSSH's sshd is not installed (exec runs `/bin/sh -c` locally as the
 *    current user, in its own process group so a `signal` request reaches the whole group; no SFTP
 *    subsystem, so transfers take the exec fallback), and
 * 2. faults sshd cannot be made to show: `stall` (accepts TCP, sends its banner, then never answers
 *    the handshake), `drop-channel` (accepts an exec channel and closes it at once, with no exit
 *    status), `one-session` (accepts the first session channel of a connection and refuses every
 *    later one, as a server whose MaxSessions is taken by something else), and any server with a
 *    fresh host key (a "changed" key against known_hosts).
 *
 * @example
 * ```ts
 * await using srv = await startSsh2Server({ mode: 'drop-channel' });
 * await using stall = await startStallServer();
 * ```
 * @module
 */
import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { knownHostsLines, sshdSkipReason, startSshd, type SshdOptions } from './sshd.ts';
import { TEST_PASSWORD, TEST_USERS } from './users.ts';

const { Server, utils } = ssh2;

export type Ssh2ServerMode = 'normal' | 'drop-channel' | 'one-session';

export interface Ssh2ServerOptions {
  mode?: Ssh2ServerMode;
  /** The user name the server accepts (default `rivet`). */
  user?: string;
  /** A password it accepts besides the client key (default `rivet-pw-123`). */
  password?: string;
  /** Host key (OpenSSH private key); default a fresh ed25519 key. */
  hostKey?: string;
}

export interface Ssh2TestServer extends AsyncDisposable {
  readonly port: number;
  readonly host: '127.0.0.1';
  readonly user: string;
  readonly password: string;
  readonly clientKeyPath: string;
  readonly clientKey: string;
  readonly hostPublicKey: string;
  readonly knownHostsPath: string;
  readonly sftp: false;
  /** Every auth request received, as `method` (`none`, `publickey`, `password`), in order. */
  readonly authAttempts: string[];
  connectionCount(): number;
  /** The most connections at once between their TCP accept and their login (handshakes in flight). */
  handshakesPeak(): number;
  stop(): Promise<void>;
}

/**
 * An ed25519 key pair from ssh2's generator that ssh2 can parse back: about 1 in 100 of its
 * OpenSSH-format private keys fail its own parser ("Malformed OpenSSH private key").
 */
export function generateUsableKey(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => resolve((server.address() as { port: number }).port));
  });
}

/** Starts an ssh2 server (see the module doc). Accepts the generated client key or the password. */
export async function startSsh2Server(options: Ssh2ServerOptions = {}): Promise<Ssh2TestServer> {
  const mode = options.mode ?? 'normal';
  const user = options.user ?? 'rivet';
  const password = options.password ?? 'rivet-pw-123';
  const host = options.hostKey ? undefined : generateUsableKey();
  const hostPrivate = options.hostKey ?? host!.private;
  const hostParsed = utils.parseKey(hostPrivate) as ParsedKey;
  const hostPublicKey = `${hostParsed.type} ${hostParsed.getPublicSSH().toString('base64')}`;
  const client = generateUsableKey();
  const clientPub = utils.parseKey(client.public) as ParsedKey;
  const dir = await mkdtemp(join(tmpdir(), 'rivet-ssh2srv-'));
  const clientKeyPath = join(dir, 'client_ed25519');
  await writeFile(clientKeyPath, client.private, { mode: 0o600 });

  let connections = 0;
  let handshaking = 0;
  let handshakesPeak = 0;
  const authAttempts: string[] = [];
  const conns = new Set<ssh2.Connection>();
  const children = new Set<number>();
  const server = new Server({ hostKeys: [hostPrivate] }, (conn) => {
    connections++;
    handshakesPeak = Math.max(handshakesPeak, ++handshaking);
    let loggedIn = false;
    conns.add(conn);
    conn.on('close', () => {
      conns.delete(conn);
      if (!loggedIn) handshaking--;
    });
    conn.once('ready', () => {
      loggedIn = true;
      handshaking--;
    });
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => {
      authAttempts.push(ctx.method);
      if (ctx.username !== user) return ctx.reject(['publickey', 'password']);
      if (ctx.method === 'password' && ctx.password === password) return ctx.accept();
      if (ctx.method === 'publickey' && ctx.key.algo === clientPub.type && sameBytes(ctx.key.data, clientPub.getPublicSSH())) {
        if (!ctx.signature) return ctx.accept(); // the "would you accept this key" query
        if (ctx.blob && clientPub.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['publickey', 'password']);
    });
    let sessions = 0;
    conn.on('ready', () => {
      conn.on('session', (acceptSession, rejectSession) => {
        if (mode === 'one-session' && sessions > 0) return rejectSession();
        sessions++;
        const session = acceptSession();
        // ssh2's Server refuses every channel request once the client sent EOF (it marks the
        // session "ending"), but OpenSSH still delivers a `signal` then, and PosixConnection always
        // closes stdin first. Keep the session open for requests while its exec channel lives.
        let ending = false;
        Object.defineProperty(session, '_ending', {
          get: () => ending && (session as unknown as { _channel?: unknown })._channel === undefined,
          set: (v: boolean) => {
            ending = v;
          },
          configurable: true,
        });
        let pid: number | undefined;
        session.on('signal', (accept, _reject, info) => {
          accept?.();
          if (pid !== undefined) {
            try {
              process.kill(-pid, `SIG${info.name}` as NodeJS.Signals);
            } catch {}
          }
        });
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          if (mode === 'drop-channel') {
            stream.write('partial output\n');
            stream.close();
            return;
          }
          const child = spawn('/bin/sh', ['-c', info.command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
          pid = child.pid;
          if (pid !== undefined) children.add(pid);
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          stream.pipe(child.stdin).on('error', () => {});
          child.stdin.on('error', () => {});
          // Like sshd: exit-status when the process exits, EOF/close once its output is drained
          // (a background process may keep stdout open longer).
          child.on('exit', (code, sig) => {
            if (sig) stream.exit(sig.replace(/^SIG/, ''), false, '');
            else stream.exit(code ?? 0);
          });
          child.on('close', () => {
            if (pid !== undefined) children.delete(pid);
            stream.end();
          });
        });
        session.on('sftp', (_accept, reject) => reject?.());
        session.on('subsystem', (_accept, reject) => reject?.());
      });
    });
  });
  const port = await listen(server);
  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, knownHostsLines(hostPublicKey, port));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const pid of children) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {}
      }
      const closed = new Promise<void>((r) => server.close(() => r()));
      // end() is a no-op on a connection still in its handshake: destroy the sockets too.
      for (const c of conns) {
        c.end();
        (c as unknown as { _sock?: Socket })._sock?.destroy();
      }
      await closed;
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return {
    port,
    host: '127.0.0.1',
    user,
    password,
    clientKeyPath,
    clientKey: client.private,
    hostPublicKey,
    knownHostsPath,
    sftp: false,
    authAttempts,
    connectionCount: () => connections,
    handshakesPeak: () => handshakesPeak,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A TCP server that sends an SSH banner and then never answers: a handshake that stalls. */
export async function startStallServer(): Promise<{ port: number; stop(): Promise<void> } & AsyncDisposable> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.write('SSH-2.0-RivetStall_1.0\r\n');
  });
  const port = await listen(server);
  const stop = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { port, stop, [Symbol.asyncDispose]: stop };
}

/** What the SSH tests need from a server, whether OpenSSH's sshd or the in-process fallback. */
export interface TestSshServer extends AsyncDisposable {
  readonly kind: 'sshd' | 'ssh2';
  readonly port: number;
  readonly host: '127.0.0.1';
  readonly user: string;
  /** A user that logs in with {@link password} (sshd: `rivetpw`). */
  readonly passwordUser: string;
  readonly password: string;
  readonly clientKeyPath: string;
  readonly clientKey: string;
  readonly hostPublicKey: string;
  readonly knownHostsPath: string;
  readonly sftp: boolean;
  connectionCount(): number;
  stop(): Promise<void>;
}

/**
 * Starts OpenSSH's sshd when it can (installed, root), else the in-process ssh2 server, saying so
 * on stderr (so it shows in the test output). CI always has sshd.
 */
export async function startTestSshServer(options: SshdOptions = {}): Promise<TestSshServer> {
  const reason = sshdSkipReason();
  if (reason === undefined) {
    const s = await startSshd(options);
    return { ...s, kind: 'sshd', passwordUser: TEST_USERS.password, password: TEST_PASSWORD };
  }
  process.stderr.write(`[rivet ssh tests] ${reason}: using the in-process ssh2 server instead of OpenSSH sshd\n`);
  const s = await startSsh2Server();
  return { ...s, kind: 'ssh2', passwordUser: s.user };
}
