/**
 * POSIX shell quoting. Pure functions, property-tested: any string without NUL round-trips
 * unchanged through `sh`.
 *
 * @example
 * ```ts
 * shellQuote("it's $HOME"); // 'it'\''s $HOME'
 * shellJoin(['printf', '%s', 'a b']); // printf %s 'a b'
 * ```
 * @module
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell. Throws on NUL, which no shell word can hold. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new TypeError('A shell argument cannot contain a NUL byte');
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** True for a valid environment variable name (what `export NAME=...` accepts). */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
