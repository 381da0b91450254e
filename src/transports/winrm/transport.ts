/**
 * The `winrm` transport (X-10): WS-Management over HTTP(S) to a Windows target, one keep-alive
 * socket (one NTLM context) per target for the whole run, like SSH. Bolt's keys (Bolt 3.30
 * `lib/bolt/config/transport/winrm.rb`): `ssl` (default true: HTTPS on 5986; false: HTTP on 5985
 * with NTLM message encryption), `ssl-verify`, `cacert`, `basic-auth-only` (HTTPS only), `port`,
 * `user`, `password`, `connect-timeout`, `tmpdir`, `cleanup`, `extensions`, `interpreters`;
 * `realm` (Kerberos) and `file-protocol: smb` are refused with a clear error naming the target;
 * `smb-port` is accepted (Bolt's key) and unused, as files always go over WinRM itself.
 *
 * @example
 * ```ts
 * const conn = await new WinrmTransport().connect(target, { signal }); // target: winrm://win1
 * const r = await conn.run('ver', { signal });
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import { safeName, transportOptions, type Target } from '../../core/target.ts';
import type { ConnectOptions, Connection, Transport } from '../transport.ts';
import { WinrmConnection } from './connection.ts';
import { basicAuth, WsmanHttp, type HttpAuth } from './http.ts';
import { createShellEnvelope, deleteShellEnvelope } from './messages.ts';
import { ntlmAuth } from './ntlm-auth.ts';
import { parseReply, shellIdOf } from './reply.ts';
import { DEFAULT_MAX_ENVELOPE_SIZE, faultError, Winrs } from './shell.ts';

/** A target's WinRM settings, resolved and checked. */
export interface WinrmSettings {
  url: URL;
  ssl: boolean;
  sslVerify: boolean;
  cacert: string | undefined;
  basicAuthOnly: boolean;
  user: string;
  password: string;
  connectTimeoutMs: number;
}

function configError(target: Target, msg: string): RivetError {
  return new RivetError(ErrorKind.Connect, msg, { issueCode: 'CONNECT_ERROR', target: safeName(target) });
}

/** Reads and checks a target's `winrm` keys; throws a CONNECT_ERROR naming the key otherwise. */
export function resolveWinrmSettings(target: Target, connectTimeoutMs?: number): WinrmSettings {
  const o = transportOptions(target);
  const name = safeName(target);
  if (o['realm'] !== undefined) throw configError(target, `Kerberos (realm: ${String(o['realm'])}) is not supported by Rivet's WinRM transport yet (target ${name}): use NTLM (user and password)`);
  if (o['file-protocol'] === 'smb') throw configError(target, `file-protocol: smb is not supported by Rivet's WinRM transport (target ${name}): use file-protocol: winrm`);
  const ssl = o['ssl'] !== false;
  const basicAuthOnly = o['basic-auth-only'] === true;
  if (basicAuthOnly && !ssl) throw configError(target, `basic-auth-only needs ssl: true on ${name}: Basic auth would send the password unencrypted over HTTP`);
  const host = target.host ?? (typeof o['host'] === 'string' ? o['host'] : undefined);
  if (host === undefined || host === '') throw configError(target, `Target ${name} has no host`);
  const user = target.user ?? (typeof o['user'] === 'string' ? o['user'] : undefined);
  const password = target.password ?? (typeof o['password'] === 'string' ? o['password'] : undefined);
  if (user === undefined || user === '') throw configError(target, `WinRM needs a user for ${name} (set user in the inventory, the URI or --user)`);
  if (password === undefined) throw configError(target, `WinRM needs a password for ${name} (set password in the inventory or --password)`);
  const port = target.port ?? (typeof o['port'] === 'number' ? o['port'] : ssl ? 5986 : 5985);
  const url = new URL(`${ssl ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/wsman`);
  const seconds = Number(o['connect-timeout'] ?? 10);
  return {
    url,
    ssl,
    sslVerify: o['ssl-verify'] !== false,
    cacert: typeof o['cacert'] === 'string' ? o['cacert'] : undefined,
    basicAuthOnly,
    user,
    password,
    connectTimeoutMs: connectTimeoutMs ?? seconds * 1000,
  };
}

export interface WinrmTransportOptions {
  /** Seal NTLM messages over HTTPS too (WinRb does; default false, as pywinrm's `auto`). */
  encryptOverHttps?: boolean;
  /** Bytes of a reply (and of a request's stdin chunk) per envelope; default 153600. */
  maxEnvelopeSize?: number;
  /** OperationTimeout of each Receive, seconds (default 5). */
  operationTimeoutSeconds?: number;
}

export class WinrmTransport implements Transport {
  readonly name = 'winrm' as const;

  constructor(private readonly options: WinrmTransportOptions = {}) {}

  /**
   * Checks the settings, then opens the socket and authenticates by creating and deleting a shell
   * within `connect-timeout`.
   */
  async connect(target: Target, options: ConnectOptions): Promise<Connection> {
    const settings = resolveWinrmSettings(target, options.connectTimeoutMs);
    const name = safeName(target);
    let ca: Buffer | undefined;
    if (settings.cacert !== undefined) {
      ca = await readFile(settings.cacert).catch((error: NodeJS.ErrnoException) => {
        throw configError(target, `cacert ${settings.cacert} of ${name} cannot be read: ${error.code ?? error.message}`);
      });
    }
    const auth: HttpAuth = settings.basicAuthOnly
      ? basicAuth(settings.user, settings.password)
      : ntlmAuth({ user: settings.user, password: settings.password }, { encrypt: !settings.ssl || this.options.encryptOverHttps === true });
    const http = new WsmanHttp({ url: settings.url, auth, rejectUnauthorized: settings.sslVerify, ca });
    const winrs = new Winrs({
      http,
      endpoint: settings.url.href,
      target: name,
      maxEnvelopeSize: this.options.maxEnvelopeSize ?? DEFAULT_MAX_ENVELOPE_SIZE,
      ...(this.options.operationTimeoutSeconds === undefined ? {} : { operationTimeoutSeconds: this.options.operationTimeoutSeconds }),
    });
    try {
      await probe(http, settings, name, options.signal);
    } catch (error) {
      await http.close();
      throw error;
    }
    return new WinrmConnection(target, winrs, http);
  }
}

/** Create + Delete a shell: proves the endpoint, the credentials and (over HTTP) the encryption. */
async function probe(http: WsmanHttp, settings: WinrmSettings, name: string, signal: AbortSignal): Promise<void> {
  const header = { to: settings.url.href, maxEnvelopeSize: DEFAULT_MAX_ENVELOPE_SIZE, operationTimeoutSeconds: 20 };
  const post = async (xml: string) => {
    try {
      const { xml: reply } = await http.post(xml, { signal, timeoutMs: settings.connectTimeoutMs });
      const parsed = parseReply(reply);
      if (parsed.fault) throw faultError(parsed.fault, 'connect', name);
      return parsed;
    } catch (error) {
      if (error instanceof RivetError) {
        if (error.kind === ErrorKind.Connect) throw error;
        throw new RivetError(ErrorKind.Connect, `Could not connect to ${name} over WinRM: ${error.message}`, { issueCode: 'CONNECT_ERROR', target: name, details: error.details });
      }
      const e = error as { reason?: string; message: string };
      if (e.reason === 'auth') throw new RivetError(ErrorKind.Connect, `WinRM authentication failed for ${settings.user} on ${name}: ${e.message}`, { issueCode: 'AUTH_ERROR', target: name });
      if (e.reason === 'aborted') throw new RivetError(ErrorKind.Canceled, 'Canceled', { target: name });
      throw new RivetError(ErrorKind.Connect, `Could not connect to ${name} (${settings.url.origin}): ${e.message}`, { issueCode: 'CONNECT_ERROR', target: name });
    }
  };
  const shellId = shellIdOf(await post(createShellEnvelope(header).xml));
  await post(deleteShellEnvelope({ ...header, shellId }).xml);
}
