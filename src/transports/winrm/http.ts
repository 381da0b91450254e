/**
 * The HTTP side of WS-Management: one keep-alive socket per target (`maxSockets: 1`), strictly
 * serial requests (an NTLM context and its seal sequence numbers belong to one TCP connection),
 * Basic or NTLM auth (`Authorization: Negotiate <raw NTLMSSP>`, as WinRb and requests_ntlm send
 * it) and NTLM message encryption. Every request has a timeout and an AbortSignal.
 *
 * @example
 * ```ts
 * const http = new WsmanHttp({ url: new URL('http://win1:5985/wsman'), auth: basicAuth('u', 'p') });
 * const xml = await http.post(envelopeXml, { signal, timeoutMs: 30_000 });
 * await http.close();
 * ```
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

/** A raw HTTP exchange on the target's one socket. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  socket: Socket;
}

export type SendRaw = (headers: Record<string, string>, body: Buffer) => Promise<RawResponse>;

/**
 * How requests are authenticated (and possibly encrypted). `prepare` runs before each request (it
 * may handshake first through `send`); `wrap`/`unwrap` encrypt and decrypt bodies.
 */
export interface HttpAuth {
  readonly scheme: 'basic' | 'ntlm';
  /** Headers for the next request; may run a handshake on the socket through `send`. */
  prepare(send: SendRaw): Promise<Record<string, string>>;
  wrap(soap: Buffer): { body: Buffer; contentType: string };
  unwrap(body: Buffer, contentType: string): Buffer;
  /** The socket closed or auth was refused: start over on the next request. */
  reset(): void;
}

export const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';

/** Basic auth: the credentials on every request (only sensible over HTTPS). */
export function basicAuth(user: string, password: string): HttpAuth {
  const header = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  return {
    scheme: 'basic',
    prepare: async () => ({ Authorization: header }),
    wrap: (soap) => ({ body: soap, contentType: SOAP_CONTENT_TYPE }),
    unwrap: (body) => body,
    reset: () => {},
  };
}

export interface WsmanHttpOptions {
  url: URL;
  auth: HttpAuth;
  /** HTTPS: verify the server's certificate (`ssl-verify`, default true). */
  rejectUnauthorized?: boolean;
  /** HTTPS: extra trusted CA certificates (PEM, from `cacert`). */
  ca?: Buffer | undefined;
  /** Bound on a reply body (default 64 MiB). */
  maxReplyBytes?: number;
}

export interface PostOptions {
  signal: AbortSignal;
  timeoutMs: number;
}

/** Why a request failed at the HTTP level. */
export class WsmanHttpError extends Error {
  constructor(
    message: string,
    readonly reason: 'auth' | 'status' | 'network' | 'timeout' | 'aborted',
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
    this.name = 'WsmanHttpError';
  }
}

export class WsmanHttp {
  readonly #agent: http.Agent;
  readonly #options: WsmanHttpOptions;
  readonly #secure: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  #current: PostOptions | undefined;

  constructor(options: WsmanHttpOptions) {
    this.#options = options;
    this.#secure = options.url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' as const };
    this.#agent = this.#secure
      ? new https.Agent({ ...agentOptions, rejectUnauthorized: options.rejectUnauthorized ?? true, ...(options.ca ? { ca: options.ca } : {}) })
      : new http.Agent(agentOptions);
  }

  /** POSTs one SOAP envelope and returns the reply text (decrypted). Requests run one at a time. */
  post(xml: string, options: PostOptions): Promise<{ status: number; xml: string }> {
    const run = this.#queue.then(() => this.#post(Buffer.from(xml, 'utf8'), options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #post(soap: Buffer, options: PostOptions): Promise<{ status: number; xml: string }> {
    this.#current = options;
    for (let attempt = 0; ; attempt++) {
      const authHeaders = await this.#options.auth.prepare(this.#sendRaw);
      const { body, contentType } = this.#options.auth.wrap(soap);
      let res: RawResponse;
      try {
        res = await this.#sendRaw({ ...authHeaders, 'Content-Type': contentType }, body);
      } catch (error) {
        this.#options.auth.reset();
        // A kept-alive socket the server had closed: retry once on a fresh one.
        if (attempt === 0 && error instanceof WsmanHttpError && error.reason === 'network' && (error as { reused?: boolean }).reused) continue;
        throw error;
      }
      if (res.status === 401) {
        this.#options.auth.reset();
        // The NTLM context is bound to a TCP connection: a new socket needs a new handshake.
        if (attempt === 0 && this.#options.auth.scheme === 'ntlm') continue;
        throw new WsmanHttpError(`Authentication failed (HTTP 401${authDetail(res)})`, 'auth', 401);
      }
      const type = String(res.headers['content-type'] ?? '');
      let plain: Buffer;
      try {
        plain = /multipart\/(x-multi-)?encrypted/i.test(type) ? this.#options.auth.unwrap(res.body, type) : res.body;
      } catch (error) {
        this.#options.auth.reset();
        throw new WsmanHttpError(`Could not decrypt the reply: ${(error as Error).message}`, 'status', res.status);
      }
      if (res.status !== 200 && res.status !== 500) {
        throw new WsmanHttpError(`HTTP ${res.status} from ${this.#options.url.host}`, 'status', res.status, plain.toString('utf8').slice(0, 2000));
      }
      if (res.status === 500 && !/xml/i.test(type) && !/encrypted/i.test(type)) {
        throw new WsmanHttpError(`HTTP 500 from ${this.#options.url.host}`, 'status', 500, plain.toString('utf8').slice(0, 2000));
      }
      return { status: res.status, xml: plain.toString('utf8') };
    }
  }

  /** One request on the target's socket, with the current request's signal and timeout. */
  readonly #sendRaw: SendRaw = (headers, body) => {
    const options = this.#current!;
    const url = this.#options.url;
    const max = this.#options.maxReplyBytes ?? 64 * 1024 * 1024;
    return new Promise<RawResponse>((resolve, reject) => {
      if (options.signal.aborted) return reject(new WsmanHttpError('Canceled', 'aborted'));
      const request = (this.#secure ? https : http).request({
        agent: this.#agent,
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, 'Content-Length': String(body.length), 'User-Agent': 'Rivet WinRM client' },
      });
      let settled = false;
      const fail = (error: WsmanHttpError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        request.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(new WsmanHttpError('Canceled', 'aborted'));
      const timer = setTimeout(() => fail(new WsmanHttpError(`No reply from ${url.host} within ${Math.round(options.timeoutMs / 1000)} s`, 'timeout')), options.timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
      };
      options.signal.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error: NodeJS.ErrnoException) => {
        const e = new WsmanHttpError(`Could not reach ${url.host}: ${error.code ?? error.message}`, 'network');
        (e as { reused?: boolean }).reused = request.reusedSocket;
        fail(e);
      });
      request.on('response', (res) => {
        const socket = res.socket as Socket; // released to the agent (null on res) after 'end'
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > max) return fail(new WsmanHttpError(`The reply from ${url.host} is larger than ${max} bytes`, 'status', res.statusCode));
          chunks.push(chunk);
        });
        res.on('error', () => fail(new WsmanHttpError(`The connection to ${url.host} broke during a reply`, 'network')));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), socket });
        });
      });
      request.end(body);
    });
  };

  /** Closes the socket. */
  async close(): Promise<void> {
    this.#agent.destroy();
  }
}

function authDetail(res: RawResponse): string {
  const offered = res.headers['www-authenticate'];
  return offered ? `; the server offers ${String(offered).split(',').map((s) => s.trim().split(' ')[0]).join(', ')}` : '';
}
