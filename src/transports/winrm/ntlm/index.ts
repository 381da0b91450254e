/**
 * NTLMv2 for WinRM: a client ({@link NtlmInitiator}), a server for the test WinRM server
 * ({@link NtlmAcceptor}), session security ({@link NtlmSession}: sign + seal with per-direction
 * sequence numbers) and WinRM's HTTP message encryption framing ({@link encryptMessage},
 * {@link decryptMessage}). Verified against the MS-NLMP 4.2.4 test vectors, pywinrm's framing
 * tests and independent implementations (see docs/winrm-ntlm.md).
 *
 * @example
 * ```ts
 * import { NtlmInitiator, encryptMessage, decryptMessage } from './ntlm/index.ts';
 * const ntlm = new NtlmInitiator({ user: 'vagrant', password: 'vagrant' });
 * // 1. POST (empty body) with `Authorization: Negotiate ${ntlm.negotiate().toString('base64')}`
 * // 2. 401 `WWW-Authenticate: Negotiate <challenge>` -> ntlm.authenticate(challenge)
 * // 3. POST the sealed body on the same socket with `Authorization: Negotiate <authenticate>`
 * const { body, contentType } = encryptMessage(ntlm.session, Buffer.from(envelope));
 * ```
 * @module
 */
export { NtlmAcceptor, type NtlmAccepted, type NtlmAcceptorOptions } from './acceptor.ts';
export { tlsServerEndPoint } from './channel-bindings.ts';
export { ntlmError, type NtlmIssueCode } from './errors.ts';
export { decryptMessage, encryptMessage, isEncryptedContentType, SPNEGO_ENCRYPTED_PROTOCOL, type MessageSealer } from './http-encryption.ts';
export { NtlmInitiator, splitUser, type NtlmCredentials, type NtlmInitiatorOptions } from './initiator.ts';
export { NtlmSession, SIGNATURE_LENGTH, type NtlmSessionOptions } from './session.ts';
