/**
 * OpenSSH `known_hosts` parsing and host key lookup, as sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"
 * describes it: plain names, `[host]:port`, comma-separated pattern lists, hashed `|1|salt|hash`
 * entries (HMAC-SHA1 of the name keyed by the salt), negated patterns `!pat`, wildcards `*`/`?`,
 * and the `@revoked` / `@cert-authority` markers. Certificate authorities are not implemented:
 * their lines never match a host key (the key is then "unknown", which fails safe).
 *
 * Lookups go through an index built once per parsed entry list (issue 13): lines that name hosts
 * only plainly are found by name, revoked keys by key; only lines with wildcards, negations or
 * hashed names are matched one by one (a hashed name can only be checked by hashing the name
 * with that line's salt, as OpenSSH does), each pattern prepared once.
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

/** One host pattern of a line, prepared for matching. */
type PreparedPattern =
  /** `|1|salt|hash`: HMAC-SHA1 of the name keyed by the salt. */
  | { kind: 'hashed'; salt: Buffer; hash: Buffer }
  /** A name or glob (lower case), possibly negated with `!`. */
  | { kind: 'glob'; glob: string; negated: boolean }
  /** A malformed hashed item: never matches. */
  | { kind: 'none' };

function preparePattern(pattern: string): PreparedPattern {
  if (pattern.startsWith('|')) {
    // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
    const parts = pattern.split('|');
    if (parts.length !== 4 || parts[1] !== '1') return { kind: 'none' };
    return { kind: 'hashed', salt: Buffer.from(parts[2]!, 'base64'), hash: Buffer.from(parts[3]!, 'base64') };
  }
  const negated = pattern.startsWith('!');
  return { kind: 'glob', glob: (negated ? pattern.slice(1) : pattern).toLowerCase(), negated };
}

/** The prepared patterns match `name` (lower case for globs): a matching negation vetoes the line. */
function preparedMatch(patterns: readonly PreparedPattern[], name: string, lowerName: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.kind === 'hashed') {
      const actual = createHmac('sha1', pattern.salt).update(name).digest();
      if (pattern.hash.length === actual.length && timingSafeEqual(pattern.hash, actual)) matched = true;
    } else if (pattern.kind === 'glob' && wildcardMatch(pattern.glob, lowerName)) {
      if (pattern.negated) return false;
      matched = true;
    }
  }
  return matched;
}

/**
 * True when the entry's host patterns match `name` (already in `[host]:port` form when the port
 * is not 22): a negated pattern that matches vetoes the whole line.
 */
export function entryMatchesName(entry: Pick<KnownHostEntry, 'patterns'>, name: string): boolean {
  return preparedMatch(entry.patterns.map(preparePattern), name, name.toLowerCase());
}

/** Where to find the lines that may concern a host, built once per entry list. */
interface KnownHostsIndex {
  /** The key (base64) of each `@revoked` line → the first such line. */
  revoked: Map<string, KnownHostEntry>;
  /** Host name (lower case) → the unmarked lines that name it plainly (no wildcard, negation or hash), in file order. */
  byName: Map<string, number[]>;
  /** Unmarked lines with a wildcard, negation or hashed name, in file order, patterns prepared. */
  scanned: { at: number; patterns: PreparedPattern[] }[];
  /** Each looked-up name's matching lines (a host is looked up for its key types, then for its key). */
  found: Map<string, KnownHostEntry[]>;
}

const indexes = new WeakMap<readonly KnownHostEntry[], KnownHostsIndex>();

/** How many lines were matched one by one (pattern by pattern), for tests that check lookups stay indexed. */
let linesScanned = 0;

/**
 * Lines matched pattern by pattern since start (wildcard, negated and hashed lines, once per
 * looked-up name). For tests; not part of the public API.
 *
 * @internal
 */
export function knownHostsLinesScanned(): number {
  return linesScanned;
}

function indexFor(entries: readonly KnownHostEntry[]): KnownHostsIndex {
  let index = indexes.get(entries);
  if (index) return index;
  index = { revoked: new Map(), byName: new Map(), scanned: [], found: new Map() };
  entries.forEach((entry, at) => {
    if (entry.marker === 'revoked') {
      const key = entry.key.toString('base64');
      if (!index!.revoked.has(key)) index!.revoked.set(key, entry);
    }
    if (entry.marker !== undefined) return; // @cert-authority is not implemented: never matches.
    if (entry.patterns.some((p) => p.startsWith('|') || p.startsWith('!') || p.includes('*') || p.includes('?'))) {
      index!.scanned.push({ at, patterns: entry.patterns.map(preparePattern) });
      return;
    }
    for (const pattern of entry.patterns) {
      const name = pattern.toLowerCase();
      const list = index!.byName.get(name);
      if (!list) index!.byName.set(name, [at]);
      else if (list[list.length - 1] !== at) list.push(at);
    }
  });
  indexes.set(entries, index);
  return index;
}

/**
 * The lines without a marker whose host patterns match `name` (in `[host]:port` form when the
 * port is not 22), in file order. Indexed: see the module comment.
 *
 * @example
 * ```ts
 * knownHostEntriesFor(entries, knownHostsName('10.0.0.5', 2222)).map((e) => e.keyType);
 * ```
 */
export function knownHostEntriesFor(entries: readonly KnownHostEntry[], name: string): readonly KnownHostEntry[] {
  const index = indexFor(entries);
  const cached = index.found.get(name);
  if (cached) return cached;
  const lowerName = name.toLowerCase();
  const plain = index.byName.get(lowerName) ?? [];
  const found: KnownHostEntry[] = [];
  // Merge the two file-ordered lists: plain lines match by construction, the others are checked.
  let p = 0;
  for (const { at, patterns } of index.scanned) {
    while (p < plain.length && plain[p]! < at) found.push(entries[plain[p++]!]!);
    linesScanned++;
    if (preparedMatch(patterns, name, lowerName)) found.push(entries[at]!);
  }
  while (p < plain.length) found.push(entries[plain[p++]!]!);
  index.found.set(name, found);
  return found;
}

/** The key type inside an SSH public key blob (its first string). */
export function keyBlobType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/**
 * Looks up the host key `blob` of `host:port`. A revoked key is refused wherever it is listed;
 * otherwise the host must be listed with exactly this key (same type and bytes).
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const type = keyBlobType(blob);
  const index = indexFor(entries);
  const revoked = index.revoked.size > 0 ? index.revoked.get(blob.toString('base64')) : undefined;
  if (revoked) return { status: 'revoked', entry: revoked };
  let changed: KnownHostEntry | undefined;
  const otherTypes = new Set<string>();
  for (const entry of knownHostEntriesFor(entries, knownHostsName(host, port))) {
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
