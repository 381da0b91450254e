/**
 * NTLM over HTTP for WS-Management: the handshake runs with empty bodies on the target's one
 * socket (`Authorization: Negotiate <raw NTLMSSP>`, as pywinrm/requests_ntlm and WinRb send it),
 * then every message is sealed (`multipart/encrypted`, HTTP-SPNEGO-session-encrypted) when
 * `encrypt` is set: always over HTTP (Windows' default AllowUnencrypted=false), optional over
 * HTTPS (WinRb seals there too; pywinrm does not unless `message_encryption='always'`). Over
 * HTTPS the server certificate's hash is sent as channel bindings (CbtHardeningLevel).
 *
 * @example
 * ```ts
 * const auth = ntlmAuth({ user: 'DOMAIN\\admin', password }, { encrypt: true });
 * const http = new WsmanHttp({ url, auth });
 * ```
 * @module
 */
import type { TLSSocket } from 'node:tls';
import { decryptMessage, encryptMessage, NtlmInitiator, tlsServerEndPoint, type NtlmCredentials, type NtlmSession } from './ntlm/index.ts';
import { SOAP_CONTENT_TYPE, WsmanHttpError, type HttpAuth, type RawResponse } from './http.ts';

export interface NtlmAuthOptions {
  /** Seal every message (required over HTTP by a default Windows host). */
  encrypt: boolean;
  /** Plaintext per encrypted part; default the whole message. */
  maxChunk?: number | undefined;
}

export function ntlmAuth(credentials: NtlmCredentials, options: NtlmAuthOptions): HttpAuth {
  let session: NtlmSession | undefined;
  return {
    scheme: 'ntlm',
    async prepare(send) {
      if (session !== undefined) return {};
      const empty = Buffer.alloc(0);
      const first = new NtlmInitiator(credentials);
      const r1 = await send({ Authorization: `Negotiate ${first.negotiate().toString('base64')}`, 'Content-Type': SOAP_CONTENT_TYPE }, empty);
      const bindings = channelBindings(r1);
      // With TLS, start over with channel bindings now that the certificate is known.
      const initiator = bindings === undefined ? first : new NtlmInitiator(credentials, { channelBindings: bindings });
      const r1b = bindings === undefined ? r1 : await send({ Authorization: `Negotiate ${initiator.negotiate().toString('base64')}`, 'Content-Type': SOAP_CONTENT_TYPE }, empty);
      const challenge = negotiateToken(r1b);
      if (challenge === undefined) {
        throw new WsmanHttpError(`The server did not answer the NTLM negotiation (HTTP ${r1b.status}${offered(r1b)})`, 'auth', r1b.status);
      }
      const r2 = await send({ Authorization: `Negotiate ${initiator.authenticate(challenge).toString('base64')}`, 'Content-Type': SOAP_CONTENT_TYPE }, empty);
      if (r2.status === 401 || r2.status === 403) throw new WsmanHttpError(`Authentication failed (HTTP ${r2.status}): wrong user name or password, or the account may not use WinRM`, 'auth', r2.status);
      session = initiator.session;
      return {};
    },
    wrap(soap) {
      if (!options.encrypt || session === undefined) return { body: soap, contentType: SOAP_CONTENT_TYPE };
      return encryptMessage(session, soap, options.maxChunk === undefined ? {} : { maxChunk: options.maxChunk });
    },
    unwrap(body, contentType) {
      if (session === undefined) throw new Error('no NTLM session');
      return decryptMessage(session, body, contentType);
    },
    reset() {
      session = undefined;
    },
  };
}

function negotiateToken(res: RawResponse): Buffer | undefined {
  const header = res.headers['www-authenticate'];
  const values = Array.isArray(header) ? header : header === undefined ? [] : String(header).split(/,\s*/);
  for (const value of values) {
    const match = /^(?:Negotiate|NTLM)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value.trim());
    if (match) return Buffer.from(match[1]!, 'base64');
  }
  return undefined;
}

function offered(res: RawResponse): string {
  const header = res.headers['www-authenticate'];
  return header === undefined ? '' : `; offered: ${String(header)}`;
}

/** `tls-server-end-point` bindings of the server certificate (RFC 5929), over HTTPS only. */
function channelBindings(res: RawResponse): Buffer | undefined {
  const socket = res.socket as Partial<TLSSocket> | null;
  if (typeof socket?.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate().raw;
  return raw === undefined ? undefined : tlsServerEndPoint(raw);
}
