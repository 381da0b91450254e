/**
 * Keeps passwords written in target URIs (`ssh://user:pw@host`, `user:pw@host`) out of what Rivet
 * hands to applications: events, results and their errors are scrubbed where they are made.
 *
 * @example
 * ```ts
 * redactUriPasswords('Failed to connect to ssh://root:hunter2@web1'); // 'Failed to connect to ssh://root@web1'
 * scrubStrings({ msg: 'root:pw@web1 down' }, (s) => s.replaceAll('root:pw@web1', 'root@web1')); // { msg: 'root@web1 down' }
 * ```
 * @module
 */

/** `scheme://user:password@`: any URI with a password, wherever it appears. */
const URI_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi;

/** Removes the password of every `scheme://user:password@` in the text. */
export function redactUriPasswords(text: string): string {
  return text.includes('@') ? text.replace(URI_WITH_PASSWORD, '$1@') : text;
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
