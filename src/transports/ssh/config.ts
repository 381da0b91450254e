/**
 * SSH options: the target's `ssh` config map (Bolt's kebab-case keys) merged with `~/.ssh/config`
 * (when `load-config` is true, the default). Inventory options beat ssh_config; ssh_config beats
 * built-in defaults. Pure apart from reading files, so it is unit-tested without a server.
 *
 * Options read: `host`, `port`, `user`, `password`, `private-key` (path, or `{ key-data }`),
 * `host-key-check`, `known-hosts-file` (Rivet extension), `connect-timeout` (s, default 10),
 * `disconnect-timeout` (s, default 5),
 * `proxyjump`, `load-config`, `max-sessions` (Rivet extension, default 10), `keepalive-interval`
 * (Rivet extension, s, default 5; 0 turns keepalives off), `keepalive-count-max` (Rivet
 * extension, default 4: a connection is declared lost after that many unanswered keepalives, so
 * a dead one is noticed within (count + 1) x interval = 25 s by default), `ssh-config-file` (Rivet extension, default `~/.ssh/config`),
 * `encryption-algorithms`, `host-key-algorithms`, `kex-algorithms`, `mac-algorithms` (lists; an
 * entry `defaults` means ssh2's defaults plus the others).
 * From ssh_config: HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile,
 * GlobalKnownHostsFile, StrictHostKeyChecking, ConnectTimeout.
 *
 * @example
 * ```ts
 * const resolved = await resolveSshConfig(target);
 * resolved.hops; // [jump1, ..., target]
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import { transportOptions, type Target } from '../../core/target.ts';
import { safeLocalUser, type SshFileCache } from './file-cache.ts';
import type { SshEnvironment } from './environment.ts';

/** A private key to offer, with where it came from (for messages). */
export interface KeySource {
  /** The key text (PEM / OpenSSH format). */
  data: Buffer;
  /** File path, or "inline key" for `key-data`. */
  origin: string;
  /** True when it came from `private-key` (a broken one is then an error, not skipped). */
  explicit: boolean;
}

/** How to reach and authenticate to one machine (the target or a jump host). */
export interface HopConfig {
  /** The name as written (target host or jump spec), used for ssh_config matching. */
  alias: string;
  /** The host to connect to (after ssh_config HostName). */
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  keys: KeySource[];
  /** ssh-agent socket, when `load-config` is true and SSH_AUTH_SOCK is set. */
  agent: string | undefined;
}

export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

export interface ResolvedSshConfig {
  /** Jump hosts first, the target last. */
  hops: HopConfig[];
  hostKeyPolicy: HostKeyPolicy;
  knownHostsFiles: string[];
  connectTimeoutMs: number;
  /** How long close() waits for the server to acknowledge the disconnect (`disconnect-timeout`, s, default 5). */
  disconnectTimeoutMs: number;
  maxSessions: number;
  /** Seconds between keepalives x 1000 (`keepalive-interval`); 0: none. */
  keepaliveIntervalMs: number;
  /** Unanswered keepalives after which the connection is lost (`keepalive-count-max`). */
  keepaliveCountMax: number;
  /** TCP_NODELAY on the socket (Rivet extension `tcp-nodelay`, default true; off only for benchmarks). */
  noDelay: boolean;
  /** Offer only the configured auth methods (no `none` probe). Off only for benchmarks. */
  skipNoneProbe: boolean;
  /** From `encryption-algorithms`, `host-key-algorithms`, `kex-algorithms`, `mac-algorithms`. */
  algorithms: AlgorithmOptions;
  /** The run's file cache, when resolved with one (known_hosts is then loaded once). */
  fileCache?: SshFileCache | undefined;
}

/** An exact list, or ssh2's defaults plus some (when the option lists `defaults`). */
export type AlgorithmList = string[] | { append: string[] };

export interface AlgorithmOptions {
  cipher?: AlgorithmList;
  serverHostKey?: AlgorithmList;
  kex?: AlgorithmList;
  hmac?: AlgorithmList;
}

const ALGORITHM_OPTIONS = {
  'encryption-algorithms': 'cipher',
  'host-key-algorithms': 'serverHostKey',
  'kex-algorithms': 'kex',
  'mac-algorithms': 'hmac',
} as const;

function algorithmOptions(o: Record<string, unknown>, target: Target): AlgorithmOptions {
  const out: AlgorithmOptions = {};
  for (const [key, name] of Object.entries(ALGORITHM_OPTIONS)) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
    if (list === undefined) throw optionError(target, key, 'must be a list of algorithm names');
    const names = list.map((x) => x.trim()).filter((x) => x !== '');
    const others = names.filter((x) => x !== 'defaults');
    out[name] = others.length < names.length ? { append: others } : others;
  }
  return out;
}

export interface ResolveEnv extends SshEnvironment {
  /** Files (ssh_config, keys, known_hosts) and the local user read once per run (see {@link SshFileCache}). */
  cache?: SshFileCache;
}

function optionError(target: Target, key: string, msg: string): RivetError {
  return new RivetError(ErrorKind.Connect, `Failed to connect to ${target.name}: option '${key}' ${msg}`, {
    issueCode: 'CONNECT_ERROR',
    target: target.name,
    details: { key },
  });
}

function str(options: Record<string, unknown>, key: string, target: Target): string | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw optionError(target, key, `must be a string, got ${typeof v}`);
}

function num(options: Record<string, unknown>, key: string, target: Target): number | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw optionError(target, key, `must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

function bool(options: Record<string, unknown>, key: string, target: Target): boolean | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'yes') return true;
  if (v === 'false' || v === 'no') return false;
  throw optionError(target, key, `must be true or false, got ${JSON.stringify(v)}`);
}

export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

type Computed = Record<string, string | string[]>;

function first(c: Computed, key: string): string | undefined {
  const v = c[key.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v[0] : v;
}

function all(c: Computed, key: string): string[] {
  const v = c[key.toLowerCase()];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** ssh_config tokens we can expand (%h, %p, %r, %u, %d, %%, ~). */
function expandTokens(value: string, t: { host: string; port: number; user: string; localUser: string; home: string }): string {
  const out = value.replace(/%([hprud%])/g, (_m, c: string) => {
    switch (c) {
      case 'h': return t.host;
      case 'p': return String(t.port);
      case 'r': return t.user;
      case 'u': return t.localUser;
      case 'd': return t.home;
      default: return '%';
    }
  });
  return expandHome(out, t.home);
}

/** Parses a ProxyJump list: `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma-separated. */
export function parseJumpList(spec: string): { user?: string; host: string; port?: number }[] {
  if (spec.trim() === '' || spec.trim().toLowerCase() === 'none') return [];
  return spec.split(',').map((raw) => {
    let s = raw.trim().replace(/^ssh:\/\//, '');
    let user: string | undefined;
    const at = s.lastIndexOf('@');
    if (at !== -1) {
      user = s.slice(0, at);
      s = s.slice(at + 1);
    }
    let host = s;
    let port: number | undefined;
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
    if (m) {
      host = m[1]!;
      if (m[2] !== undefined) port = Number(m[2]);
    }
    return { ...(user === undefined ? {} : { user }), host, ...(port === undefined ? {} : { port }) };
  });
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * Resolves the target's SSH options. Reads `~/.ssh/config` (when `load-config`), the private key
 * file and IdentityFiles. Throws a CONNECT_ERROR/AUTH_ERROR RivetError for invalid options.
 */
export async function resolveSshConfig(target: Target, renv: ResolveEnv = {}): Promise<ResolvedSshConfig> {
  const env = renv.env ?? process.env;
  const home = renv.home ?? env['HOME'] ?? homedir();
  const cache = renv.cache;
  const localUser = renv.localUser ?? cache?.localUser() ?? safeLocalUser();
  const readKey = (path: string): Promise<Buffer | undefined> => (cache ? cache.read(path) : readKeyFile(path));
  const o = transportOptions(target);

  const loadConfig = bool(o, 'load-config', target) ?? true;
  let sshConfig: ReturnType<typeof SSHConfig.parse> | undefined;
  if (loadConfig) {
    const file = expandHome(str(o, 'ssh-config-file', target) ?? '~/.ssh/config', home);
    try {
      sshConfig = cache
        ? await cache.parsed(file, 'ssh_config', (text) => SSHConfig.parse(text))
        : await readFile(file, 'utf8').then((text) => SSHConfig.parse(text), (error: unknown) => (isReadError(error) ? undefined : Promise.reject(error)));
    } catch (error) {
      throw optionError(target, 'load-config', `cannot parse ${file}: ${(error as Error).message}`);
    }
  }
  const compute = (name: string): Computed =>
    sshConfig ? (sshConfig.compute(name, { ignoreCase: true, matchExec: false }) as Computed) : {};

  const alias = target.host ?? str(o, 'host', target);
  if (alias === undefined || alias === '') {
    // Bolt's Transport::SSH::Connection#initialize: a target with only a name has no host.
    throw new RivetError(ErrorKind.TargetValidation, `Target ${target.name} does not have a host`, { target: target.name, details: { key: 'host' } });
  }
  // The inventory already resolved host/port/user/password with Bolt's precedence (URI parts over
  // config, I-16); the options are read directly only for targets made without an inventory.
  const c = compute(alias);

  const port = target.port ?? num(o, 'port', target) ?? numOr(first(c, 'Port')) ?? 22;
  const user = target.user ?? str(o, 'user', target) ?? first(c, 'User') ?? localUser;
  const host = first(c, 'HostName') !== undefined ? expandTokens(first(c, 'HostName')!, { host: alias, port, user, localUser, home }) : alias;
  const password = target.password ?? str(o, 'password', target);

  // Keys: explicit private-key, else ssh_config IdentityFile, else the default identities.
  const explicitKeys: KeySource[] = [];
  const pk = o['private-key'];
  if (pk !== undefined && pk !== null) {
    if (typeof pk === 'string') {
      const path = expandHome(pk, home);
      const data = await readKey(path);
      if (data === undefined) {
        throw new RivetError(ErrorKind.Connect, `Authentication failed for ${target.name}: cannot read private key file ${path}`, {
          issueCode: 'AUTH_ERROR',
          target: target.name,
          details: { key: 'private-key', path },
        });
      }
      explicitKeys.push({ data, origin: path, explicit: true });
    } else if (typeof pk === 'object' && typeof (pk as Record<string, unknown>)['key-data'] === 'string') {
      explicitKeys.push({ data: Buffer.from((pk as Record<string, string>)['key-data']!), origin: 'inline key (key-data)', explicit: true });
    } else {
      throw optionError(target, 'private-key', 'must be a path or { key-data: "..." }');
    }
  }
  const configKeys = async (comp: Computed, hop: { host: string; port: number; user: string }): Promise<KeySource[]> => {
    if (!loadConfig) return [];
    const files = all(comp, 'IdentityFile').map((f) => expandTokens(f, { ...hop, localUser, home }));
    const paths = files.length > 0 ? files : DEFAULT_IDENTITIES.map((n) => join(home, '.ssh', n));
    const keys: KeySource[] = [];
    for (const path of paths) {
      const data = await readKey(path);
      if (data !== undefined) keys.push({ data, origin: path, explicit: false });
    }
    return keys;
  };
  const agent = loadConfig && env['SSH_AUTH_SOCK'] ? env['SSH_AUTH_SOCK'] : undefined;

  const targetHop: HopConfig = {
    alias,
    host,
    port,
    user,
    password,
    keys: explicitKeys.length > 0 ? explicitKeys : await configKeys(c, { host, port, user }),
    agent,
  };

  // Jump hosts: `proxyjump` option, else ssh_config ProxyJump. Each hop gets its own ssh_config
  // lookup; without its own IdentityFile/User it uses the target's keys, agent and password.
  const jumpSpec = str(o, 'proxyjump', target) ?? (loadConfig ? first(c, 'ProxyJump') : undefined);
  const hops: HopConfig[] = [];
  for (const j of parseJumpList(jumpSpec ?? '')) {
    const jc = compute(j.host);
    const jPort = j.port ?? numOr(first(jc, 'Port')) ?? 22;
    const jUser = j.user ?? first(jc, 'User') ?? localUser;
    const jHost = first(jc, 'HostName') ?? j.host;
    const ownKeys = all(jc, 'IdentityFile').length > 0 ? await configKeys(jc, { host: jHost, port: jPort, user: jUser }) : [];
    hops.push({
      alias: j.host,
      host: jHost,
      port: jPort,
      user: jUser,
      password,
      keys: ownKeys.length > 0 ? ownKeys : targetHop.keys,
      agent,
    });
  }
  hops.push(targetHop);

  // Host key checking: explicit option, else ssh_config StrictHostKeyChecking, else strict.
  const hkc = bool(o, 'host-key-check', target);
  let hostKeyPolicy: HostKeyPolicy = 'strict';
  if (hkc === false) hostKeyPolicy = 'off';
  else if (hkc === undefined && loadConfig) {
    const shkc = first(c, 'StrictHostKeyChecking')?.toLowerCase();
    if (shkc === 'no' || shkc === 'off') hostKeyPolicy = 'off';
    else if (shkc === 'accept-new') hostKeyPolicy = 'accept-new';
  }

  const khOption = str(o, 'known-hosts-file', target);
  let knownHostsFiles: string[];
  if (khOption !== undefined) knownHostsFiles = [expandHome(khOption, home)];
  else {
    const userFiles = loadConfig ? all(c, 'UserKnownHostsFile').flatMap((v) => v.split(/\s+/)) : [];
    const globalFiles = loadConfig ? all(c, 'GlobalKnownHostsFile').flatMap((v) => v.split(/\s+/)) : [];
    knownHostsFiles = [
      ...(userFiles.length > 0 ? userFiles : ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']),
      ...(globalFiles.length > 0 ? globalFiles : ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    ]
      .filter((f) => f.toLowerCase() !== 'none')
      .map((f) => expandTokens(f, { host, port, user, localUser, home }))
      .map((f) => (isAbsolute(f) ? f : join(home, f)));
  }

  const connectTimeoutS = num(o, 'connect-timeout', target) ?? (loadConfig ? numOr(first(c, 'ConnectTimeout')) : undefined) ?? 10;
  const maxSessions = num(o, 'max-sessions', target) ?? 10;
  if (!Number.isInteger(maxSessions) || maxSessions < 1) throw optionError(target, 'max-sessions', 'must be a positive integer');
  const keepaliveS = num(o, 'keepalive-interval', target) ?? 5;
  const keepaliveCountMax = num(o, 'keepalive-count-max', target) ?? 4;
  if (!Number.isInteger(keepaliveCountMax)) throw optionError(target, 'keepalive-count-max', 'must be a non-negative integer');

  return {
    hops,
    hostKeyPolicy,
    knownHostsFiles,
    connectTimeoutMs: connectTimeoutS * 1000,
    disconnectTimeoutMs: (num(o, 'disconnect-timeout', target) ?? 5) * 1000,
    maxSessions,
    keepaliveIntervalMs: keepaliveS * 1000,
    keepaliveCountMax,
    noDelay: bool(o, 'tcp-nodelay', target) ?? true,
    skipNoneProbe: bool(o, 'skip-none-probe', target) ?? true,
    algorithms: algorithmOptions(o, target),
    fileCache: cache,
  };
}

function numOr(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A failed read (missing file, no permission), as opposed to a parse error. */
function isReadError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string';
}
