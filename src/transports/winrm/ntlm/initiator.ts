/**
 * The client side of NTLM: NEGOTIATE_MESSAGE out, CHALLENGE_MESSAGE in, AUTHENTICATE_MESSAGE out,
 * then an {@link NtlmSession} for sealing. NTLMv2 only (MS-NLMP 3.1.5.1.2), always asking for
 * 128-bit keys, extended session security, key exchange, signing and sealing; a server that does
 * not grant 128-bit keys, extended session security, signing or sealing is refused with an
 * `NTLM_PROTOCOL_ERROR` naming what is missing.
 *
 * The AUTHENTICATE_MESSAGE carries: the NTLMv2 response over the server's target info plus
 * MsvAvFlags (MIC provided), MsvAvChannelBindings (MD5 of the gss_channel_bindings_struct, zeros
 * without TLS) and, when given, MsvAvTargetName (the SPN); a MIC over the three messages when the
 * server sent a timestamp (and then no LMv2 response, as MS-NLMP says); a random session key
 * RC4-encrypted with the key exchange key. Nonces come from `crypto.randomBytes`.
 *
 * @example
 * ```ts
 * const ntlm = new NtlmInitiator({ user: 'Administrator', password, domain: '' });
 * const type1 = ntlm.negotiate();                 // send as `Authorization: Negotiate <base64>`
 * const type3 = ntlm.authenticate(type2FromServer);
 * const session = ntlm.session;                    // seal/unseal the WinRM messages
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { channelBindingsHash, hmacMd5, ntlmv2ClientChallenge, ntlmv2Response, ntowfv2 } from './crypto.ts';
import { ntlmError } from './errors.ts';
import {
  AvFlags,
  AvId,
  MIC_OFFSET,
  NegotiateFlags as F,
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
  fileTime,
  utf16,
  type AvPair,
} from './messages.ts';
import { rc4k } from './rc4.ts';
import { NtlmSession } from './session.ts';

/**
 * Who to authenticate as. `user` may be `DOMAIN\user` when `domain` is not given; a UPN
 * (`user@example.com`) is sent as the user name with an empty domain, as Windows clients do.
 */
export interface NtlmCredentials {
  user: string;
  password: string;
  domain?: string;
  /** The workstation name sent to the server; defaults to this host's short name, upper case. */
  workstation?: string;
}

export interface NtlmInitiatorOptions {
  /**
   * The application data of the gss_channel_bindings_struct, e.g. `tls-server-end-point:` plus the
   * certificate hash (see {@link tlsServerEndPoint}); without it the bindings hash is zeros.
   */
  channelBindings?: Buffer;
  /** The service principal name to send as MsvAvTargetName, e.g. `HTTP/host.example.com`. */
  targetName?: string;
}

/** The flags Rivet asks for in its NEGOTIATE_MESSAGE. */
export const INITIATOR_FLAGS =
  F.Unicode | F.RequestTarget | F.Sign | F.Seal | F.Ntlm | F.AlwaysSign | F.ExtendedSessionSecurity | F.Version | F.Key128 | F.KeyExchange | F.Key56;

/** What the server must grant, with the words used when it does not. */
const REQUIRED: ReadonlyArray<[number, string]> = [
  [F.Unicode, 'Unicode strings'],
  [F.ExtendedSessionSecurity, 'extended session security'],
  [F.Key128, '128-bit keys'],
  [F.Sign, 'signing'],
  [F.Seal, 'sealing (message encryption)'],
];

/** Splits `DOMAIN\user` when no domain is given. */
export function splitUser(credentials: NtlmCredentials): { user: string; domain: string } {
  if (credentials.domain !== undefined) return { user: credentials.user, domain: credentials.domain };
  const slash = credentials.user.indexOf('\\');
  if (slash >= 0) return { user: credentials.user.slice(slash + 1), domain: credentials.user.slice(0, slash) };
  return { user: credentials.user, domain: '' };
}

/**
 * One NTLM client handshake. Use a new initiator per connection (and per re-authentication).
 */
export class NtlmInitiator {
  readonly #credentials: NtlmCredentials;
  readonly #options: NtlmInitiatorOptions;
  #negotiate: Buffer | undefined;
  #session: NtlmSession | undefined;

  constructor(credentials: NtlmCredentials, options: NtlmInitiatorOptions = {}) {
    this.#credentials = { ...credentials };
    this.#options = options;
  }

  /** The NEGOTIATE_MESSAGE (raw NTLMSSP; WinRM sends it base64 under the `Negotiate` scheme). */
  negotiate(): Buffer {
    this.#negotiate = encodeNegotiate(INITIATOR_FLAGS);
    this.#session = undefined;
    return Buffer.from(this.#negotiate);
  }

  /**
   * Answers the server's CHALLENGE_MESSAGE with the AUTHENTICATE_MESSAGE. Throws an
   * `NTLM_PROTOCOL_ERROR` if the challenge is malformed or refuses what Rivet requires.
   * `options.channelBindings` overrides the constructor's: over HTTPS the server certificate is
   * known only once the first request has been answered, and channel bindings first matter here.
   */
  authenticate(challengeToken: Buffer, options: { channelBindings?: Buffer } = {}): Buffer {
    const negotiate = this.#negotiate;
    if (negotiate === undefined) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM authenticate() called before negotiate()');
    const challenge = decodeChallenge(challengeToken);
    const missing = REQUIRED.filter(([flag]) => !(challenge.flags & flag)).map(([, what]) => what);
    if (missing.length > 0) {
      throw ntlmError('NTLM_PROTOCOL_ERROR', `The server refused NTLM ${missing.join(', ')}; Rivet requires NTLMv2 with 128-bit extended session security, signing and sealing`, {
        serverFlags: `0x${(challenge.flags >>> 0).toString(16).padStart(8, '0')}`,
      });
    }
    const flags = ((INITIATOR_FLAGS & challenge.flags) | F.Version) >>> 0;

    const serverPairs = challenge.targetInfo.length > 0 ? decodeAvPairs(challenge.targetInfo) : [];
    const timestamp = serverPairs.find((p) => p.id === AvId.Timestamp)?.value;
    const pairs: AvPair[] = serverPairs.filter((p) => p.id !== AvId.Flags && p.id !== AvId.ChannelBindings && p.id !== AvId.TargetName);
    const serverAvFlags = serverPairs.find((p) => p.id === AvId.Flags)?.value;
    const avFlags = Buffer.alloc(4);
    avFlags.writeUInt32LE(((serverAvFlags?.length === 4 ? serverAvFlags.readUInt32LE(0) : 0) | (timestamp ? AvFlags.MicProvided : 0)) >>> 0);
    pairs.push({ id: AvId.Flags, value: avFlags });
    const bindings = options.channelBindings ?? this.#options.channelBindings;
    pairs.push({ id: AvId.ChannelBindings, value: bindings ? channelBindingsHash(bindings) : Buffer.alloc(16) });
    if (this.#options.targetName !== undefined) pairs.push({ id: AvId.TargetName, value: utf16(this.#options.targetName) });

    const { user, domain } = splitUser(this.#credentials);
    const clientChallenge = randomBytes(8);
    const temp = ntlmv2ClientChallenge(timestamp ?? fileTime(Date.now()), clientChallenge, encodeAvPairs(pairs));
    const response = ntlmv2Response(ntowfv2(this.#credentials.password, user, domain), challenge.serverChallenge, clientChallenge, temp);

    const keyExchangeKey = response.sessionBaseKey;
    const exportedSessionKey = flags & F.KeyExchange ? randomBytes(16) : keyExchangeKey;
    const message = encodeAuthenticate({
      flags,
      lmChallengeResponse: timestamp ? Buffer.alloc(24) : response.lmChallengeResponse,
      ntChallengeResponse: response.ntChallengeResponse,
      domain,
      user,
      workstation: this.#credentials.workstation ?? hostname().split('.')[0]!.toUpperCase(),
      encryptedRandomSessionKey: flags & F.KeyExchange ? rc4k(keyExchangeKey, exportedSessionKey) : Buffer.alloc(0),
    });
    if (timestamp) hmacMd5(exportedSessionKey, negotiate, challenge.raw, message).copy(message, MIC_OFFSET);
    this.#session = new NtlmSession({ role: 'client', exportedSessionKey, flags });
    return message;
  }

  /** The client's session, once {@link authenticate} has run. */
  get session(): NtlmSession {
    if (this.#session === undefined) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM session requested before the handshake completed');
    return this.#session;
  }
}
