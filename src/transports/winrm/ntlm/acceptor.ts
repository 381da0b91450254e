/**
 * The server side of NTLM, for Rivet's WinRM test server: NEGOTIATE_MESSAGE in, CHALLENGE_MESSAGE
 * out, AUTHENTICATE_MESSAGE in, then the user and an {@link NtlmSession} with the server's keys.
 *
 * Accepts NTLMv2 only (NTLMv1 and anonymous logons are refused). Verifies the NTProofStr against
 * the password returned by `lookupPassword`, the MIC when the client says it sent one, and, when
 * configured, the channel bindings. The challenge offers what the client asked for among Unicode (else OEM),
 * signing, sealing, 128/56-bit keys, key exchange and extended session security, with target info
 * (NetBIOS and DNS names, timestamp) so that clients send a MIC.
 *
 * @example
 * ```ts
 * const ntlm = new NtlmAcceptor((user) => (user.toLowerCase() === 'vagrant' ? 'vagrant' : undefined));
 * const type2 = ntlm.challenge(type1FromClient);
 * const { user, session } = ntlm.accept(type3FromClient); // throws AUTH_ERROR on bad credentials
 * ```
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { channelBindingsHash, hmacMd5, ntowfv2 } from './crypto.ts';
import { ntlmError } from './errors.ts';
import {
  AvFlags,
  AvId,
  MIC_OFFSET,
  NegotiateFlags as F,
  decodeAuthenticate,
  decodeAvPairs,
  decodeNegotiate,
  encodeAvPairs,
  encodeChallenge,
  fileTime,
  utf16,
} from './messages.ts';
import { rc4k } from './rc4.ts';
import { NtlmSession } from './session.ts';

export interface NtlmAcceptorOptions {
  /** NetBIOS computer name in the challenge (default: this host's short name, upper case). */
  computerName?: string;
  /** NetBIOS domain name and target name in the challenge (default: the computer name, as on a workgroup host). */
  domainName?: string;
  /** Expected gss_channel_bindings application data (e.g. `tls-server-end-point:<hash>`). */
  channelBindings?: Buffer;
  /** Refuse clients that send no channel bindings (Windows' CbtHardeningLevel=Strict). */
  requireChannelBindings?: boolean;
}

/** Flags the acceptor grants when the client asks for them. */
const GRANTABLE = F.Sign | F.Seal | F.AlwaysSign | F.ExtendedSessionSecurity | F.Key128 | F.Key56 | F.KeyExchange;

/** What {@link NtlmAcceptor.accept} returns for an authenticated client. */
export interface NtlmAccepted {
  user: string;
  domain: string;
  session: NtlmSession;
}

/** One NTLM server handshake per connection; a new {@link challenge} starts over (re-authentication). */
export class NtlmAcceptor {
  readonly #lookupPassword: (user: string, domain: string) => string | undefined;
  readonly #options: NtlmAcceptorOptions;
  #pending: { negotiate: Buffer; challenge: Buffer; serverChallenge: Buffer; flags: number } | undefined;

  constructor(lookupPassword: (user: string, domain: string) => string | undefined, options: NtlmAcceptorOptions = {}) {
    this.#lookupPassword = lookupPassword;
    this.#options = options;
  }

  /** Answers a NEGOTIATE_MESSAGE with a CHALLENGE_MESSAGE (fresh 8-byte server challenge). */
  challenge(negotiateToken: Buffer): Buffer {
    const negotiate = decodeNegotiate(negotiateToken);
    // Unicode strings if offered, else OEM (python3-ntlm-auth, pywinrm's NTLM library, offers only OEM).
    const charset = negotiate.flags & F.Unicode ? F.Unicode : negotiate.flags & F.Oem ? F.Oem : 0;
    if (charset === 0) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM client offered neither Unicode nor OEM strings');
    const computer = this.#options.computerName ?? hostname().split('.')[0]!.toUpperCase();
    const domain = this.#options.domainName ?? computer;
    const flags =
      ((negotiate.flags & GRANTABLE) | charset | F.Ntlm | F.TargetInfo | F.Version | (negotiate.flags & F.RequestTarget ? F.RequestTarget | F.TargetTypeServer : 0)) >>>
      0;
    const serverChallenge = randomBytes(8);
    const targetInfo = encodeAvPairs([
      { id: AvId.NbDomainName, value: utf16(domain) },
      { id: AvId.NbComputerName, value: utf16(computer) },
      { id: AvId.DnsDomainName, value: utf16(domain.toLowerCase()) },
      { id: AvId.DnsComputerName, value: utf16(computer.toLowerCase()) },
      { id: AvId.Timestamp, value: fileTime(Date.now()) },
    ]);
    const challenge = encodeChallenge({ flags, serverChallenge, targetName: flags & F.RequestTarget ? domain : '', targetInfo });
    this.#pending = { negotiate: Buffer.from(negotiateToken), challenge, serverChallenge, flags };
    return Buffer.from(challenge);
  }

  /**
   * Verifies an AUTHENTICATE_MESSAGE. Returns the user, the domain the client named and the
   * server's session; throws `AUTH_ERROR` for unknown users, wrong passwords, a bad MIC or
   * channel bindings, and `NTLM_PROTOCOL_ERROR` for malformed messages or NTLMv1.
   */
  accept(authenticateToken: Buffer): NtlmAccepted {
    const pending = this.#pending;
    if (pending === undefined) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM AUTHENTICATE_MESSAGE received before a challenge was sent');
    this.#pending = undefined;
    const auth = decodeAuthenticate(authenticateToken);
    const who = auth.domain ? `${auth.domain}\\${auth.user}` : auth.user;
    const nt = auth.ntChallengeResponse;
    if (auth.user === '' && nt.length === 0) throw ntlmError('AUTH_ERROR', 'NTLM anonymous logons are not accepted');
    if (nt.length === 24) throw ntlmError('NTLM_PROTOCOL_ERROR', `NTLMv1 responses are not accepted (user ${who}); use NTLMv2`);
    if (nt.length < 48) throw ntlmError('NTLM_PROTOCOL_ERROR', `NTLM response of user ${who} is too short for NTLMv2`);
    if ((auth.flags & ~pending.flags & GRANTABLE) !== 0) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM client claimed flags the challenge did not offer');
    if (!(auth.flags & F.ExtendedSessionSecurity)) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM client did not negotiate extended session security');

    const refused = (): Error => ntlmError('AUTH_ERROR', `NTLM authentication failed for user ${who}`, { user: auth.user, domain: auth.domain });
    const password = this.#lookupPassword(auth.user, auth.domain);
    if (password === undefined) throw refused();
    const responseKey = ntowfv2(password, auth.user, auth.domain);
    const ntProofStr = nt.subarray(0, 16);
    const temp = nt.subarray(16);
    if (!timingSafeEqual(hmacMd5(responseKey, pending.serverChallenge, temp), ntProofStr)) throw refused();

    const keyExchangeKey = hmacMd5(responseKey, ntProofStr);
    let exportedSessionKey = keyExchangeKey;
    if (auth.flags & F.KeyExchange) {
      if (auth.encryptedRandomSessionKey.length !== 16) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM key exchange negotiated but no 16-byte session key sent');
      exportedSessionKey = rc4k(keyExchangeKey, auth.encryptedRandomSessionKey);
    }

    // temp = 01 01 Z(6) Time(8) ClientChallenge(8) Z(4) AvPairs Z(4)
    const pairs = decodeAvPairs(temp.subarray(28));
    const avFlags = pairs.find((p) => p.id === AvId.Flags)?.value;
    if (avFlags?.length === 4 && avFlags.readUInt32LE(0) & AvFlags.MicProvided) {
      if (auth.mic === undefined) throw refused();
      const zeroed = Buffer.from(auth.raw);
      zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
      if (!timingSafeEqual(hmacMd5(exportedSessionKey, pending.negotiate, pending.challenge, zeroed), auth.mic)) {
        throw ntlmError('AUTH_ERROR', `NTLM message integrity check (MIC) failed for user ${who}`, { user: auth.user, domain: auth.domain });
      }
    }
    this.#checkChannelBindings(pairs.find((p) => p.id === AvId.ChannelBindings)?.value, who);
    return { user: auth.user, domain: auth.domain, session: new NtlmSession({ role: 'server', exportedSessionKey, flags: auth.flags }) };
  }

  #checkChannelBindings(sent: Buffer | undefined, who: string): void {
    const expected = this.#options.channelBindings;
    if (expected === undefined) return;
    const absent = sent === undefined || sent.equals(Buffer.alloc(16));
    if (absent ? this.#options.requireChannelBindings === true : !sent.equals(channelBindingsHash(expected))) {
      throw ntlmError('AUTH_ERROR', `NTLM channel bindings of user ${who} do not match this TLS channel`);
    }
  }
}
