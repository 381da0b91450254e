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
  KnownHostsIndex,
  parseKnownHosts,
  wildcardMatch,
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
});

describe('known_hosts index (many targets in one file)', () => {
  const ed = (byte: number): string => {
    const type = Buffer.from('ssh-ed25519');
    const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, byte)]);
    return `ssh-ed25519 ${blob.toString('base64')}`;
  };

  it('finds plain names, wildcards, negations and hashed names, in file order', () => {
    const text = [
      `[web1]:2222,[WEB2]:2222 ${ed(1)}`,
      `*.example.com,!bad.example.com ${ed(2)}`,
      `${hashKnownHostsName('[web1]:2222', randomBytes(20))} ${ed(3)}`,
      `[web1]:2222 ${ed(4)}`,
      `@revoked * ${ed(9)}`,
    ].join('\n');
    const index = KnownHostsIndex.of(parseKnownHosts(text));
    expect(index.matching('[web1]:2222').map((e) => e.line)).toEqual([1, 3, 4]);
    expect(index.matching('[web2]:2222').map((e) => e.line)).toEqual([1]);
    expect(index.matching('a.example.com').map((e) => e.line)).toEqual([2]);
    expect(index.matching('bad.example.com')).toEqual([]);
    expect(index.revoked(Buffer.from(ed(9).split(' ')[1]!, 'base64'))?.line).toBe(5);
  });

  it('gives every one of 1,000 listed targets its own verdict (match, changed, unknown, revoked)', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255} ${ed(i % 2 === 0 ? 1 : 2)}`);
    lines.push(`@revoked 10.9.9.9 ${ed(7)}`);
    const entries = parseKnownHosts(lines.join('\n'));
    const key1 = Buffer.from(ed(1).split(' ')[1]!, 'base64');
    const statuses = Array.from({ length: 1000 }, (_, i) => checkHostKey(entries, `10.0.${i >> 8}.${i & 255}`, 22, key1).status);
    expect(statuses.filter((s) => s === 'match')).toHaveLength(500);
    expect(statuses.filter((s) => s === 'changed')).toHaveLength(500);
    expect(checkHostKey(entries, '10.1.0.0', 22, key1).status).toBe('unknown');
    expect(checkHostKey(entries, '10.0.0.0', 22, Buffer.from(ed(7).split(' ')[1]!, 'base64')).status).toBe('revoked');
    expect(KnownHostsIndex.of(entries)).toBe(KnownHostsIndex.of(entries)); // built once per parsed file
  });
});
