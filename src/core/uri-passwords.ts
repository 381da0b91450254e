/**
 * Keeps passwords written in URIs (`ssh://user:pw@host`, `user:pw@host`, `postgres://:pw@db`) out
 * of what Rivet hands to applications: events, results and their errors are scrubbed where they
 * are made, and the CLI scrubs all it prints. Every place that removes a URI password uses this
 * module, so all read a URI the same way, the way the URI is parsed to connect (I-16): the
 * authority ends at the first `/`, `?` or `#`; the *last* `@` in it ends the user info (a password
 * may hold an unencoded `@`); the first `:` of the user info starts the password.
 *
 * @example
 * ```ts
 * safeUri('ssh://root:p@ss@web1:22'); // 'ssh://root@web1:22'
 * redactUriPasswords('Failed to connect to ssh://root:p@ss@web1'); // 'Failed to connect to ssh://root@web1'
 * redactUriPasswords('cannot reach postgres://:pw@db/rivet'); // 'cannot reach postgres://@db/rivet'
 * scrubStrings({ msg: 'root:pw@web1 down' }, (s) => s.replaceAll('root:pw@web1', 'root@web1')); // { msg: 'root@web1 down' }
 * ```
 * @module
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The parts of a URI's authority: `scheme://` (or ''), user info (or undefined), host and the rest. */
export interface UriAuthority {
  /** `scheme://`, or '' for a URI written without one (`user:pw@host`). */
  scheme: string;
  /** What stands before the last `@` of the authority, undefined without an `@`. */
  userinfo: string | undefined;
  /** The authority after the user info: `host[:port]`. */
  hostPort: string;
  /** A path, query or fragment after the authority, as written. */
  tail: string;
}

/**
 * Splits a URI into scheme, user info, host and the rest, as a URI is parsed to connect: the last
 * `@` before the first `/`, `?` or `#` ends the user info.
 *
 * @example
 * ```ts
 * splitAuthority('ssh://u:p@ss@h:22/x'); // { scheme: 'ssh://', userinfo: 'u:p@ss', hostPort: 'h:22', tail: '/x' }
 * ```
 */
export function splitAuthority(uri: string): UriAuthority {
  const scheme = SCHEME.exec(uri)?.[0] ?? '';
  const rest = uri.slice(scheme.length);
  const end = rest.search(/[/?#]/);
  const authority = end >= 0 ? rest.slice(0, end) : rest;
  const tail = end >= 0 ? rest.slice(end) : '';
  const at = authority.lastIndexOf('@');
  return at < 0
    ? { scheme, userinfo: undefined, hostPort: authority, tail }
    : { scheme, userinfo: authority.slice(0, at), hostPort: authority.slice(at + 1), tail };
}

/** True when the URI's user info holds a password (`user:pw@`, `:pw@`). */
export function hasUriPassword(uri: string): boolean {
  return splitAuthority(uri).userinfo?.includes(':') ?? false;
}

/**
 * The URI with its password removed (Bolt's `safe_name` of a target without a `name`); a URI
 * without a password is returned as is.
 *
 * @example
 * ```ts
 * safeUri('alice:p@ss@host:22'); // 'alice@host:22'
 * safeUri('postgres://:pw@db/rivet'); // 'postgres://@db/rivet'
 * safeUri('postgres://rivet:pw@db/runs', '***'); // 'postgres://rivet:***@db/runs' (`mask` in place of the password)
 * ```
 */
export function safeUri(uri: string, mask?: string): string {
  const { scheme, userinfo, hostPort, tail } = splitAuthority(uri);
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo === undefined || colon < 0) return uri;
  return `${scheme}${userinfo.slice(0, colon)}${mask === undefined ? '' : `:${mask}`}@${hostPort}${tail}`;
}

/**
 * A URI that could not be parsed, as it may be shown: when there is an `@` with a `:` before it
 * (after the scheme), everything from that `:` to the last `@` is dropped, whatever characters a
 * password holds (`#`, `?`, `/`, quotes end a parsed authority early, so {@link safeUri} would
 * keep them). Also what the password candidate is, so a message can avoid echoing parts of it.
 *
 * @example
 * ```ts
 * unparsedUriParts('ssh://root:p#ss?w@10.0.0.1:1'); // { safe: 'ssh://root@10.0.0.1:1', password: 'p#ss?w' }
 * ```
 */
export function unparsedUriParts(uri: string): { safe: string; password: string | undefined } {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)?([\s\S]*)@([^@]*)$/i.exec(uri);
  const userinfo = match?.[2];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (match === null || userinfo === undefined || colon < 0) return { safe: safeUri(uri), password: undefined };
  return { safe: `${match[1] ?? ''}${userinfo.slice(0, colon)}@${match[3]}`, password: userinfo.slice(colon + 1) };
}

/**
 * `scheme://` and the authority after it, in free text. The authority ends where a URI's does
 * (`/`, `?`, `#`), at white space or a quote (what surrounds a URI in messages and JSON), or where
 * the next `scheme://` starts (`ssh://a:pw@h1,ssh://b:pw@h2`).
 */
const URI_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/(?:(?![a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'`<>\\])*/gi;

/**
 * Removes the password of every `scheme://user:password@` in the text (`scheme://:password@` too),
 * wherever it appears (or puts `mask` in its place). URIs written without a scheme cannot be told from other text: remove those
 * by name with {@link safeUri}.
 */
export function redactUriPasswords(text: string, mask?: string): string {
  return text.includes('@') ? text.replace(URI_IN_TEXT, (uri) => safeList(uri, mask)) : text;
}

/** A host with an optional numeric port, after an optional `scheme://`: a whole target, not the start of `user:password`. */
const HOST_PORT = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^:@]*(?::\d*)?$/i;

/**
 * A match of {@link URI_IN_TEXT} may be a comma list of targets (`ssh://root@h1:22,bob:pw@h2`):
 * each is made safe on its own, so one's port is not read as the next one's password. A piece
 * that may be the start of a user and a password with a comma in it (`a:p,w@h`) is joined with
 * the pieces after it up to one holding an `@`.
 */
function safeList(text: string, mask: string | undefined): string {
  if (!text.includes(',')) return safeUri(text, mask);
  const pieces = text.split(',');
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    let piece = pieces[i]!;
    while (!piece.includes('@') && !HOST_PORT.test(piece) && i + 1 < pieces.length) piece += `,${pieces[++i]!}`;
    out.push(safeUri(piece, mask));
  }
  return out.join(',');
}

/**
 * A function that removes URI passwords from text: the given names (targets written with a
 * password, with or without a scheme) by their exact text first, then every `scheme://user:pw@`.
 *
 * @example
 * ```ts
 * const redact = uriPasswordRedactorFor(['alice:p@ss@web1']);
 * redact('Failed on alice:p@ss@web1 and ssh://bob:x@web2'); // 'Failed on alice@web1 and ssh://bob@web2'
 * ```
 */
export function uriPasswordRedactorFor(names: Iterable<string>): (text: string) => string {
  const pairs = new Map<string, string>();
  for (const name of names) {
    const safe = safeUri(name);
    if (safe !== name) pairs.set(name, safe);
  }
  const longestFirst = [...pairs].sort((a, b) => b[0].length - a[0].length);
  return (text) => {
    let out = text;
    for (const [unsafe, safe] of longestFirst) if (out.includes(unsafe)) out = out.replaceAll(unsafe, safe);
    return redactUriPasswords(out);
  };
}

/**
 * Applies `redact` to every string in plain JSON-like data (arrays and plain objects, at any
 * depth), copying only what changes: unchanged data is returned as is.
 */
export function scrubStrings<T>(value: T, redact: (text: string) => string, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (value === null || typeof value !== 'object' || depth > 200) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const scrubbed = scrubStrings(item, redact, depth + 1);
      if (scrubbed !== item) (out ??= [...value])[i] = scrubbed;
    });
    return (out ?? value) as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // Sensitive, Buffers, class instances: as they are
  let out: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const scrubbed = scrubStrings(item, redact, depth + 1);
    if (scrubbed !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = scrubbed;
  }
  return (out ?? value) as T;
}
