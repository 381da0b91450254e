/**
 * Target-name globs (I-15): `*`, `?`, `[set]`, `[^set]`/`[!set]`, `\` escapes, and `{a,b}`
 * alternatives only for specs typed on the command line. Matching is case-insensitive because
 * host names are.
 *
 * @example
 * ```ts
 * globToRegExp('web[0-9]*').test('WEB1.example.com'); // true
 * globToRegExp('{web,db}1', { braces: true }).test('db1'); // true
 * ```
 * @module
 */

/** Characters that make a spec token a glob (I-14). */
const GLOB_CHARS = /[*?[\]{}]/;

/** True when the token contains any of `* ? [ ] { }`. */
export function isGlob(token: string): boolean {
  return GLOB_CHARS.test(token);
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * Compiles a glob into an anchored RegExp, case-insensitive unless `caseSensitive`.
 *
 * @example
 * ```ts
 * globToRegExp('db?').source; // '^db.$'
 * ```
 */
export function globToRegExp(glob: string, options: { braces?: boolean; caseSensitive?: boolean } = {}): RegExp {
  const braces = options.braces ?? false;
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '\\') {
      const next = glob[i + 1];
      if (next === undefined) {
        out += '\\\\';
      } else {
        out += escapeRegExp(next);
        i++;
      }
    } else if (ch === '*') {
      out += '.*';
    } else if (ch === '?') {
      out += '.';
    } else if (ch === '[') {
      const set = readSet(glob, i);
      if (set) {
        out += set.source;
        i = set.end;
      } else {
        out += '\\[';
      }
    } else if (braces && ch === '{' && hasClosingBrace(glob, i)) {
      out += '(?:';
      depth++;
    } else if (braces && ch === '}' && depth > 0) {
      out += ')';
      depth--;
    } else if (braces && ch === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${out}$`, options.caseSensitive === true ? '' : 'i');
}

function hasClosingBrace(glob: string, start: number): boolean {
  let depth = 0;
  for (let i = start; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return true;
  }
  return false;
}

/** Reads a `[...]` set starting at `start`; undefined when it is not closed. */
function readSet(glob: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '^' || glob[i] === '!') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === ']' && !first) {
      return { source: `[${negate ? '^' : ''}${body}]`, end: i };
    }
    first = false;
    if (ch === '\\') {
      const next = glob[i + 1];
      if (next === undefined) return undefined;
      body += `\\${next}`;
      i++;
    } else if (ch === '-') {
      body += '-';
    } else {
      body += /[\\^\]]/.test(ch) ? `\\${ch}` : ch;
    }
  }
  return undefined;
}
