/**
 * Target URIs: `[transport://][user[:password]@]host[:port]` (I-16).
 *
 * User and password are percent-decoded; an IPv6 host is written in brackets (`[::1]:2222`) and
 * returned without them.
 *
 * @example
 * ```ts
 * parseTargetUri('ssh://deploy:s%40cret@[::1]:2222');
 * // { transport: 'ssh', user: 'deploy', password: 's@cret', host: '::1', port: 2222 }
 * safeUri('ssh://deploy:s%40cret@web1'); // 'ssh://deploy@web1'
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';

/** The parts of a target URI. Absent parts are `undefined`. */
export interface TargetUri {
  transport: string | undefined;
  user: string | undefined;
  password: string | undefined;
  host: string | undefined;
  port: number | undefined;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** True when the string starts with `scheme://`. */
export function hasScheme(value: string): boolean {
  return SCHEME.test(value);
}

function decode(part: string, uri: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw uriError(uri, `bad percent-encoding in '${part}'`);
  }
}

function uriError(uri: string, why: string): RivetError {
  return new RivetError(ErrorKind.Inventory, `Could not parse target URI '${uri}': ${why}`, {
    details: { uri },
  });
}

/**
 * Parses a target URI. Throws a `bolt.inventory/validation-error` for an empty string, a bad port
 * or a bad percent-escape.
 *
 * @example
 * ```ts
 * parseTargetUri('winrm://admin@win1:5985').port; // 5985
 * ```
 */
export function parseTargetUri(uri: string): TargetUri {
  if (uri === '') throw uriError(uri, 'URI is empty string');
  let rest = uri;
  let transport: string | undefined;
  const scheme = SCHEME.exec(rest);
  if (scheme) {
    transport = scheme[1]?.toLowerCase();
    rest = rest.slice(scheme[0].length);
  }
  // Anything after the authority (a path, query or fragment) is not part of a target address.
  const end = rest.search(/[/?#]/);
  if (end >= 0) rest = rest.slice(0, end);

  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      user = decode(userinfo.slice(0, colon), uri);
      password = decode(userinfo.slice(colon + 1), uri);
    } else {
      user = decode(userinfo, uri);
    }
    if (user === '') user = undefined;
  }

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw uriError(uri, "missing ']' after IPv6 address");
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw uriError(uri, `unexpected '${after}' after ']'`);
      portText = after.slice(1);
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons === 1) {
      const colon = rest.indexOf(':');
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    } else {
      // No colon, or a bare IPv6 address such as `::1` (no port possible without brackets).
      host = rest;
    }
  }

  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
      throw uriError(uri, `invalid port '${portText}'`);
    }
    port = Number(portText);
  }
  return { transport, user, password, host: host === '' ? undefined : host, port };
}

/**
 * The URI with its password removed (Bolt's `safe_name` of a target without a `name`).
 *
 * @example
 * ```ts
 * safeUri('alice:pw@host:22'); // 'alice@host:22'
 * ```
 */
export function safeUri(uri: string): string {
  const scheme = SCHEME.exec(uri)?.[0] ?? '';
  const rest = uri.slice(scheme.length);
  const end = rest.search(/[/?#]/);
  const authority = end >= 0 ? rest.slice(0, end) : rest;
  const tail = end >= 0 ? rest.slice(end) : '';
  const at = authority.lastIndexOf('@');
  if (at < 0) return uri;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return uri;
  return `${scheme}${userinfo.slice(0, colon)}@${authority.slice(at + 1)}${tail}`;
}
