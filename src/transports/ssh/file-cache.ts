/**
 * What the SSH transport reads from disk for every target, read once: `~/.ssh/config` (parsed
 * once), private key files, known_hosts files (parsed once) and the local user name. One
 * {@link SshFileCache} lives as long as its `SshTransport`. A file is trusted for 2 s after it was
 * read or checked; after that one `stat` (path, mtime, size) decides whether it is read and parsed
 * again. So 1,000 targets cost one read and one parse of each file, not 1,000, and a long-lived
 * process still sees edits.
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
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import ssh2, { type ParsedKey } from 'ssh2';
import { parseKnownHosts, type KnownHostEntry } from './known-hosts.ts';

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

/** How long a read file is trusted before its mtime and size are checked again. */
const RECHECK_MS = 2_000;

interface FileEntry {
  data: Promise<Buffer | undefined>;
  /** mtime and size when read (undefined: missing or unreadable). */
  stamp: Promise<string | undefined>;
  checkedAt: number;
}

export class SshFileCache {
  readonly #files = new Map<string, FileEntry>();
  readonly #parsed = new WeakMap<Buffer, Map<string, unknown>>();
  readonly #knownHosts = new Map<string, { sources: (Buffer | undefined)[]; entries: KnownHostEntry[] }>();
  #localUser: string | undefined;

  /**
   * The file's bytes, or undefined when it cannot be read. Read once; within {@link RECHECK_MS}
   * of the last check it is served from memory, after that one `stat` (mtime + size) decides
   * whether to read it again, so a long-lived process sees edits.
   */
  async read(path: string): Promise<Buffer | undefined> {
    const entry = this.#files.get(path);
    const now = Date.now();
    if (entry && now - entry.checkedAt < RECHECK_MS) return entry.data;
    if (entry) {
      entry.checkedAt = now;
      const [before, current] = await Promise.all([entry.stamp, stampOf(path)]);
      if (before === current) return entry.data;
    }
    const stamp = stampOf(path);
    const data = stamp.then((s) => (s === undefined ? undefined : readFile(path).catch(() => undefined)));
    this.#files.set(path, { data, stamp, checkedAt: now });
    return data;
  }

  /** `parse(text)` of the file, once per content and parser kind (a parse error is thrown each time). */
  async parsed<T>(path: string, kind: string, parse: (text: string) => T): Promise<T | undefined> {
    const data = await this.read(path);
    if (data === undefined) return undefined;
    let byKind = this.#parsed.get(data);
    if (!byKind) this.#parsed.set(data, (byKind = new Map()));
    if (!byKind.has(kind)) byKind.set(kind, parse(data.toString('utf8')));
    return byKind.get(kind) as T;
  }

  /** The entries of these known_hosts files (parsed again only when one of them changed). */
  async knownHosts(paths: readonly string[]): Promise<KnownHostEntry[]> {
    const sources = await Promise.all(paths.map((p) => this.read(p)));
    const key = paths.join('\0');
    const cached = this.#knownHosts.get(key);
    if (cached && cached.sources.every((s, i) => s === sources[i])) return cached.entries;
    const entries = sources.flatMap((data, i) => (data === undefined ? [] : parseKnownHosts(data.toString('utf8'), paths[i]!)));
    this.#knownHosts.set(key, { sources, entries });
    return entries;
  }

  /** The local user name (`os.userInfo()`, once), or `$USER`, or root. */
  localUser(): string {
    this.#localUser ??= safeLocalUser();
    return this.#localUser;
  }
}

/** `mtime:size` of a file, or undefined when it cannot be stat'ed. */
function stampOf(path: string): Promise<string | undefined> {
  return stat(path).then(
    (s) => `${s.mtimeMs}:${s.size}`,
    () => undefined,
  );
}

/** The local user name without a cache. */
export function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? 'root';
  }
}
