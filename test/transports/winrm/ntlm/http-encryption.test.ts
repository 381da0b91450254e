/**
 * WinRM HTTP message encryption framing (MS-WSMV 2.2.9.1). The golden bodies are those of pywinrm's
 * winrm/tests/test_encryption.py (diyan/pywinrm @ 739df6fb, MIT), which use a fake session whose
 * "seal" is base64 and whose signature is "1234"; the same fake is used here. Then the framing
 * with a real NTLM session, chunking, and malformed bodies.
 */
import { describe, expect, it } from 'vitest';
import { isRivetError } from '../../../../src/core/errors.ts';
import {
  NtlmAcceptor,
  NtlmInitiator,
  decryptMessage,
  encryptMessage,
  isEncryptedContentType,
  type MessageSealer,
} from '../../../../src/transports/winrm/ntlm/index.ts';

/** pywinrm's SessionSecurityTest: wrap = base64, signature "1234". */
const fakeSealer: MessageSealer = {
  seal: (message) => ({ sealed: Buffer.from(message.toString('base64')), signature: Buffer.from('1234') }),
  unseal: (sealed, signature) => {
    expect(signature.toString()).toBe('1234');
    return Buffer.from(sealed.toString(), 'base64');
  },
};
const CONTENT_TYPE = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';
const sig = Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.from('1234')]);
const pywinrmBody = (length: number, end: string) =>
  Buffer.concat([
    Buffer.from(
      '--Encrypted Boundary\r\n' +
        '\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n' +
        `\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${length}\r\n` +
        '--Encrypted Boundary\r\n' +
        '\tContent-Type: application/octet-stream\r\n',
    ),
    sig,
    Buffer.from('dW5lbmNyeXB0ZWQgbWVzc2FnZQ=='),
    Buffer.from(end),
  ]);

function issueOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isRivetError(err)) return err.issueCode;
    throw err;
  }
  throw new Error('expected an error');
}

describe('encrypted message framing: pywinrm golden bodies', () => {
  it('test_encrypt_message: same body, Content-Type and length (272 bytes)', () => {
    const { body, contentType } = encryptMessage(fakeSealer, Buffer.from('unencrypted message'));
    expect(contentType).toBe(CONTENT_TYPE);
    expect(body.length).toBe(272);
    expect(body.equals(pywinrmBody(19, '--Encrypted Boundary--\r\n'))).toBe(true);
  });

  it('test_decrypt_message and test_decrypt_message_boundary_with_end_hyphens', () => {
    for (const end of ['--Encrypted Boundary\r\n', '--Encrypted Boundary--\r\n']) {
      // pywinrm's test response has only the protocol parameter as its Content-Type.
      expect(decryptMessage(fakeSealer, pywinrmBody(19, end), 'protocol="application/HTTP-SPNEGO-session-encrypted"').toString()).toBe('unencrypted message');
    }
  });

  it('test_decrypt_message_length_mismatch: a Length that does not match is refused', () => {
    expect(issueOf(() => decryptMessage(fakeSealer, pywinrmBody(20, '--Encrypted Boundary--\r\n'), CONTENT_TYPE))).toBe('NTLM_PROTOCOL_ERROR');
  });

  it('knows encrypted from plain Content-Types', () => {
    expect(isEncryptedContentType(CONTENT_TYPE)).toBe(true);
    expect(isEncryptedContentType(CONTENT_TYPE.replace('multipart/encrypted', 'multipart/x-multi-encrypted'))).toBe(true);
    expect(isEncryptedContentType('application/soap+xml;charset=UTF-8')).toBe(false);
    expect(isEncryptedContentType('multipart/encrypted;protocol="application/HTTP-Kerberos-session-encrypted";boundary="Encrypted Boundary"')).toBe(false);
    expect(issueOf(() => decryptMessage(fakeSealer, Buffer.from('<s:Envelope/>'), 'application/soap+xml;charset=UTF-8'))).toBe('NTLM_PROTOCOL_ERROR');
  });
});

describe('encrypted message framing with NTLM sessions', () => {
  const sessions = () => {
    const initiator = new NtlmInitiator({ user: 'vagrant', password: 'vagrant' });
    const acceptor = new NtlmAcceptor((user) => (user === 'vagrant' ? 'vagrant' : undefined));
    const challenge = acceptor.challenge(initiator.negotiate());
    const server = acceptor.accept(initiator.authenticate(challenge)).session;
    return { client: initiator.session, server };
  };

  it('round-trips requests and replies; the body has a 16-byte NTLM signature and no plaintext', () => {
    const { client, server } = sessions();
    for (let i = 0; i < 5; i++) {
      const envelope = Buffer.from(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">request ${i} é</s:Envelope>`);
      const { body, contentType } = encryptMessage(client, envelope);
      expect(body.includes(Buffer.from('Envelope'))).toBe(false);
      expect(body.toString('latin1')).toContain(`Length=${envelope.length}\r\n`);
      const at = body.indexOf('application/octet-stream\r\n') + 'application/octet-stream\r\n'.length;
      expect(body.readUInt32LE(at)).toBe(16);
      expect(decryptMessage(server, body, contentType).equals(envelope)).toBe(true);
      const reply = encryptMessage(server, Buffer.from(`reply ${i}`));
      expect(decryptMessage(client, reply.body, reply.contentType).toString()).toBe(`reply ${i}`);
    }
  });

  it('empty messages, and ciphertext containing the boundary, are framed by length', () => {
    const { client, server } = sessions();
    const empty = encryptMessage(client, Buffer.alloc(0));
    expect(decryptMessage(server, empty.body, empty.contentType)).toHaveLength(0);
    // A fake sealer whose "ciphertext" is the boundary itself.
    const evil: MessageSealer = { seal: (m) => ({ sealed: Buffer.from(m), signature: Buffer.alloc(16) }), unseal: (s) => Buffer.from(s) };
    const text = Buffer.from('--Encrypted Boundary\r\n--Encrypted Boundary--\r\n');
    const framed = encryptMessage(evil, text);
    expect(decryptMessage(evil, framed.body, framed.contentType).equals(text)).toBe(true);
  });

  it('maxChunk splits a message into parts (multipart/x-multi-encrypted) that decrypt in order', () => {
    const { client, server } = sessions();
    const big = Buffer.from('0123456789'.repeat(10_000));
    const { body, contentType } = encryptMessage(client, big, { maxChunk: 16_384 });
    expect(contentType.startsWith('multipart/x-multi-encrypted;')).toBe(true);
    expect(body.toString('latin1').match(/OriginalContent/g)).toHaveLength(7);
    expect(decryptMessage(server, body, contentType).equals(big)).toBe(true);
    expect(() => encryptMessage(client, big, { maxChunk: 0 })).toThrow(RangeError);
  });

  it('a tampered body fails verification; truncated or garbled bodies are protocol errors', () => {
    const { client, server } = sessions();
    const { body, contentType } = encryptMessage(client, Buffer.from('<s:Envelope>secret</s:Envelope>'));
    const tampered = Buffer.from(body);
    tampered[tampered.length - 30]! ^= 1;
    expect(issueOf(() => decryptMessage(server, tampered, contentType))).toBe('NTLM_INTEGRITY_ERROR');
    const fresh = sessions();
    const again = encryptMessage(fresh.client, Buffer.from('<s:Envelope>secret</s:Envelope>'));
    for (const bad of [again.body.subarray(0, again.body.length - 40), Buffer.from('garbage'), Buffer.alloc(0), again.body.subarray(10)]) {
      expect(issueOf(() => decryptMessage(fresh.server, bad, again.contentType))).toBe('NTLM_PROTOCOL_ERROR');
    }
  });
});
