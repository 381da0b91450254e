/**
 * NTLMv2 computations (MS-NLMP 3.3.2, 3.4.5): the NT one-way function, the NTLMv2 and LMv2
 * responses, the session base key, and the signing and sealing keys. Pure functions over Buffers;
 * MD5/HMAC-MD5 come from node:crypto, MD4 and RC4 from this directory. The MS-NLMP 4.2.4 test
 * vectors pin every function here (test/transports/winrm/ntlm/crypto.test.ts).
 *
 * @example
 * ```ts
 * const key = ntowfv2('Password', 'User', 'Domain'); // 0c868a403bfd7a93a3001ef22ef02e3f
 * ```
 * @module
 */
import { createHash, createHmac } from 'node:crypto';
import { md4 } from './md4.ts';
import { utf16 } from './messages.ts';

export function md5(...parts: Uint8Array[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

/** NTOWFv1: MD4 of the UTF-16LE password (the "NT hash"). */
export function ntowfv1(password: string): Buffer {
  return md4(utf16(password));
}

/** NTOWFv2 = HMAC_MD5(NTOWFv1(password), UTF16LE(upper(user) + domain)); also LMOWFv2. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(ntowfv1(password), utf16(user.toUpperCase() + domain));
}

/**
 * The `temp` blob of an NTLMv2 response (NTLMv2_CLIENT_CHALLENGE, MS-NLMP 2.2.2.7):
 * `01 01 Z(6) Time(8) ClientChallenge(8) Z(4) TargetInfo Z(4)`, where TargetInfo ends with MsvAvEOL.
 */
export function ntlmv2ClientChallenge(time: Buffer, clientChallenge: Buffer, targetInfo: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), time, clientChallenge, Buffer.alloc(4), targetInfo, Buffer.alloc(4)]);
}

export interface Ntlmv2Response {
  /** NTProofStr || temp. */
  ntChallengeResponse: Buffer;
  /** HMAC_MD5(ResponseKeyLM, ServerChallenge || ClientChallenge) || ClientChallenge. */
  lmChallengeResponse: Buffer;
  /** SessionBaseKey, which is also the KeyExchangeKey in NTLMv2. */
  sessionBaseKey: Buffer;
}

/** Computes the NTLMv2 responses (MS-NLMP 3.3.2) from NTOWFv2 and the blob built by {@link ntlmv2ClientChallenge}. */
export function ntlmv2Response(responseKey: Buffer, serverChallenge: Buffer, clientChallenge: Buffer, temp: Buffer): Ntlmv2Response {
  const ntProofStr = hmacMd5(responseKey, serverChallenge, temp);
  return {
    ntChallengeResponse: Buffer.concat([ntProofStr, temp]),
    lmChallengeResponse: Buffer.concat([hmacMd5(responseKey, serverChallenge, clientChallenge), clientChallenge]),
    sessionBaseKey: hmacMd5(responseKey, ntProofStr),
  };
}

const MAGIC = {
  clientSign: 'session key to client-to-server signing key magic constant\0',
  serverSign: 'session key to server-to-client signing key magic constant\0',
  clientSeal: 'session key to client-to-server sealing key magic constant\0',
  serverSeal: 'session key to server-to-client sealing key magic constant\0',
} as const;

/** Which end's keys: the client's (client-to-server) or the server's (server-to-client). */
export type Direction = 'client' | 'server';

/** SIGNKEY with extended session security (MS-NLMP 3.4.5.2). */
export function signKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  return md5(exportedSessionKey, Buffer.from(direction === 'client' ? MAGIC.clientSign : MAGIC.serverSign, 'latin1'));
}

/**
 * SEALKEY with extended session security (MS-NLMP 3.4.5.3): the key is cut to 16 (128-bit),
 * 7 (56-bit) or 5 (40-bit) bytes by the negotiated strength before hashing with the magic constant.
 */
export function sealKey(exportedSessionKey: Buffer, direction: Direction, strength: 128 | 56 | 40): Buffer {
  const key = exportedSessionKey.subarray(0, strength === 128 ? 16 : strength === 56 ? 7 : 5);
  return md5(key, Buffer.from(direction === 'client' ? MAGIC.clientSeal : MAGIC.serverSeal, 'latin1'));
}

/** MD5 of a gss_channel_bindings_struct with no addresses and the given application data (MsvAvChannelBindings). */
export function channelBindingsHash(applicationData: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(applicationData.length);
  return md5(Buffer.alloc(16), length, applicationData);
}
