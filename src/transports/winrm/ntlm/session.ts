/**
 * NTLM session security (MS-NLMP 3.4): sealing (RC4 encryption plus an HMAC-MD5 signature) with
 * extended session security, key exchange and 128-bit keys, which is what WinRM's HTTP message
 * encryption uses.
 *
 * A session belongs to one end: the client (initiator) seals with the client-to-server keys and
 * unseals with the server-to-client keys; the server (acceptor) does the opposite. Each direction
 * has its own RC4 state and sequence number, both carried from message to message, so messages
 * must be sealed and unsealed in the order they travel: one session per connection, requests
 * strictly serial. A signature that does not verify breaks the session for good (the RC4 state
 * has moved on), so every later call throws too.
 *
 * @example
 * ```ts
 * const { signature, sealed } = clientSession.seal(Buffer.from('<s:Envelope .../>'));
 * const plain = serverSession.unseal(sealed, signature);
 * ```
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { hmacMd5, sealKey, signKey, type Direction } from './crypto.ts';
import { ntlmError } from './errors.ts';
import { NegotiateFlags } from './messages.ts';
import { Rc4 } from './rc4.ts';

/** Length of an NTLMSSP_MESSAGE_SIGNATURE (MS-NLMP 2.2.2.9.1). */
export const SIGNATURE_LENGTH = 16;

/** What a session is built from: the outcome of an NTLM handshake. */
export interface NtlmSessionOptions {
  /** Which end this session is: `client` (initiator) or `server` (acceptor). */
  role: Direction;
  /** The ExportedSessionKey (random session key with key exchange, else the key exchange key). */
  exportedSessionKey: Buffer;
  /** The negotiated flags (those of the AUTHENTICATE_MESSAGE). */
  flags: number;
}

interface DirectionState {
  signKey: Buffer;
  rc4: Rc4;
  sequence: number;
}

/**
 * Sign-and-seal for one end of an authenticated NTLM connection. Built by
 * {@link NtlmInitiator.session} and {@link NtlmAcceptor.accept}; the constructor is public for
 * tests and for the MS-NLMP vectors.
 */
export class NtlmSession {
  /** Which end this session seals for. */
  readonly role: Direction;
  /** The negotiated NTLM flags. */
  readonly flags: number;
  readonly #outbound: DirectionState;
  readonly #inbound: DirectionState;
  readonly #keyExchange: boolean;
  #broken = false;

  constructor(options: NtlmSessionOptions) {
    const { role, exportedSessionKey, flags } = options;
    if (!(flags & NegotiateFlags.ExtendedSessionSecurity)) {
      throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM session security without extended session security is not supported');
    }
    if (exportedSessionKey.length !== 16) throw new RangeError('the NTLM exported session key must be 16 bytes');
    this.role = role;
    this.flags = flags;
    this.#keyExchange = (flags & NegotiateFlags.KeyExchange) !== 0;
    const strength = flags & NegotiateFlags.Key128 ? 128 : flags & NegotiateFlags.Key56 ? 56 : 40;
    const make = (direction: Direction): DirectionState => ({
      signKey: signKey(exportedSessionKey, direction),
      rc4: new Rc4(sealKey(exportedSessionKey, direction, strength)),
      sequence: 0,
    });
    const peer: Direction = role === 'client' ? 'server' : 'client';
    this.#outbound = make(role);
    this.#inbound = make(peer);
  }

  /** Whether confidentiality (sealing) was negotiated; {@link seal} throws otherwise. */
  get canSeal(): boolean {
    return (this.flags & NegotiateFlags.Seal) !== 0;
  }

  /**
   * Encrypts `message` for the peer and signs it (GSS_WrapEx with confidentiality, MS-NLMP 3.4.3).
   * Returns the 16-byte signature and the ciphertext, which has the same length as `message`.
   */
  seal(message: Buffer): { signature: Buffer; sealed: Buffer } {
    this.#usable();
    const state = this.#outbound;
    const sealed = state.rc4.update(message);
    const signature = this.#signature(state, message);
    state.sequence = (state.sequence + 1) >>> 0;
    return { signature, sealed };
  }

  /**
   * Decrypts a message from the peer and verifies its signature and sequence number
   * (GSS_UnwrapEx, MS-NLMP 3.4.4). Throws an `NTLM_INTEGRITY_ERROR` when they do not verify.
   */
  unseal(sealed: Buffer, signature: Buffer): Buffer {
    this.#usable();
    const state = this.#inbound;
    if (signature.length !== SIGNATURE_LENGTH) {
      this.#broken = true;
      throw ntlmError('NTLM_INTEGRITY_ERROR', `NTLM message signature has ${signature.length} bytes, expected ${SIGNATURE_LENGTH}`);
    }
    const message = state.rc4.update(sealed);
    const expected = this.#signature(state, message);
    if (!timingSafeEqual(expected, signature)) {
      this.#broken = true;
      const sequence = signature.readUInt32LE(12);
      const why = sequence === state.sequence ? 'the signature does not match the message' : `sequence number ${sequence}, expected ${state.sequence}`;
      throw ntlmError('NTLM_INTEGRITY_ERROR', `NTLM sealed message failed verification (${why}); the connection's session is no longer usable`, {
        expectedSequence: state.sequence,
      });
    }
    state.sequence = (state.sequence + 1) >>> 0;
    return message;
  }

  /** NTLMSSP_MESSAGE_SIGNATURE with extended session security: version 1, checksum (RC4'd with key exchange), sequence number. */
  #signature(state: DirectionState, message: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(state.sequence);
    let checksum = hmacMd5(state.signKey, seq, message).subarray(0, 8);
    if (this.#keyExchange) checksum = state.rc4.update(checksum);
    const signature = Buffer.alloc(SIGNATURE_LENGTH);
    signature.writeUInt32LE(1, 0);
    checksum.copy(signature, 4);
    seq.copy(signature, 12);
    return signature;
  }

  #usable(): void {
    if (!this.canSeal) throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM sealing was not negotiated on this connection');
    if (this.#broken) throw ntlmError('NTLM_INTEGRITY_ERROR', 'NTLM session is no longer usable after a failed verification');
  }

  /** Never shows keys. */
  [inspect.custom](): string {
    return `NtlmSession { role: '${this.role}', flags: 0x${this.flags.toString(16).padStart(8, '0')} }`;
  }

  toJSON(): { role: Direction; flags: number } {
    return { role: this.role, flags: this.flags };
  }
}
