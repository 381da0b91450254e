/**
 * Linear-time matching for `Pattern[...]` types and JSON Schema `pattern`s: the regex source
 * Rivet produces for JavaScript ({@link rubyRegexToJs}) is rewritten to RE2 syntax and compiled
 * with re2js, whose matching time grows linearly with the input. So `Pattern[/(a+)+$/]` against a
 * crafted value cannot hang a run. Lookarounds and backreferences (which need backtracking) are
 * refused with a clear message.
 *
 * @example
 * ```ts
 * linearRegex('(a+)+$').test('a'.repeat(100_000) + '!'); // false, at once
 * ```
 * @module
 */
import { createRequire } from 'node:module';

/** What ajv needs from a regex: `test`. */
export interface LinearRegex {
  test(input: string): boolean;
  toString(): string;
}

/** The anchors {@link rubyRegexToJs} emits as lookarounds, and their RE2 spelling. */
const ANCHORS: readonly (readonly [string, string])[] = [
  ['(?=\\n?(?![\\s\\S]))', '(?:\\n?\\z)'],
  ['(?<![\\s\\S])', '\\A'],
  ['(?![\\s\\S])', '\\z'],
  ['(?<![^\\n])', '(?m:^)'],
  ['(?![^\\n])', '(?m:$)'],
];

/** Raised when a regex cannot run in linear time (or is not valid RE2 syntax). */
export class LinearRegexError extends Error {
  override readonly name = 'LinearRegexError';
}

/**
 * Rewrites JavaScript regex source (`u` mode) to RE2 syntax: the anchors above, `\uXXXX` and
 * `\u{X}` as `\x{X}`; everything else is the same in both.
 *
 * @example
 * ```ts
 * jsToRe2('(?<![\\s\\S])a+(?![\\s\\S])'); // '\\Aa+\\z'
 * ```
 */
export function jsToRe2(source: string): string {
  let out = '';
  let i = 0;
  let inClass = false;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const u = /^\\u(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{4}))/.exec(source.slice(i, i + 12));
      if (u) {
        out += `\\x{${u[1] ?? u[2]}}`;
        i += u[0].length;
      } else {
        out += source.slice(i, i + 2);
        i += 2;
      }
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      const open = openCharClass(source, i, ']');
      out += open.text;
      i = open.next;
      continue;
    }
    const anchor = ANCHORS.find(([js]) => source.startsWith(js, i));
    if (anchor) {
      out += anchor[1];
      i += anchor[0].length;
      continue;
    }
    out += c;
    i += 1;
  }
  return out;
}

type Re2Module = typeof import('re2js');
let re2: Re2Module | undefined;

/**
 * Reads the opening of a character class at `source[i]` (which is `[`): the `[`, a negating `^`
 * and a leading `]` (a literal there, written as `literalBracket` in the output). Shared by the
 * regex translators (Ruby to JS, JS to RE2), which scan classes alike.
 *
 * @example
 * ```ts
 * openCharClass('[^]a]', 0, '\\]'); // { text: '[^\\]', next: 3 }
 * ```
 */
export function openCharClass(source: string, i: number, literalBracket: string): { text: string; next: number } {
  let text = '[';
  let next = i + 1;
  if (source[next] === '^') {
    text += '^';
    next += 1;
  }
  if (source[next] === ']') {
    text += literalBracket;
    next += 1;
  }
  return { text, next };
}

/**
 * Compiles JavaScript regex source for linear-time matching (`test` finds a match anywhere, as
 * `RegExp.prototype.test` does).
 *
 * @throws LinearRegexError for lookarounds, backreferences and other backtracking-only syntax.
 * @example
 * ```ts
 * linearRegex('^[a-z]+$').test('abc'); // true
 * ```
 */
export function linearRegex(source: string): LinearRegex {
  // re2js is loaded on first use only (it is needed when a Pattern is checked, not at start-up).
  re2 ??= createRequire(import.meta.url)('re2js') as Re2Module;
  let compiled: ReturnType<Re2Module['RE2JS']['compile']>;
  try {
    compiled = re2.RE2JS.compile(jsToRe2(source));
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    throw new LinearRegexError(
      `the regex /${source}/ cannot be matched in linear time (${why}); lookarounds and backreferences are not supported`,
    );
  }
  return { test: (input) => compiled.matcher(input).find(), toString: () => `/${source}/` };
}

/**
 * {@link linearRegex} as an ajv `code.regExp` engine, so every `pattern` ajv checks runs in linear time.
 *
 * @example
 * ```ts
 * new Ajv({ code: { regExp: linearRegExpEngine } });
 * ```
 */
export const linearRegExpEngine = Object.assign((pattern: string) => linearRegex(pattern), { code: 'linearRegex' });
