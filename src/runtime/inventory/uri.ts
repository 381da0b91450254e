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
import { safeUri, splitAuthority, unparsedUriParts } from '../../core/uri-passwords.ts';

export { safeUri };

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

/** Percent-decodes a part of the URI; an error names the part, never a password's text. */
function decode(part: string, uri: string, secret = false): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw uriError(uri, secret ? 'bad percent-encoding in the password' : `bad percent-encoding in '${part}'`);
  }
}

function uriError(uri: string, why: string): RivetError {
  const { safe, password } = unparsedUriParts(uri);
  // A reason quoting a piece of the password (a '#' or '?' in it ends the authority early, so its
  // first part reads as a port) is replaced by what to do about it.
  const echoes = password !== undefined && password.split(/[#?/@'"`\\<>\s]+/).some((piece) => piece !== '' && why.includes(piece));
  const reason = echoes ? "it is not a valid URI (a password holding '#', '?', '/' or '@' must be percent-encoded)" : why.replaceAll(uri, safe);
  return new RivetError(ErrorKind.Inventory, `Could not parse target URI '${safe}': ${reason}`, {
    details: { uri: safe },
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
  // Anything after the authority (a path, query or fragment) is not part of a target address;
  // the last `@` ends the user info (as everywhere a password is removed, see splitAuthority).
  const { userinfo, hostPort } = splitAuthority(rest);
  rest = hostPort;

  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      user = decode(userinfo.slice(0, colon), uri);
      password = decode(userinfo.slice(colon + 1), uri, true);
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
