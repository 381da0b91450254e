/**
 * OpenSSH `known_hosts` parsing and host key lookup, as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"
 * describes it: plain names, `[host]:port`, comma-separated pattern lists, hashed `|1|salt|hash`
 * entries (HMAC-SHA1 of the name keyed by the salt), negated patterns `!pat`, wildcards `*`/`?`,
 * and the `@revoked` / `@cert-authority` markers. Certificate authorities are not implemented:
 * their lines never match a host key (the key is then "unknown", which fails safe).
 *
 * @example
 * ```ts
 * const entries = parseKnownHosts(await readFile('/root/.ssh/known_hosts', 'utf8'));
 * const verdict = checkHostKey(entries, '10.0.0.5', 2222, hostKeyBlob);
 * if (verdict.status !== 'match') throw ...;
 * ```
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export type KnownHostMarker = 'revoked' | 'cert-authority' | undefined;

export interface KnownHostEntry {
  marker: KnownHostMarker;
  /** Comma-separated patterns as written, or one hashed `|1|salt|hash` item. */
  patterns: readonly string[];
  keyType: string;
  /** The base64 key blob, decoded. */
  key: Buffer;
  /** Where it came from, for messages. */
  source: string;
  line: number;
}

export type HostKeyVerdict =
  | { status: 'match'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** The host is listed with a different key of the same type. */
  | { status: 'changed'; entry: KnownHostEntry }
  /** The host is not listed with a key of this type. */
  | { status: 'unknown'; otherTypes: readonly string[] };

/** Parses a known_hosts file. Malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, source = 'known_hosts'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostMarker;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, keyType, keyB64] = fields;
    if (hosts === undefined || keyType === undefined || keyB64 === undefined) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyB64)) continue;
    const key = Buffer.from(keyB64, 'base64');
    entries.push({ marker, patterns: hosts.split(','), keyType, key, source, line: i + 1 });
  }
  return entries;
}

/** Reads and parses the given files; missing or unreadable files count as empty. */
export async function loadKnownHosts(paths: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    all.push(...parseKnownHosts(text, path));
  }
  return all;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Matches a glob with `*` and `?` against a string, case-insensitively (host names are). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  // Iterative glob match with backtracking on the last '*'.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star !== -1) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

function hashedMatch(item: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const parts = item.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const expected = Buffer.from(parts[3]!, 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * True when the entry's host patterns match `name` (already in `[host]:port` form when the port
 * is not 22): a negated pattern that matches vetoes the whole line.
 */
export function entryMatchesName(entry: Pick<KnownHostEntry, 'patterns'>, name: string): boolean {
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('|')) {
      if (hashedMatch(pattern, name)) matched = true;
      continue;
    }
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    if (wildcardMatch(glob, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type inside an SSH public key blob (its first string). */
export function keyBlobType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** A pattern that matches only itself (case aside): no hash, negation or wildcard. */
function isPlainPattern(pattern: string): boolean {
  return !pattern.startsWith('|') && !pattern.startsWith('!') && !pattern.includes('*') && !pattern.includes('?');
}

/**
 * known_hosts entries ready for lookups: lines whose patterns are all plain names are found by
 * name at once; only the others (hashed, wildcard, negated) are matched one by one, as OpenSSH
 * does. So looking up N targets in a file listing N hosts costs N, not N².
 *
 * @example
 * ```ts
 * const index = KnownHostsIndex.of(parseKnownHosts(text));
 * index.matching('[10.0.0.5]:2222'); // the entries for that name, in file order
 * ```
 */
export class KnownHostsIndex {
  static readonly #indexes = new WeakMap<readonly KnownHostEntry[], KnownHostsIndex>();
  readonly #entries: readonly KnownHostEntry[];
  /** Positions of the plain-name lines, by lower-cased name. */
  readonly #byName = new Map<string, number[]>();
  /** Positions of the lines that must be matched pattern by pattern. */
  readonly #others: number[] = [];
  readonly #revoked: KnownHostEntry[] = [];
  #last: { name: string; entries: KnownHostEntry[] } | undefined;

  constructor(entries: readonly KnownHostEntry[]) {
    this.#entries = entries;
    entries.forEach((entry, i) => {
      if (entry.marker === 'revoked') this.#revoked.push(entry);
      if (entry.marker !== undefined) return; // @cert-authority is not implemented: never matches.
      if (!entry.patterns.every(isPlainPattern)) return void this.#others.push(i);
      for (const name of new Set(entry.patterns.map((p) => p.toLowerCase()))) {
        const list = this.#byName.get(name);
        if (list) list.push(i);
        else this.#byName.set(name, [i]);
      }
    });
  }

  /** The index of `entries`, built once per array (the run's file cache hands out the same one). */
  static of(entries: readonly KnownHostEntry[]): KnownHostsIndex {
    let index = KnownHostsIndex.#indexes.get(entries);
    if (index === undefined) KnownHostsIndex.#indexes.set(entries, (index = new KnownHostsIndex(entries)));
    return index;
  }

  /** The entries without a marker whose patterns match `name` (`[host]:port` form), in file order. */
  matching(name: string): KnownHostEntry[] {
    if (this.#last?.name === name) return this.#last.entries;
    const positions = [...(this.#byName.get(name.toLowerCase()) ?? [])];
    const plain = positions.length;
    for (const i of this.#others) if (entryMatchesName(this.#entries[i]!, name)) positions.push(i);
    if (plain > 0 && positions.length > plain) positions.sort((a, b) => a - b);
    const entries = positions.map((i) => this.#entries[i]!);
    this.#last = { name, entries };
    return entries;
  }

  /** The `@revoked` entry listing this key blob, if any. */
  revoked(blob: Buffer): KnownHostEntry | undefined {
    return this.#revoked.find((entry) => entry.key.equals(blob));
  }
}

/**
 * Looks up the host key `blob` of `host:port`. A revoked key is refused wherever it is listed;
 * otherwise the host must be listed with exactly this key (same type and bytes).
 */
export function checkHostKey(known: readonly KnownHostEntry[] | KnownHostsIndex, host: string, port: number, blob: Buffer): HostKeyVerdict {
  const index = known instanceof KnownHostsIndex ? known : KnownHostsIndex.of(known);
  const type = keyBlobType(blob);
  const revoked = index.revoked(blob);
  if (revoked) return { status: 'revoked', entry: revoked };
  let changed: KnownHostEntry | undefined;
  const otherTypes = new Set<string>();
  for (const entry of index.matching(knownHostsName(host, port))) {
    if (entry.keyType !== type || keyBlobType(entry.key) !== type) {
      otherTypes.add(entry.keyType);
      continue;
    }
    if (entry.key.equals(blob)) return { status: 'match', entry };
    changed ??= entry;
  }
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: [...otherTypes] };
}

/** Makes a hashed known_hosts host field for `name` (as `ssh-keygen -H` does). */
export function hashKnownHostsName(name: string, salt: Buffer): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}
