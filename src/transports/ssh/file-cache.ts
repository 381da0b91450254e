/**
 * What the SSH transport reads from disk for every target, read once per run: `~/.ssh/config`
 * (parsed once), private key files, known_hosts files (parsed once) and the local user name. One
 * {@link SshFileCache} lives as long as its {@link SshTransport} (one run); the files are not
 * read again during it, so 1,000 targets cost one read and one parse of each file, not 1,000.
 *
 * Parsed private keys are kept per key buffer (a WeakMap), so the same key read once is parsed once
 * for every connection that offers it.
 *
 * @example
 * ```ts
 * const cache = new SshFileCache();
 * const text = await cache.read('/root/.ssh/config'); // read once, then from memory
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import ssh2, { type ParsedKey } from 'ssh2';
import { loadKnownHosts, type KnownHostEntry } from './known-hosts.ts';

const parsedKeys = new WeakMap<Buffer, ParsedKey | Error>();

/**
 * `ssh2.utils.parseKey` of `data`, once per buffer: the first key of the file, or the parse error.
 *
 * @example
 * ```ts
 * const key = parseKeyOnce(readFileSync('id_ed25519'));
 * if (!(key instanceof Error)) key.type; // 'ssh-ed25519'
 * ```
 */
export function parseKeyOnce(data: Buffer): ParsedKey | Error {
  let parsed = parsedKeys.get(data);
  if (parsed === undefined) {
    const result = ssh2.utils.parseKey(data);
    parsed = Array.isArray(result) ? (result[0] as ParsedKey) : result;
    parsedKeys.set(data, parsed);
  }
  return parsed;
}

export class SshFileCache {
  readonly #files = new Map<string, Promise<Buffer | undefined>>();
  readonly #parsed = new Map<string, unknown>();
  readonly #knownHosts = new Map<string, Promise<KnownHostEntry[]>>();
  #localUser: string | undefined;

  /** The file's bytes, or undefined when it cannot be read (read once per path). */
  read(path: string): Promise<Buffer | undefined> {
    let entry = this.#files.get(path);
    if (!entry) {
      entry = readFile(path).catch(() => undefined);
      this.#files.set(path, entry);
    }
    return entry;
  }

  /** `parse(text)` of the file, once per path and parser kind (a parse error is thrown each time). */
  async parsed<T>(path: string, kind: string, parse: (text: string) => T): Promise<T | undefined> {
    const data = await this.read(path);
    if (data === undefined) return undefined;
    const key = `${kind}\0${path}`;
    if (!this.#parsed.has(key)) this.#parsed.set(key, parse(data.toString('utf8')));
    return this.#parsed.get(key) as T;
  }

  /** The entries of these known_hosts files (loaded once per list of paths). */
  knownHosts(paths: readonly string[]): Promise<KnownHostEntry[]> {
    const key = paths.join('\0');
    let entry = this.#knownHosts.get(key);
    if (!entry) {
      entry = loadKnownHosts(paths);
      this.#knownHosts.set(key, entry);
    }
    return entry;
  }

  /** The local user name (`os.userInfo()`, once), or `$USER`, or root. */
  localUser(): string {
    this.#localUser ??= safeLocalUser();
    return this.#localUser;
  }
}

/** The local user name without a cache. */
export function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'root';
  }
}
