/**
 * NTLM message encoding and decoding (MS-NLMP 2.2): NEGOTIATE_MESSAGE, CHALLENGE_MESSAGE,
 * AUTHENTICATE_MESSAGE, AV pairs, negotiate flags and FILETIME. Pure: no crypto, no state.
 * Every decoder checks offsets and lengths against the buffer and throws an
 * `NTLM_PROTOCOL_ERROR` on anything malformed.
 *
 * @example
 * ```ts
 * const challenge = decodeChallenge(token);
 * if (!(challenge.flags & NegotiateFlags.Seal)) throw new Error('no sealing');
 * ```
 * @module
 */
import { ntlmError } from './errors.ts';

/** NEGOTIATE flags (MS-NLMP 2.2.2.5). */
export const NegotiateFlags = {
  Unicode: 0x00000001,
  Oem: 0x00000002,
  RequestTarget: 0x00000004,
  Sign: 0x00000010,
  Seal: 0x00000020,
  Datagram: 0x00000040,
  LmKey: 0x00000080,
  Ntlm: 0x00000200,
  Anonymous: 0x00000800,
  OemDomainSupplied: 0x00001000,
  OemWorkstationSupplied: 0x00002000,
  AlwaysSign: 0x00008000,
  TargetTypeDomain: 0x00010000,
  TargetTypeServer: 0x00020000,
  ExtendedSessionSecurity: 0x00080000,
  Identify: 0x00100000,
  RequestNonNtSessionKey: 0x00400000,
  TargetInfo: 0x00800000,
  Version: 0x02000000,
  Key128: 0x20000000,
  KeyExchange: 0x40000000,
  Key56: 0x80000000,
} as const;

/** AV_PAIR ids (MS-NLMP 2.2.2.1). */
export const AvId = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

/** MsvAvFlags bits (MS-NLMP 2.2.2.1). */
export const AvFlags = {
  AccountAuthenticationConstrained: 0x1,
  MicProvided: 0x2,
  UntrustedSpn: 0x4,
} as const;

export interface AvPair {
  id: number;
  value: Buffer;
}

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
/** Offset of the MIC in an AUTHENTICATE_MESSAGE that carries a Version (always, from Rivet). */
export const MIC_OFFSET = 72;
const AUTHENTICATE_HEADER = 88;

/** The 8-byte VERSION structure Rivet sends (Windows 10/Server 2016+ numbering, NTLM revision 15). */
export const RIVET_VERSION = Buffer.from([10, 0, 0x5c, 0x4f, 0, 0, 0, 0x0f]);

export interface NegotiateMessage {
  flags: number;
  raw: Buffer;
}

export interface ChallengeMessage {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  /** The raw TargetInfo field (AV pairs), empty when absent. */
  targetInfo: Buffer;
  raw: Buffer;
}

export interface AuthenticateMessage {
  flags: number;
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  /** The MIC field (zeros when the client sent none); undefined when the message has no room for one. */
  mic: Buffer | undefined;
  raw: Buffer;
}

function malformed(what: string): Error {
  return ntlmError('NTLM_PROTOCOL_ERROR', `Malformed NTLM ${what}`);
}

function checkHeader(raw: Buffer, type: number, name: string, minLength: number): void {
  if (raw.length < minLength || !raw.subarray(0, 8).equals(SIGNATURE)) throw malformed(`${name}: not an NTLMSSP message`);
  const actual = raw.readUInt32LE(8);
  if (actual !== type) throw ntlmError('NTLM_PROTOCOL_ERROR', `Expected an NTLM ${name} (type ${type}), got message type ${actual}`);
}

/** Reads a (length, maxLength, offset) field descriptor and returns the bytes it points at. */
function readField(raw: Buffer, at: number, name: string): Buffer {
  const length = raw.readUInt16LE(at);
  const offset = raw.readUInt32LE(at + 4);
  if (length === 0) return Buffer.alloc(0);
  if (offset > raw.length || offset + length > raw.length) throw malformed(`${name}: field points outside the message`);
  return raw.subarray(offset, offset + length);
}

function decodeString(bytes: Buffer, unicode: boolean): string {
  return unicode ? bytes.toString('utf16le') : bytes.toString('latin1');
}

/** UTF-16LE bytes of `s` (NTLM's Unicode strings). */
export function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

/** Lays out a message: fixed header with field descriptors at the given offsets, then the payloads. */
function layout(header: Buffer, fields: ReadonlyArray<{ at: number; value: Buffer }>): Buffer {
  let offset = header.length;
  for (const { at, value } of fields) {
    header.writeUInt16LE(value.length, at);
    header.writeUInt16LE(value.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += value.length;
  }
  return Buffer.concat([header, ...fields.map((f) => f.value)]);
}

/** Encodes a NEGOTIATE_MESSAGE with no domain or workstation (MS-NLMP 2.2.1.1). */
export function encodeNegotiate(flags: number): Buffer {
  const header = Buffer.alloc(40);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(1, 8);
  header.writeUInt32LE(flags >>> 0, 12);
  if (flags & NegotiateFlags.Version) RIVET_VERSION.copy(header, 32);
  return layout(header, [
    { at: 16, value: Buffer.alloc(0) },
    { at: 24, value: Buffer.alloc(0) },
  ]);
}

export function decodeNegotiate(raw: Buffer): NegotiateMessage {
  checkHeader(raw, 1, 'NEGOTIATE_MESSAGE', 16);
  return { flags: raw.readUInt32LE(12), raw };
}

/** Encodes a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2), always with a Version. */
export function encodeChallenge(message: { flags: number; serverChallenge: Buffer; targetName: string; targetInfo: Buffer }): Buffer {
  const header = Buffer.alloc(56);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(message.flags >>> 0, 20);
  message.serverChallenge.copy(header, 24);
  RIVET_VERSION.copy(header, 48);
  const unicode = (message.flags & NegotiateFlags.Unicode) !== 0;
  return layout(header, [
    { at: 12, value: unicode ? utf16(message.targetName) : Buffer.from(message.targetName, 'latin1') },
    { at: 40, value: message.targetInfo },
  ]);
}

export function decodeChallenge(raw: Buffer): ChallengeMessage {
  checkHeader(raw, 2, 'CHALLENGE_MESSAGE', 32);
  const flags = raw.readUInt32LE(20);
  const unicode = (flags & NegotiateFlags.Unicode) !== 0;
  const targetName = decodeString(readField(raw, 12, 'CHALLENGE_MESSAGE TargetName'), unicode);
  const serverChallenge = Buffer.from(raw.subarray(24, 32));
  const targetInfo = raw.length >= 48 && flags & NegotiateFlags.TargetInfo ? readField(raw, 40, 'CHALLENGE_MESSAGE TargetInfo') : Buffer.alloc(0);
  return { flags, serverChallenge, targetName, targetInfo: Buffer.from(targetInfo), raw };
}

/** Encodes an AUTHENTICATE_MESSAGE with Version and a MIC field (zeros; the caller fills it in). */
export function encodeAuthenticate(message: Omit<AuthenticateMessage, 'raw' | 'mic'>): Buffer {
  const header = Buffer.alloc(AUTHENTICATE_HEADER);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  header.writeUInt32LE(message.flags >>> 0, 60);
  RIVET_VERSION.copy(header, 64);
  const unicode = (message.flags & NegotiateFlags.Unicode) !== 0;
  const text = (s: string): Buffer => (unicode ? utf16(s) : Buffer.from(s, 'latin1'));
  return layout(header, [
    { at: 28, value: text(message.domain) },
    { at: 36, value: text(message.user) },
    { at: 44, value: text(message.workstation) },
    { at: 12, value: message.lmChallengeResponse },
    { at: 20, value: message.ntChallengeResponse },
    { at: 52, value: message.encryptedRandomSessionKey },
  ]);
}

export function decodeAuthenticate(raw: Buffer): AuthenticateMessage {
  checkHeader(raw, 3, 'AUTHENTICATE_MESSAGE', 64);
  const flags = raw.readUInt32LE(60);
  const unicode = (flags & NegotiateFlags.Unicode) !== 0;
  const fields = [12, 20, 28, 36, 44, 52].map((at) => ({ at, value: readField(raw, at, 'AUTHENTICATE_MESSAGE') }));
  // The MIC sits between the Version and the payload: present when the first payload starts at or after 88.
  const payloadStart = Math.min(raw.length, ...[12, 20, 28, 36, 44, 52].filter((at) => raw.readUInt16LE(at) > 0).map((at) => raw.readUInt32LE(at + 4)));
  const mic = payloadStart >= AUTHENTICATE_HEADER ? Buffer.from(raw.subarray(MIC_OFFSET, MIC_OFFSET + 16)) : undefined;
  const [lm, nt, domain, user, workstation, key] = fields.map((f) => Buffer.from(f.value)) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  return {
    flags,
    lmChallengeResponse: lm,
    ntChallengeResponse: nt,
    domain: decodeString(domain, unicode),
    user: decodeString(user, unicode),
    workstation: decodeString(workstation, unicode),
    encryptedRandomSessionKey: key,
    mic,
    raw,
  };
}

/** Parses a TargetInfo field into AV pairs (without the terminating MsvAvEOL). */
export function decodeAvPairs(targetInfo: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let at = 0;
  while (at + 4 <= targetInfo.length) {
    const id = targetInfo.readUInt16LE(at);
    const length = targetInfo.readUInt16LE(at + 2);
    if (id === AvId.EOL) return pairs;
    if (at + 4 + length > targetInfo.length) throw malformed('TargetInfo: AV pair runs past the end');
    pairs.push({ id, value: Buffer.from(targetInfo.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  throw malformed('TargetInfo: no MsvAvEOL');
}

/** Encodes AV pairs followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const { id, value } of pairs) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(id, 0);
    head.writeUInt16LE(value.length, 2);
    parts.push(head, value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

const FILETIME_EPOCH_OFFSET = 11_644_473_600_000n; // ms between 1601-01-01 and 1970-01-01

/** A FILETIME (100 ns ticks since 1601, little-endian 8 bytes) for the given Unix time in ms. */
export function fileTime(unixMs: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((BigInt(Math.trunc(unixMs)) + FILETIME_EPOCH_OFFSET) * 10_000n);
  return out;
}
