/**
 * Starts OpenSSH's `sshd` for tests: a free port, its own config, host key and client key, in a
 * temp dir that {@link SshdServer.stop} removes. Root only (sshd must switch users).
 *
 * Addressing: sshd listens on 0.0.0.0 (16 `ListenAddress` lines would not cover 50 targets), and
 * `AllowUsers *@127.0.0.0/8` refuses every login that does not come from loopback. So 127.0.0.1,
 * 127.0.0.2, ... 127.0.0.60 are "different machines" on the same server.
 *
 * Sessions get a clean environment: tests log in as dedicated users whose shell is `/bin/sh`
 * (see `users.ts`), never as root (whose `.bashrc` runs `pyenv init`, which takes a lock and
 * serialises concurrent sessions); PAM, motd and lastlog are off.
 *
 * @example
 * ```ts
 * await using sshd = await startSshd();
 * const target = { host: sshd.host, port: sshd.port, user: sshd.user, ... };
 * ```
 * @module
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashKnownHostsName, knownHostsName } from '../../src/transports/ssh/known-hosts.ts';
import { ensureTestUsers, isRoot, TEST_USERS } from './users.ts';

const run = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';

/** Runs "$@" (sshd -D ...) in the background; when stdin reaches EOF, kills it and waits. */
const WATCHDOG = '"$@" </dev/null & pid=$!; trap \'kill $pid 2>/dev/null\' TERM INT; while read -r _; do :; done; kill $pid 2>/dev/null; wait $pid';

export interface SshdOptions {
  /** Offer the sftp subsystem (default true). */
  sftp?: boolean;
  /** Extra sshd_config lines (appended before any Match block). */
  extraConfig?: string[];
  /** sshd's MaxSessions (default 50). */
  maxSessions?: number;
  /** Highest 127.0.0.x to list in known_hosts (default 60). */
  lastAddress?: number;
  /**
   * Also let root log in with the client key (`PermitRootLogin prohibit-password`). OpenSSH then
   * refuses channel signals for root's sessions, as on a real fleet. Sessions get
   * `HOME=<dir>/root-home` (empty), so root's own `.bashrc` is not read.
   */
  rootLogin?: boolean;
}

export interface SshdServer extends AsyncDisposable {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** The key-login user with password-less sudo. */
  readonly user: string;
  readonly clientKeyPath: string;
  /** The client private key (OpenSSH format). */
  readonly clientKey: string;
  readonly clientPublicKey: string;
  /** `ssh-ed25519 AAAA...` */
  readonly hostPublicKey: string;
  /** Lists the host key for 127.0.0.1..lastAddress on this port; odd addresses are hashed. */
  readonly knownHostsPath: string;
  /** The temp dir with config, keys and log. */
  readonly dir: string;
  readonly logPath: string;
  readonly sftp: boolean;
  /** Connections sshd has accepted so far (from its VERBOSE log). */
  connectionCount(): number;
  stop(): Promise<void>;
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD_PATH);
}

/** Why sshd-based tests cannot run here, or undefined when they can. */
export function sshdSkipReason(): string | undefined {
  if (process.env['RIVET_TEST_NO_SSHD'] === '1') return 'RIVET_TEST_NO_SSHD=1 is set';
  if (!sshdAvailable()) return `${SSHD_PATH} is not installed`;
  if (!isRoot()) return 'starting sshd and the test users needs root';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '0.0.0.0', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function keygen(path: string, comment: string): Promise<void> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** Writes known_hosts lines for 127.0.0.1..last on `port`: even addresses plain, odd ones hashed. */
export function knownHostsLines(hostPublicKey: string, port: number, last = 60): string {
  const [type, blob] = hostPublicKey.trim().split(/\s+/);
  const lines: string[] = [];
  for (let i = 1; i <= last; i++) {
    const name = knownHostsName(`127.0.0.${i}`, port);
    lines.push(`${i % 2 === 1 ? hashKnownHostsName(name, randomBytes(20)) : name} ${type} ${blob}`);
  }
  lines.push(`${knownHostsName('localhost', port)} ${type} ${blob}`);
  return `${lines.join('\n')}\n`;
}

function sshdConfig(dir: string, port: number, sftp: boolean, maxSessions: number, extra: readonly string[], rootLogin: boolean): string {
  return [
    `Port ${port}`,
    'ListenAddress 0.0.0.0',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    rootLogin ? 'PermitRootLogin prohibit-password' : 'PermitRootLogin no',
    'PermitEmptyPasswords no',
    `AllowUsers ${[...Object.values(TEST_USERS), ...(rootLogin ? ['root'] : [])].map((u) => `${u}@127.0.0.0/8`).join(' ')}`,
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    `MaxSessions ${maxSessions}`,
    'MaxStartups 200',
    'MaxAuthTries 10',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
    // Root's sessions get an empty HOME: root's real .bashrc here runs `pyenv init`, whose lock a
    // killed session would leave behind for every later root shell on the machine.
    rootLogin ? `SetEnv LC_ALL=C.UTF-8 HOME=${join(dir, 'root-home')}` : 'SetEnv LC_ALL=C.UTF-8',
    ...(sftp ? ['Subsystem sftp internal-sftp'] : []),
    ...extra,
    '',
  ].join('\n');
}

/** Starts sshd (see the module doc). Creates the test users first. */
export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  const reason = sshdSkipReason();
  if (reason) throw new Error(`cannot start sshd: ${reason}`);
  await ensureTestUsers();
  const sftp = options.sftp ?? true;
  const dir = await mkdtemp(join(tmpdir(), 'rivet-sshd-'));
  if (options.rootLogin) await mkdir(join(dir, 'root-home'), { mode: 0o700 });
  await chmod(dir, 0o755); // sshd reads AuthorizedKeysFile as the logging-in user
  const hostKeyPath = join(dir, 'host_ed25519');
  const clientKeyPath = join(dir, 'client_ed25519');
  await Promise.all([keygen(hostKeyPath, 'rivet-test-host'), keygen(clientKeyPath, 'rivet-test-client')]);
  const clientPublicKey = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();
  const hostPublicKey = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  await writeFile(join(dir, 'authorized_keys'), `${clientPublicKey}\n`, { mode: 0o644 });
  const logPath = join(dir, 'sshd.log');
  const configPath = join(dir, 'sshd_config');

  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    await writeFile(configPath, sshdConfig(dir, port, sftp, options.maxSessions ?? 50, options.extraConfig ?? [], options.rootLogin ?? false));
    await writeFile(logPath, '');
    // sshd runs under a tiny sh watchdog that kills it when our end of its stdin closes: on
    // stop(), and also when the test process dies without stopping it (no leaked sshd).
    const proc = spawn('/bin/sh', ['-c', WATCHDOG, 'sshd-watchdog', SSHD_PATH, '-D', '-e', '-f', configPath, '-E', logPath], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ok = await waitListening(proc, logPath, port);
    if (ok === true) child = proc;
    else {
      proc.stdin!.end();
      const log = await readFile(logPath, 'utf8').catch(() => '');
      if (!/Address already in use|Bind to port/.test(log + stderr)) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`sshd did not start: ${ok}\n${stderr}\n${log}`);
      }
    }
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw new Error('sshd did not start: no free port after 5 attempts');
  }

  const knownHostsPath = join(dir, 'known_hosts');
  await writeFile(knownHostsPath, knownHostsLines(hostPublicKey, port, options.lastAddress ?? 60));
  const clientKey = await readFile(clientKeyPath, 'utf8');
  const proc = child;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.stdin!.end(); // the watchdog kills sshd and exits
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return {
    port,
    host: '127.0.0.1',
    user: TEST_USERS.main,
    clientKeyPath,
    clientKey,
    clientPublicKey,
    hostPublicKey,
    knownHostsPath,
    dir,
    logPath,
    sftp,
    connectionCount: () => {
      try {
        return (readFileSync(logPath, 'utf8').match(/^Connection from /gm) ?? []).length;
      } catch {
        return 0;
      }
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Resolves true once sshd logs that it listens, or a reason string if it exits or stalls. */
async function waitListening(proc: ChildProcess, logPath: string, port: number): Promise<true | string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) return `exited with ${proc.exitCode ?? proc.signalCode}`;
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (log.includes(`Server listening on 0.0.0.0 port ${port}`)) return true;
    if (/Bind to port .* failed|Cannot bind any address/.test(log)) return 'bind failed';
    await new Promise((r) => setTimeout(r, 25));
  }
  return 'timed out waiting for "Server listening"';
}

/** Runs `ssh-agent -D` on a private socket with `keyPath` added; returns its socket and a stop(). */
export async function startAgent(keyPath: string): Promise<{ socket: string; stop(): Promise<void> } & AsyncDisposable> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-agent-'));
  const socket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await access(socket);
      break;
    } catch {
      if (Date.now() > deadline || agent.exitCode !== null) throw new Error('ssh-agent did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await run('ssh-add', ['-q', keyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  const stop = async (): Promise<void> => {
    if (agent.exitCode === null) {
      const exited = new Promise<void>((r) => agent.once('exit', () => r()));
      agent.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  return { socket, stop, [Symbol.asyncDispose]: stop };
}
