import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  entryMatchesName,
  hashKnownHostsName,
  keyBlobType,
  knownHostEntriesFor,
  knownHostsLinesScanned,
  knownHostsName,
  parseKnownHosts,
  wildcardMatch,
  type HostKeyVerdict,
  type KnownHostEntry,
} from '../../../src/transports/ssh/known-hosts.ts';

/** A fake key blob: string type + random bytes, as an SSH public key blob is laid out. */
function blob(type: string, seed = randomBytes(32)): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, seed]);
}
const line = (hosts: string, b: Buffer, marker = ''): string => `${marker}${marker ? ' ' : ''}${hosts} ${keyBlobType(b)} ${b.toString('base64')}`;

describe('known_hosts', () => {
  const ed = blob('ssh-ed25519');
  const ed2 = blob('ssh-ed25519');
  const rsa = blob('ssh-rsa');

  it('matches plain names, [host]:port and comma lists', () => {
    const entries = parseKnownHosts([line('web1,10.0.0.5', ed), line('[10.0.0.6]:2222', ed)].join('\n'));
    expect(checkHostKey(entries, '10.0.0.5', 22, ed).status).toBe('match');
    expect(checkHostKey(entries, 'web1', 22, ed).status).toBe('match');
    expect(checkHostKey(entries, '10.0.0.6', 2222, ed).status).toBe('match');
    // A port other than 22 needs the [host]:port form.
    expect(checkHostKey(entries, '10.0.0.5', 2222, ed).status).toBe('unknown');
    expect(checkHostKey(entries, '10.0.0.6', 22, ed).status).toBe('unknown');
  });

  it('reports a different key of the same type as changed, another type as unknown', () => {
    const entries = parseKnownHosts(line('web1', ed));
    expect(checkHostKey(entries, 'web1', 22, ed2).status).toBe('changed');
    const v = checkHostKey(entries, 'web1', 22, rsa);
    expect(v).toEqual({ status: 'unknown', otherTypes: ['ssh-ed25519'] });
  });

  it('matches hashed entries (HMAC-SHA1), including ones written by ssh-keygen -H', () => {
    const entries = parseKnownHosts(line(hashKnownHostsName('[127.0.0.9]:2200', randomBytes(20)), ed));
    expect(checkHostKey(entries, '127.0.0.9', 2200, ed).status).toBe('match');
    expect(checkHostKey(entries, '127.0.0.8', 2200, ed).status).toBe('unknown');

    const dir = mkdtempSync(join(tmpdir(), 'rivet-kh-'));
    try {
      const file = join(dir, 'known_hosts');
      writeFileSync(file, `${line('[db.example]:2022,db2.example', ed)}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
      const hashed = readFileSync(file, 'utf8');
      expect(hashed).toMatch(/^\|1\|/);
      const parsed = parseKnownHosts(hashed);
      expect(checkHostKey(parsed, 'db.example', 2022, ed).status).toBe('match');
      expect(checkHostKey(parsed, 'db2.example', 22, ed).status).toBe('match');
      expect(checkHostKey(parsed, 'db3.example', 22, ed).status).toBe('unknown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('supports wildcards and negation', () => {
    expect(wildcardMatch('*.example.com', 'a.example.com')).toBe(true);
    expect(wildcardMatch('web?', 'web1')).toBe(true);
    expect(wildcardMatch('web?', 'web10')).toBe(false);
    expect(wildcardMatch('*', '')).toBe(true);
    const entries = parseKnownHosts(line('*.example.com,!bad.example.com', ed));
    expect(checkHostKey(entries, 'good.example.com', 22, ed).status).toBe('match');
    expect(checkHostKey(entries, 'bad.example.com', 22, ed).status).toBe('unknown');
    expect(entryMatchesName({ patterns: ['[10.0.0.*]:2222'] }, '[10.0.0.7]:2222')).toBe(true);
  });

  it('refuses @revoked keys and does not treat @cert-authority lines as host keys', () => {
    const entries = parseKnownHosts([line('web1', ed), line('*', ed, '@revoked'), line('*', ed2, '@cert-authority')].join('\n'));
    expect(checkHostKey(entries, 'web1', 22, ed).status).toBe('revoked');
    expect(checkHostKey(entries, 'web2', 22, ed2).status).toBe('unknown');
  });

  it('skips comments, blank and malformed lines', () => {
    const entries = parseKnownHosts(`# comment\n\nonly-two-fields ssh-ed25519\n@bogus x ssh-ed25519 AAAA\n${line('ok', ed)}\n`);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.line).toBe(5);
  });

  it('issue 13: a file of many hosts is indexed; only wildcard, negated and hashed lines are matched one by one', () => {
    const keyOf = (i: number): Buffer => blob(i % 3 === 0 ? 'ssh-rsa' : 'ssh-ed25519', Buffer.alloc(32, i % 251));
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(line(i % 2 === 0 ? `host${i}.example,10.1.${i >> 8}.${i & 255}` : `[host${i}.example]:2222`, keyOf(i)));
    for (let i = 0; i < 30; i++) lines.push(line(hashKnownHostsName(`hashed${i}.example`, randomBytes(20)), keyOf(i)));
    lines.push(line('*.wild.example,!bad.wild.example', keyOf(1)), line('HOST1?.EXAMPLE', keyOf(7)), line('*', keyOf(5), '@revoked'));
    lines.push(line('host2.example', keyOf(3))); // a second key of another type for a listed host
    const entries = parseKnownHosts(lines.join('\n'));
    const scannedLines = 30 + 2;

    /** The unindexed lookup: every line matched against the name, in file order. */
    const reference = (host: string, port: number, key: Buffer): HostKeyVerdict => {
      const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
      if (revoked) return { status: 'revoked', entry: revoked };
      const matching = entries.filter((e: KnownHostEntry) => e.marker === undefined && entryMatchesName(e, knownHostsName(host, port)));
      const type = keyBlobType(key);
      const same = matching.filter((e) => e.keyType === type);
      const match = same.find((e) => e.key.equals(key));
      if (match) return { status: 'match', entry: match };
      if (same[0]) return { status: 'changed', entry: same[0] };
      return { status: 'unknown', otherTypes: [...new Set(matching.map((e) => e.keyType))] };
    };
    const lookups: [string, number, Buffer][] = [];
    for (let i = 0; i < 5000; i += 37) lookups.push([`host${i}.example`, i % 2 === 0 ? 22 : 2222, keyOf(i)], [`HOST${i}.example`, 22, keyOf(i + 1)], [`10.1.${i >> 8}.${i & 255}`, 22, keyOf(i)]);
    for (let i = 0; i < 30; i += 7) lookups.push([`hashed${i}.example`, 22, keyOf(i)], [`hashed${i}.example`, 22, keyOf(i + 1)]);
    lookups.push(['a.wild.example', 22, keyOf(1)], ['bad.wild.example', 22, keyOf(1)], ['host15.example', 22, keyOf(7)], ['host2.example', 22, keyOf(3)], ['any', 22, keyOf(5)], ['nowhere', 22, keyOf(2)]);

    const before = knownHostsLinesScanned();
    const names = new Set<string>();
    for (const [host, port, key] of lookups) {
      const expected = reference(host, port, key);
      expect(checkHostKey(entries, host, port, key), `${host}:${port}`).toEqual(expected);
      // A revoked key is found by the key alone, without looking the host up.
      if (expected.status !== 'revoked') names.add(knownHostsName(host, port));
    }
    expect(names.size).toBeGreaterThan(400);
    // Each distinct name is matched against the 32 unindexed lines once, not against all 5,034.
    expect(knownHostsLinesScanned() - before).toBe(names.size * scannedLines);
    expect(knownHostEntriesFor(entries, 'host2.example').map((e) => e.keyType)).toEqual(['ssh-ed25519', 'ssh-rsa']);
    expect(knownHostsLinesScanned() - before).toBe(names.size * scannedLines);
  });
});
