/**
 * Errors of the NTLM layer. All are {@link RivetError}s of kind `puppetlabs.tasks/connect-error`
 * (as Bolt reports WinRM authentication problems), told apart by issue code:
 *
 * - `AUTH_ERROR`: the credentials were refused (unknown user, wrong password, bad MIC).
 * - `NTLM_PROTOCOL_ERROR`: a malformed or unexpected NTLM message, or a peer that refuses what
 *   Rivet requires (NTLMv2 with 128-bit extended session security, signing and sealing).
 * - `NTLM_INTEGRITY_ERROR`: a sealed message whose signature or sequence number does not verify.
 *
 * Messages never contain passwords, hashes or keys; the WinRM transport adds the target.
 *
 * @example
 * ```ts
 * throw ntlmError('NTLM_PROTOCOL_ERROR', 'NTLM CHALLENGE_MESSAGE is truncated');
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../../core/errors.ts';

export type NtlmIssueCode = 'AUTH_ERROR' | 'NTLM_PROTOCOL_ERROR' | 'NTLM_INTEGRITY_ERROR';

/** Builds an NTLM error (kind `puppetlabs.tasks/connect-error`, the given issue code). */
export function ntlmError(issueCode: NtlmIssueCode, msg: string, details: Record<string, unknown> = {}): RivetError {
  return new RivetError(ErrorKind.Connect, msg, { issueCode, details: { protocol: 'ntlm', ...details } });
}
