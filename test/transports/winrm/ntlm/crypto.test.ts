/**
 * Known-answer tests: MD4 (RFC 1320 appendix A.5), RC4 (published vectors, RFC 6229) and the
 * MS-NLMP 4.2.4 NTLMv2 vectors (4.2.1 common values: user "User", domain "Domain", password
 * "Password", server challenge 0123456789abcdef, client challenge aa..aa, random session key
 * 55..55, time 0, server "Server"). Values transcribed from MS-NLMP section 4.2 as also used by
 * jborean93/pyspnego tests/_ntlm_raw/test_crypto.py and test_security.py (MIT); the two marked
 * "pyspnego" are that project's own vectors, not Microsoft's.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { channelBindingsHash, ntlmv2ClientChallenge, ntlmv2Response, ntowfv1, ntowfv2, sealKey, signKey } from '../../../../src/transports/winrm/ntlm/crypto.ts';
import { md4 } from '../../../../src/transports/winrm/ntlm/md4.ts';
import { AvId, NegotiateFlags as F, decodeAuthenticate, decodeAvPairs, decodeChallenge, encodeAuthenticate, utf16 } from '../../../../src/transports/winrm/ntlm/messages.ts';
import { Rc4, rc4k } from '../../../../src/transports/winrm/ntlm/rc4.ts';
import { NtlmSession } from '../../../../src/transports/winrm/ntlm/session.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('MD4 (RFC 1320 A.5)', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe8188748 06e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ])('md4(%j)', (input, digest) => {
    expect(md4(Buffer.from(input, 'latin1')).toString('hex')).toBe(digest.replace(/\s/g, ''));
  });

  it('pads correctly around the 56-byte boundary (55, 56, 63, 64, 65 bytes) and is deterministic', () => {
    for (const n of [55, 56, 63, 64, 65, 119, 120]) {
      const data = Buffer.alloc(n, 0x61);
      expect(md4(data)).toEqual(md4(Buffer.from(data)));
      expect(md4(data)).toHaveLength(16);
    }
  });
});

describe('RC4', () => {
  it.each([
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ])('key %j encrypts %j', (key, plain, cipher) => {
    expect(rc4k(Buffer.from(key), Buffer.from(plain)).toString('hex')).toBe(cipher);
  });

  it('RFC 6229 key 0102030405, key stream at offset 0', () => {
    expect(rc4k(hex('0102030405'), Buffer.alloc(16)).toString('hex')).toBe('b2396305f03dc027ccc3524a0a1118a8');
  });

  it('keeps its state across updates (one stream per direction)', () => {
    const whole = rc4k(Buffer.from('Key'), Buffer.from('PlaintextPlaintext'));
    const stream = new Rc4(Buffer.from('Key'));
    expect(Buffer.concat([stream.update(Buffer.from('Plaintext')), stream.update(Buffer.from('Plaintext'))])).toEqual(whole);
  });
});

describe('MS-NLMP 4.2.4 NTLMv2 vectors', () => {
  const serverChallenge = hex('0123456789abcdef');
  const clientChallenge = Buffer.alloc(8, 0xaa);
  const randomSessionKey = Buffer.alloc(16, 0x55);
  const time = Buffer.alloc(8);
  // 4.2.4: AV pairs NetBIOS domain "Domain", NetBIOS server "Server", MsvAvEOL.
  const targetInfo = hex('02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000');
  // 4.2.4 challenge flags: 0xe28a8233.
  const flags = F.KeyExchange | F.Key56 | F.Key128 | F.Version | F.TargetInfo | F.ExtendedSessionSecurity | F.TargetTypeServer | F.AlwaysSign | F.Ntlm | F.Seal | F.Sign | F.Oem | F.Unicode;

  it('the 4.2.4 challenge flags are 0xe28a8233', () => {
    expect(flags >>> 0).toBe(0xe28a8233);
  });

  it('NTOWFv1 (4.2.2.1.2) and NTOWFv2 (4.2.4.1.1)', () => {
    expect(ntowfv1('Password').toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(ntowfv2('Password', 'User', 'Domain').toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  const temp = ntlmv2ClientChallenge(time, clientChallenge, targetInfo);
  const response = ntlmv2Response(ntowfv2('Password', 'User', 'Domain'), serverChallenge, clientChallenge, temp);

  it('the NTLMv2 client challenge blob "temp" (4.2.4.2.2)', () => {
    expect(temp.toString('hex')).toBe(
      '0101000000000000' + '0000000000000000' + 'aaaaaaaaaaaaaaaa' + '00000000' + targetInfo.toString('hex') + '00000000',
    );
  });

  it('LMv2 response (4.2.4.2.1)', () => {
    expect(response.lmChallengeResponse.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
  });

  it('NTProofStr, the start of the NTLMv2 response (4.2.4.2.2)', () => {
    expect(response.ntChallengeResponse.subarray(0, 16).toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(response.ntChallengeResponse.subarray(16)).toEqual(temp);
  });

  it('session base key = key exchange key (4.2.4.1.2)', () => {
    expect(response.sessionBaseKey.toString('hex')).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
  });

  it('encrypted random session key (4.2.4.2.3)', () => {
    expect(rc4k(response.sessionBaseKey, randomSessionKey).toString('hex')).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
    expect(rc4k(response.sessionBaseKey, hex('c5dad2544fc9799094ce1ce90bc9d03e'))).toEqual(randomSessionKey);
  });

  it('SEALKEY for 128-, 56- and 40-bit keys, both directions (4.2.4.1.3; server side: pyspnego)', () => {
    expect(sealKey(randomSessionKey, 'client', 128).toString('hex')).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(sealKey(randomSessionKey, 'server', 128).toString('hex')).toBe('9355f3a957c1583d25c4c2f11e40390e');
    expect(sealKey(randomSessionKey, 'client', 56).toString('hex')).toBe('a5f7253c1065e8d3d68642040e71cfe0');
    expect(sealKey(randomSessionKey, 'server', 56).toString('hex')).toBe('583e2f98959b385cd158f3734b5f5d3f');
    expect(sealKey(randomSessionKey, 'client', 40).toString('hex')).toBe('42f964a471091a02ff4a77455366e4e5');
    expect(sealKey(randomSessionKey, 'server', 40).toString('hex')).toBe('c5d3853b406b7c1241c595f0ce0750e2');
  });

  it('SIGNKEY, both directions (4.2.4.1.3; server side: pyspnego)', () => {
    expect(signKey(randomSessionKey, 'client').toString('hex')).toBe('4788dc861b4782f35d43fd98fe1a2d39');
    expect(signKey(randomSessionKey, 'server').toString('hex')).toBe('d04d6f10741041d1d246d64188d7a8ad');
  });

  it('GSS_WrapEx of "Plaintext" (4.2.4.4): sealed data and signature', () => {
    const session = new NtlmSession({ role: 'client', exportedSessionKey: randomSessionKey, flags });
    const { sealed, signature } = session.seal(utf16('Plaintext'));
    expect(sealed.toString('hex')).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(signature.toString('hex')).toBe('010000007fb38ec5c55d497600000000');
  });

  it('the server side unwraps the 4.2.4.4 output', () => {
    const server = new NtlmSession({ role: 'server', exportedSessionKey: randomSessionKey, flags });
    // The server's inbound direction uses the client-to-server keys.
    expect(server.unseal(hex('54e50165bf1936dc996020c1811b0f06fb5f'), hex('010000007fb38ec5c55d497600000000'))).toEqual(utf16('Plaintext'));
  });

  it('sealing without key exchange leaves the checksum unencrypted (pyspnego vector)', () => {
    const session = new NtlmSession({ role: 'client', exportedSessionKey: randomSessionKey, flags: F.Seal | F.Sign | F.ExtendedSessionSecurity | F.Key128 });
    const { sealed, signature } = session.seal(utf16('Plaintext'));
    expect(sealed.toString('hex')).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(signature.toString('hex')).toBe('0100000070352851f256430900000000');
  });
});

describe('channel bindings hash', () => {
  it('is MD5 over an address-less gss_channel_bindings_struct', () => {
    // Two empty addresses (type + length, 16 zero bytes), then the application data length and bytes.
    const app = Buffer.from('tls-server-end-point:abc');
    const struct = Buffer.concat([Buffer.alloc(16), Buffer.from([app.length, 0, 0, 0]), app]);
    expect(channelBindingsHash(app)).toEqual(createHash('md5').update(struct).digest());
  });
});

describe('MS-NLMP 4.2.4.3 messages (bytes as in pyspnego tests/_ntlm_raw/test_messages.py)', () => {
  const challengeBytes = hex(`
    4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 0123456789abcdef 0000000000000000
    24002400 44000000 060070170000000f
    530065007200760065007200
    02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000`);
  const authenticateBytes = hex(`
    4e544c4d53535000 03000000 18001800 6c000000 54005400 84000000 0c000c00 48000000
    08000800 54000000 10001000 5c000000 10001000 d8000000 358288e2 0501280a0000000f
    44006f006d00610069006e00 5500730065007200 43004f004d00500055005400450052
    00
    86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa
    68cd0ab851e51c96aabc927bebef6a1c 0101 0000 00000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000
    02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000 00000000
    c5dad2544fc9799094ce1ce90bc9d03e`);

  it('decodes the CHALLENGE_MESSAGE', () => {
    const challenge = decodeChallenge(challengeBytes);
    expect(challenge.flags >>> 0).toBe(0xe28a8233);
    expect(challenge.targetName).toBe('Server');
    expect(challenge.serverChallenge.toString('hex')).toBe('0123456789abcdef');
    expect(decodeAvPairs(challenge.targetInfo).map((p) => [p.id, p.value.toString('utf16le')])).toEqual([
      [AvId.NbDomainName, 'Domain'],
      [AvId.NbComputerName, 'Server'],
    ]);
  });

  it('decodes the AUTHENTICATE_MESSAGE, whose responses and session key verify with the password', () => {
    const auth = decodeAuthenticate(authenticateBytes);
    expect(auth.flags >>> 0).toBe(0xe2888235);
    expect([auth.domain, auth.user, auth.workstation]).toEqual(['Domain', 'User', 'COMPUTER']);
    expect(auth.mic).toBeUndefined(); // payload starts at 0x48: no room for a MIC
    const responseKey = ntowfv2('Password', auth.user, auth.domain);
    const serverChallenge = decodeChallenge(challengeBytes).serverChallenge;
    const temp = auth.ntChallengeResponse.subarray(16);
    const recomputed = ntlmv2Response(responseKey, serverChallenge, Buffer.alloc(8, 0xaa), temp);
    expect(recomputed.ntChallengeResponse).toEqual(auth.ntChallengeResponse);
    expect(recomputed.lmChallengeResponse).toEqual(auth.lmChallengeResponse);
    expect(rc4k(recomputed.sessionBaseKey, auth.encryptedRandomSessionKey)).toEqual(Buffer.alloc(16, 0x55));
  });

  it('Rivet encodes an AUTHENTICATE_MESSAGE that decodes to the same fields (with Version and MIC)', () => {
    const auth = decodeAuthenticate(authenticateBytes);
    const encoded = encodeAuthenticate(auth);
    const again = decodeAuthenticate(encoded);
    expect(again.mic).toEqual(Buffer.alloc(16));
    expect({ ...again, raw: undefined, mic: undefined }).toEqual({ ...auth, raw: undefined, mic: undefined });
  });
});
