/**
 * WinRM HTTP message encryption with an NTLM session (MS-WSMV 2.2.9.1,
 * `application/HTTP-SPNEGO-session-encrypted`), framed byte for byte as pywinrm
 * (`winrm/encryption.py`) and WinRb do it:
 *
 * ```text
 * Content-Type: multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"
 *
 * --Encrypted Boundary\r\n
 * \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 * \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext bytes>\r\n
 * --Encrypted Boundary\r\n
 * \tContent-Type: application/octet-stream\r\n
 * <uint32 LE signature length = 16><signature><sealed bytes>--Encrypted Boundary--\r\n
 * ```
 *
 * With `maxChunk`, a long message is cut into several such part pairs under
 * `multipart/x-multi-encrypted` (as pywinrm does for CredSSP). The decoder walks the parts by
 * their declared lengths (NTLM sealing keeps the length) rather than by searching for the boundary,
 * so ciphertext that happens to contain the boundary cannot confuse it; each part is unsealed
 * (which verifies its signature) and its length checked against `OriginalContent`.
 *
 * @example
 * ```ts
 * const { body, contentType } = encryptMessage(ntlm.session, Buffer.from(envelope));
 * // POST body with that Content-Type; then, for an encrypted reply:
 * const xml = decryptMessage(ntlm.session, replyBody, reply.headers['content-type']!);
 * ```
 * @module
 */
import { ntlmError } from './errors.ts';

/** The `protocol` of NTLM (SPNEGO) encrypted WinRM messages. */
export const SPNEGO_ENCRYPTED_PROTOCOL = 'application/HTTP-SPNEGO-session-encrypted';
const BOUNDARY = 'Encrypted Boundary';
const ORIGINAL_TYPE = 'application/soap+xml;charset=UTF-8';

/** What the framing needs from a session ({@link NtlmSession} has it; tests may pass a fake). */
export interface MessageSealer {
  seal(message: Buffer): { signature: Buffer; sealed: Buffer };
  unseal(sealed: Buffer, signature: Buffer): Buffer;
}

/** Whether a reply's Content-Type says it is NTLM/SPNEGO-encrypted (else it is plain SOAP). */
export function isEncryptedContentType(contentType: string): boolean {
  // pywinrm looks only at the protocol parameter; so does Rivet.
  return contentType.toLowerCase().includes(`protocol="${SPNEGO_ENCRYPTED_PROTOCOL.toLowerCase()}"`);
}

/**
 * Seals `soapBody` and frames it. Returns the HTTP body and the Content-Type to send with it.
 * `maxChunk` (bytes of plaintext per part) defaults to the whole message in one part.
 */
export function encryptMessage(session: MessageSealer, soapBody: Buffer, options: { maxChunk?: number } = {}): { body: Buffer; contentType: string } {
  const maxChunk = options.maxChunk ?? Math.max(soapBody.length, 1);
  if (!Number.isInteger(maxChunk) || maxChunk < 1) throw new RangeError(`maxChunk must be a positive integer, got ${String(options.maxChunk)}`);
  const parts: Buffer[] = [];
  let chunks = 0;
  for (let at = 0; at < soapBody.length || chunks === 0; at += maxChunk) {
    const chunk = soapBody.subarray(at, at + maxChunk);
    const { signature, sealed } = session.seal(chunk);
    const signatureLength = Buffer.alloc(4);
    signatureLength.writeUInt32LE(signature.length);
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\n\tContent-Type: ${SPNEGO_ENCRYPTED_PROTOCOL}\r\n\tOriginalContent: type=${ORIGINAL_TYPE};Length=${chunk.length}\r\n` +
          `--${BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n`,
        'latin1',
      ),
      signatureLength,
      signature,
      sealed,
    );
    chunks++;
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`, 'latin1'));
  const type = chunks > 1 ? 'multipart/x-multi-encrypted' : 'multipart/encrypted';
  return { body: Buffer.concat(parts), contentType: `${type};protocol="${SPNEGO_ENCRYPTED_PROTOCOL}";boundary="${BOUNDARY}"` };
}

function malformed(why: string): Error {
  return ntlmError('NTLM_PROTOCOL_ERROR', `Malformed encrypted WinRM message: ${why}`);
}

/** Largest signature the decoder accepts (NTLM's is 16 bytes). */
const MAX_SIGNATURE = 1024;

/**
 * Unframes and unseals an encrypted WinRM message. Throws `NTLM_PROTOCOL_ERROR` if the body or
 * Content-Type is not this framing, `NTLM_INTEGRITY_ERROR` if a signature does not verify.
 */
export function decryptMessage(session: MessageSealer, body: Buffer, contentType: string): Buffer {
  if (!isEncryptedContentType(contentType)) throw malformed(`Content-Type is ${JSON.stringify(contentType)}, not ${SPNEGO_ENCRYPTED_PROTOCOL}`);
  const boundary = /boundary="([^"]*)"/i.exec(contentType)?.[1] ?? /boundary=([^;\s]+)/i.exec(contentType)?.[1] ?? BOUNDARY;
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  const crlf = Buffer.from('\r\n', 'latin1');
  const messages: Buffer[] = [];
  let pos = 0;

  const expect = (bytes: Buffer, what: string): void => {
    if (!body.subarray(pos, pos + bytes.length).equals(bytes)) throw malformed(`expected ${what} at byte ${pos}`);
    pos += bytes.length;
  };
  /** Header lines up to the next delimiter line. */
  const headersUntilDelimiter = (): string => {
    const end = body.indexOf(Buffer.concat([delimiter, crlf]), pos);
    if (end < 0) throw malformed('a part header is not followed by a boundary');
    const headers = body.subarray(pos, end).toString('latin1');
    pos = end + delimiter.length + crlf.length;
    return headers;
  };

  for (;;) {
    expect(Buffer.concat([delimiter, crlf]), 'a boundary');
    const headers = headersUntilDelimiter();
    if (!/content-type:\s*application\/http-spnego-session-encrypted/i.test(headers)) throw malformed('the first part of a pair is not the encryption header');
    const lengthMatch = /Length=(\d+)/i.exec(headers);
    if (!lengthMatch) throw malformed('OriginalContent has no Length');
    const length = Number(lengthMatch[1]);

    const lineEnd = body.indexOf(crlf, pos);
    if (lineEnd < 0 || !/^\s*content-type:\s*application\/octet-stream\s*$/i.test(body.subarray(pos, lineEnd).toString('latin1'))) {
      throw malformed('the encrypted part is not application/octet-stream');
    }
    pos = lineEnd + crlf.length;
    if (pos + 4 > body.length) throw malformed('truncated before the signature length');
    const signatureLength = body.readUInt32LE(pos);
    pos += 4;
    if (signatureLength > MAX_SIGNATURE || pos + signatureLength > body.length) throw malformed('truncated inside the signature');
    const signature = body.subarray(pos, pos + signatureLength);
    pos += signatureLength;
    // NTLM sealing keeps the length, so the sealed bytes are exactly OriginalContent's Length long.
    // If no boundary follows them, fall back to the next boundary, as pywinrm does: the signature
    // check and the length check below refuse anything that was split wrongly.
    let end = pos + length;
    if (end > body.length || !body.subarray(end, end + delimiter.length).equals(delimiter)) {
      end = body.indexOf(delimiter, pos);
      if (end < 0) throw malformed('the sealed data is not followed by a boundary');
    }
    const sealed = body.subarray(pos, end);
    pos = end;
    const plain = session.unseal(Buffer.from(sealed), Buffer.from(signature));
    if (plain.length !== length) throw malformed(`decrypted length ${plain.length} does not match OriginalContent Length=${length}`);
    messages.push(plain);
    const after = body.subarray(pos + delimiter.length);
    // The closing delimiter is `--boundary--`; a body that ends after a plain delimiter line is accepted too (pywinrm does).
    if (after.subarray(0, 2).toString('latin1') === '--' || after.length === 0 || after.equals(crlf)) break;
  }
  return Buffer.concat(messages);
}
