/**
 * TLS channel bindings for NTLM over HTTPS (RFC 5929 `tls-server-end-point`): the application data
 * of the gss_channel_bindings_struct is `tls-server-end-point:` followed by the hash of the
 * server's DER certificate. The hash is the certificate's signature hash, except that MD5 and
 * SHA-1 become SHA-256 (RFC 5929 4.1). Certificates signed with RSA-PSS or EdDSA use SHA-256 here.
 *
 * @example
 * ```ts
 * const socket = tls.connect(...);
 * const bindings = tlsServerEndPoint(socket.getPeerCertificate().raw);
 * const ntlm = new NtlmInitiator(credentials, { channelBindings: bindings });
 * ```
 * @module
 */
import { createHash } from 'node:crypto';

/** Signature algorithm OIDs whose hash is not SHA-256 for channel binding purposes. */
const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.12': 'sha384', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13': 'sha512', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4': 'sha512', // ecdsa-with-SHA512
};

/** Reads one DER TLV header at `at`: returns where its content starts and how long it is. */
function tlv(der: Buffer, at: number): { tag: number; start: number; length: number } {
  const tag = der[at];
  let lengthByte = der[at + 1];
  if (tag === undefined || lengthByte === undefined) throw new RangeError('certificate DER is truncated');
  let start = at + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new RangeError('certificate DER has an unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i];
      if (lengthByte === undefined) throw new RangeError('certificate DER is truncated');
      length = length * 256 + lengthByte;
    }
    start += count;
  }
  if (start + length > der.length) throw new RangeError('certificate DER is truncated');
  return { tag, start, length };
}

function decodeOid(bytes: Buffer): string {
  const first = bytes[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let value = 0;
  for (const byte of bytes.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The certificate's signatureAlgorithm OID (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }). */
export function signatureAlgorithmOid(certificateDer: Buffer): string {
  const certificate = tlv(certificateDer, 0);
  const tbs = tlv(certificateDer, certificate.start);
  const algorithm = tlv(certificateDer, tbs.start + tbs.length);
  const oid = tlv(certificateDer, algorithm.start);
  if (certificate.tag !== 0x30 || tbs.tag !== 0x30 || algorithm.tag !== 0x30 || oid.tag !== 0x06) throw new RangeError('not an X.509 certificate');
  return decodeOid(certificateDer.subarray(oid.start, oid.start + oid.length));
}

/** The `tls-server-end-point` channel binding application data for a server certificate (DER). */
export function tlsServerEndPoint(certificateDer: Buffer): Buffer {
  const hash = HASH_BY_OID[signatureAlgorithmOid(certificateDer)] ?? 'sha256';
  return Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), createHash(hash).update(certificateDer).digest()]);
}
