/**
 * Errors about the durable run database: they name the database (its URL without the password)
 * and where the URL came from (`--durable`, the project's `durable` setting, RIVET_DURABLE_URL),
 * and never carry the password, whatever the driver's message says.
 *
 * @example
 * ```ts
 * databaseError('Cannot open the durable run database', new Error('connect ECONNREFUSED 127.0.0.1:5432'), 'postgres://rivet:pw@db/runs', '--durable');
 * // rivet/durable-unavailable: Cannot open the durable run database postgres://rivet:***@db/runs (from --durable): connect ECONNREFUSED 127.0.0.1:5432
 * ```
 * @module
 */
import { connect } from 'node:net';
import { RivetError } from '../../core/errors.ts';
import { redactUriPasswords } from '../../core/uri-passwords.ts';

/** A text with the password of every `scheme://user:password@` (and the given URL's password) replaced by `***`. */
export function redactUrl(text: string, url?: string): string {
  let out = redactUriPasswords(text, '***');
  const password = url === undefined ? '' : passwordOf(url);
  if (password.length >= 3) {
    for (const form of new Set([password, encodeURIComponent(password), safeDecode(password)])) out = out.replaceAll(form, '***');
  }
  return out;
}

function passwordOf(url: string): string {
  try {
    return new URL(url).password;
  } catch {
    return /^[a-z]+:\/\/[^:/@\s]*:([^@\s]*)@/i.exec(url)?.[1] ?? '';
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `rivet/durable-unavailable`: `what`, the database (no password), where its URL came from, and why. */
export function databaseError(what: string, error: unknown, url: string, source: string | undefined): RivetError {
  const reason = error instanceof Error ? error.message : String(error);
  const from = source === undefined ? '' : ` (from ${source})`;
  return new RivetError('rivet/durable-unavailable', redactUrl(`${what} ${url}${from}: ${reason}`, url), { details: { database: redactUrl(url, url), ...(source !== undefined ? { source } : {}) } });
}

/**
 * Fails fast when the database's host does not accept TCP connections (refused, unknown host, no
 * answer within `timeoutMs`): DBOS itself retries a lost database forever, which is right for a
 * running worker and wrong for a mistyped URL. A URL without a host (a Unix socket) is not checked.
 */
export async function assertReachable(url: string, source: string | undefined, timeoutMs = 10_000): Promise<void> {
  let host: string;
  let port: number;
  try {
    const parsed = new URL(url);
    host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    port = parsed.port === '' ? 5432 : Number(parsed.port);
  } catch (error) {
    throw databaseError('Cannot read the durable run database URL', error, url, source);
  }
  if (host === '' || new URL(url).searchParams.has('host')) return;
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(databaseError('Cannot reach the durable run database', new Error(`no answer from ${host}:${port} within ${timeoutMs / 1000} s`), url, source));
    });
    socket.once('error', (error) => reject(databaseError('Cannot reach the durable run database', error, url, source)));
  });
}
