/**
 * Drives test/transports/winrm/ntlm/ntlm_peer.py (an independent NTLM implementation from Debian:
 * gss-ntlmssp through python3-gssapi, or python3-ntlm-auth) over stdin/stdout, one command per line.
 * Secrets go through the environment, never the command line.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./ntlm_peer.py', import.meta.url));
/** Debian's interpreter, which sees Debian's python3-* packages (a pyenv python3 on PATH would not). */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Why a peer cannot run here (the test is skipped with this reason), or undefined when it can. */
export function peerUnavailable(mode: PeerMode): string | undefined {
  const probe =
    mode === 'ntlmauth-init'
      ? ['import ntlm_auth.ntlm', 'python3-ntlm-auth (Debian; pulled in by python3-winrm)']
      : ['import gssapi', 'python3-gssapi and gss-ntlmssp (Debian)'];
  const result = spawnSync(PYTHON, ['-c', probe[0]!], { encoding: 'utf8', timeout: 60_000 });
  if (result.error || result.status !== 0) return `${probe[1]} not installed: apt-get install -y python3-winrm python3-gssapi gss-ntlmssp`;
  if (mode !== 'ntlmauth-init' && !spawnSync('sh', ['-c', 'ls /etc/gss/mech.d/*ntlmssp* /usr/lib/*/gssntlmssp/gssntlmssp.so'], { timeout: 10_000 }).stdout?.length) {
    return 'gss-ntlmssp not installed: apt-get install -y gss-ntlmssp';
  }
  return undefined;
}

export type PeerMode = 'gss-accept' | 'gss-init' | 'ntlmauth-init';

export interface PeerOptions {
  /** gss-accept: the accepted users. */
  users?: Array<{ domain: string; user: string; password: string }>;
  /** Initiators: who to log on as. */
  user?: string;
  domain?: string;
  password?: string;
  /** Channel binding application data. */
  channelBindings?: Buffer;
}

/** OpenSSL config enabling the legacy provider, so that Python's hashlib has MD4 (ntlm-auth, pywinrm's NTLM library, needs it). */
export const LEGACY_OPENSSL_CONF = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`;

export class PythonPeer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterableIterator<string>;
  readonly #dir: string;

  private constructor(child: ChildProcessWithoutNullStreams, dir: string) {
    this.#child = child;
    this.#dir = dir;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(mode: PeerMode, options: PeerOptions): Promise<PythonPeer> {
    const dir = mkdtempSync(join(tmpdir(), 'rivet-ntlm-peer-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], LANG: 'C.UTF-8' };
    if (options.users) {
      const file = join(dir, 'users');
      writeFileSync(file, options.users.map((u) => `${u.domain}:${u.user}:${u.password}\n`).join(''), { mode: 0o600 });
      env['NTLM_USER_FILE'] = file;
    }
    if (options.user !== undefined) env['NTLM_PEER_USER'] = options.user;
    if (options.domain !== undefined) env['NTLM_PEER_DOMAIN'] = options.domain;
    if (options.password !== undefined) env['NTLM_PEER_PASSWORD'] = options.password;
    if (options.channelBindings) env['NTLM_PEER_CBT'] = options.channelBindings.toString('hex');
    if (mode === 'ntlmauth-init') {
      writeFileSync(join(dir, 'openssl.cnf'), LEGACY_OPENSSL_CONF);
      env['OPENSSL_CONF'] = join(dir, 'openssl.cnf');
    }
    const child = spawn(PYTHON, [SCRIPT, mode], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 10_000) stderr += chunk.toString();
    });
    const peer = new PythonPeer(child, dir);
    const first = await peer.#read();
    if (first !== 'READY') {
      peer.close();
      throw new Error(`ntlm_peer.py ${mode} did not start: ${first} ${stderr}`);
    }
    return peer;
  }

  async #read(): Promise<string> {
    const next = await this.#lines.next();
    if (next.done) throw new Error('ntlm_peer.py exited');
    return next.value;
  }

  async #command(command: string, data: Buffer): Promise<string[]> {
    this.#child.stdin.write(`${command} ${data.toString('hex')}\n`);
    const line = await this.#read();
    const [kind, ...rest] = line.split(' ');
    if (kind === 'ERROR') throw new PeerError(rest.join(' '));
    return [kind!, rest.join(' ')];
  }

  /** One context step: the token to send back (empty when none) and, once complete, the user (acceptor). */
  async step(token: Buffer): Promise<{ token: Buffer; complete: boolean; user: string }> {
    const [, rest] = await this.#command('STEP', token);
    const [hex, complete, user] = rest!.split(' ').map((w) => (w === '-' ? '' : w));
    return { token: Buffer.from(hex ?? '', 'hex'), complete: complete === '1', user: Buffer.from(user ?? '', 'hex').toString('utf8') };
  }

  /** GSS wrap with confidentiality: 16-byte signature followed by the sealed data. */
  async wrap(data: Buffer): Promise<Buffer> {
    return Buffer.from((await this.#command('WRAP', data))[1]!, 'hex');
  }

  async unwrap(token: Buffer): Promise<Buffer> {
    return Buffer.from((await this.#command('UNWRAP', token))[1]!, 'hex');
  }

  /** ntlmauth-init only: pywinrm's encrypted HTTP body for `soap`. */
  async frame(soap: Buffer): Promise<Buffer> {
    return Buffer.from((await this.#command('FRAME', soap))[1]!, 'hex');
  }

  /** ntlmauth-init only: pywinrm's decryption of an encrypted HTTP body. */
  async unframe(body: Buffer): Promise<Buffer> {
    return Buffer.from((await this.#command('UNFRAME', body))[1]!, 'hex');
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

export class PeerError extends Error {}
