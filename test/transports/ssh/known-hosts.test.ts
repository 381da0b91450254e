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
