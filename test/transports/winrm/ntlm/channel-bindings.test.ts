/**
 * tls-server-end-point channel bindings (RFC 5929 4.1): certificates made with the openssl CLI for
 * each signature hash; the hash is compared with what requests_ntlm (Debian python3-requests-ntlm,
 * the channel binding code of pywinrm's NTLM transport) computes for the same certificate.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signatureAlgorithmOid, tlsServerEndPoint } from '../../../../src/transports/winrm/ntlm/channel-bindings.ts';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const dir = mkdtempSync(join(tmpdir(), 'rivet-ntlm-cb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasOpenssl = spawnSync('openssl', ['version'], { timeout: 30_000 }).status === 0;
const requestsNtlm = spawnSync(PYTHON, ['-c', 'import requests_ntlm.requests_ntlm'], { timeout: 60_000 }).status === 0;

function certificate(name: string, key: string[], digest: string): Buffer {
  const file = join(dir, `${name}.der`);
  execFileSync('openssl', ['req', '-x509', '-newkey', ...key, '-nodes', '-keyout', join(dir, `${name}.key`), '-outform', 'DER', '-out', file, '-subj', '/CN=winrm.example', '-days', '2', `-${digest}`], {
    stdio: 'ignore',
    timeout: 120_000,
  });
  return readFileSync(file);
}

/** requests_ntlm's `_get_certificate_hash` for the same DER (hex, upper case there). */
function requestsNtlmHash(der: Buffer): string {
  const script = 'import sys; from requests_ntlm.requests_ntlm import _get_certificate_hash as h; print(h(sys.stdin.buffer.read()))';
  return execFileSync(PYTHON, ['-c', script], { input: der, timeout: 60_000 }).toString().trim().toLowerCase();
}

const PREFIX = 'tls-server-end-point:';
const EC = ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
const RSA = ['rsa:2048'];
const cases: Array<[string, string[], string, string, string]> = [
  // name, key, openssl digest, expected signature OID, expected channel-binding hash
  ['ecdsa-sha256', EC, 'sha256', '1.2.840.10045.4.3.2', 'sha256'],
  ['ecdsa-sha384', EC, 'sha384', '1.2.840.10045.4.3.3', 'sha384'],
  ['ecdsa-sha512', EC, 'sha512', '1.2.840.10045.4.3.4', 'sha512'],
  ['ecdsa-sha1', EC, 'sha1', '1.2.840.10045.4.1', 'sha256'], // MD5/SHA-1 are replaced by SHA-256
  ['rsa-sha384', RSA, 'sha384', '1.2.840.113549.1.1.12', 'sha384'],
];

describe.skipIf(!hasOpenssl)('tls-server-end-point channel bindings (needs the openssl CLI)', () => {
  it.each(cases)('%s certificate', (name, key, digest, oid, hash) => {
    const der = certificate(name, key, digest);
    expect(signatureAlgorithmOid(der)).toBe(oid);
    const bindings = tlsServerEndPoint(der);
    expect(bindings.subarray(0, PREFIX.length).toString()).toBe(PREFIX);
    expect(bindings.subarray(PREFIX.length).toString('hex')).toBe(createHash(hash).update(der).digest('hex'));
    if (requestsNtlm) expect(bindings.subarray(PREFIX.length).toString('hex')).toBe(requestsNtlmHash(der));
  });

  it('refuses what is not a certificate', () => {
    expect(() => tlsServerEndPoint(Buffer.from('not DER'))).toThrow(RangeError);
    expect(() => tlsServerEndPoint(Buffer.from([0x30, 0x82, 0xff]))).toThrow(RangeError);
  });
});
