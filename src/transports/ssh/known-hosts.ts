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

/**
 * Looks up the host key `blob` of `host:port`. A revoked key is refused wherever it is listed;
 * otherwise the host must be listed with exactly this key (same type and bytes).
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const type = keyBlobType(blob);
  const names = [knownHostsName(host, port)];
  for (const entry of entries) {
    if (entry.marker === 'revoked' && entry.key.equals(blob)) return { status: 'revoked', entry };
  }
  let changed: KnownHostEntry | undefined;
  const otherTypes = new Set<string>();
  for (const entry of entries) {
    if (entry.marker !== undefined) continue; // @cert-authority is not implemented: never matches.
    if (!names.some((name) => entryMatchesName(entry, name))) continue;
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
