/**
 * HTTP GET for the module installer: node's http/https, an optional HTTP proxy (plain requests
 * for http URLs, a CONNECT tunnel for https), a timeout, the caller's AbortSignal and a bound on
 * the body size.
 *
 * @example
 * ```ts
 * const body = await httpGet('https://forgeapi.puppet.com/v3/modules/puppetlabs-stdlib', { maxBytes: 1 << 20, timeoutMs: 60_000, signal });
 * ```
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface HttpGetOptions {
  headers?: Record<string, string>;
  proxy?: string | undefined;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  body: Buffer;
  url: string;
}

/** Why a request failed before a response: refused, timed out, too big, aborted. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 5;

function tunnel(proxy: URL, target: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((done, fail) => {
    const port = target.port || '443';
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      timeout: timeoutMs,
      signal,
      headers: proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {},
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(new HttpError(`proxy ${proxy.host} refused the tunnel to ${target.host}: HTTP ${res.statusCode}`, 'PROXY'));
        return;
      }
      done(socket);
    });
    req.on('timeout', () => req.destroy(new HttpError(`proxy ${proxy.host} did not answer within ${timeoutMs / 1000}s`, 'ETIMEDOUT')));
    req.on('error', fail);
    req.end();
  });
}

async function getOnce(url: URL, options: HttpGetOptions): Promise<{ status: number; location?: string | undefined; body: Buffer }> {
  const proxy = options.proxy === undefined || options.proxy === '' ? undefined : new URL(options.proxy);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new HttpError(`unsupported URL scheme in ${url.href}`, 'SCHEME');
  let requestOptions: http.RequestOptions & { servername?: string } = {
    method: 'GET',
    headers: { 'user-agent': 'rivet-module-installer', ...options.headers },
    timeout: options.timeoutMs,
  };
  if (options.signal !== undefined) requestOptions.signal = options.signal;
  let target: string | URL = url;
  if (proxy !== undefined && !secure) {
    target = new URL(url.href);
    requestOptions = { ...requestOptions, host: proxy.hostname, port: proxy.port || 80, path: url.href };
    if (proxy.username) requestOptions.headers = { ...requestOptions.headers, 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` };
  } else if (proxy !== undefined) {
    const socket = await tunnel(proxy, url, options.timeoutMs, options.signal);
    requestOptions.createConnection = () => tlsConnect({ socket, servername: url.hostname });
  }
  const lib = secure ? https : http;
  return new Promise((done, fail) => {
    const req = proxy !== undefined && !secure ? lib.request(requestOptions) : lib.request(target, requestOptions);
    req.on('timeout', () => req.destroy(new HttpError(`no answer from ${url.host} within ${options.timeoutMs / 1000}s`, 'ETIMEDOUT')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof HttpError) return fail(error);
      fail(new HttpError(error.code === 'ECONNREFUSED' ? `connection refused by ${proxy?.host ?? url.host}` : `cannot reach ${url.host}: ${error.message}`, error.code ?? 'EIO'));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        done({ status, location: res.headers.location, body: Buffer.alloc(0) });
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        req.destroy(new HttpError(`${url.href} is ${declared} bytes, more than the limit of ${options.maxBytes}`, 'TOO_BIG'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          req.destroy(new HttpError(`${url.href} is more than the limit of ${options.maxBytes} bytes`, 'TOO_BIG'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => done({ status, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.end();
  });
}

/**
 * GET `url`, following up to five redirects. Auth headers go only to the first URL's origin
 * (scheme, host and port): a redirect to another host, or from https to http, drops them.
 */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpResponse> {
  let current = new URL(url);
  const firstOrigin = current.origin;
  for (let hop = 0; ; hop++) {
    const headers = current.origin === firstOrigin ? options.headers : Object.fromEntries(Object.entries(options.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'authorization'));
    const res = await getOnce(current, { ...options, ...(headers === undefined ? {} : { headers }) });
    if (res.location === undefined) return { status: res.status, body: res.body, url: current.href };
    if (hop >= MAX_REDIRECTS) throw new HttpError(`too many redirects from ${url}`, 'REDIRECTS');
    current = new URL(res.location, current);
  }
}
