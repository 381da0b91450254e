/**
 * Translation of Ruby regex literals (as written in `Pattern[/.../]`) into JavaScript regex source
 * with the same meaning, for JSON Schema `pattern` (which ajv compiles with the `u` flag).
 *
 * Translated: `\A`, `\z`, `\Z`, `\h`/`\H`, Ruby's line anchors `^`/`$`, escaped `/`, identity escapes
 * (`\-`, `\'`), POSIX bracket classes (`[[:alpha:]]`). Rejected with a clear message: atomic
 * groups `(?>`, inline options `(?i)`, comments `(?#`, possessive quantifiers (`a++`), `\G`, `\K`,
 * `\R`, `\X`, class intersection `&&`, nested classes.
 *
 * @example
 * ```ts
 * rubyRegexToJs('\\A[a-z]+\\z'); // '(?<![\\s\\S])[a-z]+(?![\\s\\S])'
 * ```
 * @module
 */
import { linearRegex, openCharClass } from './linear-regex.ts';

/** Raised for a Ruby regex construct JavaScript cannot express; `offset` is within the source. */
export class RegexTranslationError extends Error {
  override readonly name = 'RegexTranslationError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\s',
  xdigit: '0-9a-fA-F',
  word: '\\w',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  cntrl: '\\x00-\\x1f\\x7f',
};

/** Characters that keep their backslash in a `u`-mode JS regex (syntax characters). */
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

const UNSUPPORTED_ESCAPES: Record<string, string> = {
  G: '\\G (match start anchor)',
  K: '\\K (keep)',
  R: '\\R (linebreak)',
  X: '\\X (extended grapheme)',
  Q: '\\Q (quote)',
  E: '\\E (end quote)',
  g: '\\g (subexpression call)',
  k: '\\k (named backreference)',
};

/**
 * Translates the source of a Ruby regex (between the slashes, `\/` allowed) to JS regex source.
 *
 * @throws RegexTranslationError for constructs without a JS equivalent, or when the result is not a
 *   valid JS regex.
 * @example
 * ```ts
 * new RegExp(rubyRegexToJs('^a$'), 'u').test('x\na'); // true: Ruby's ^ and $ are line anchors
 * ```
 */
export function rubyRegexToJs(source: string): string {
  let out = '';
  let inClass = false;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new RegexTranslationError('regex ends with a lone backslash', i);
      const unsupported = UNSUPPORTED_ESCAPES[next];
      if (unsupported !== undefined) throw new RegexTranslationError(`unsupported Ruby regex construct ${unsupported}`, i);
      if (next === 'A' || next === 'z' || next === 'Z') {
        if (inClass) throw new RegexTranslationError(`anchor \\${next} inside a character class`, i);
        out += next === 'A' ? '(?<![\\s\\S])' : next === 'z' ? '(?![\\s\\S])' : '(?=\\n?(?![\\s\\S]))';
      } else if (next === 'h') {
        out += inClass ? '0-9a-fA-F' : '[0-9a-fA-F]';
      } else if (next === 'H') {
        if (inClass) throw new RegexTranslationError('unsupported Ruby regex construct \\H inside a character class', i);
        out += '[^0-9a-fA-F]';
      } else if (/[0-9a-zA-Z]/.test(next)) {
        out += `\\${next}`;
      } else if (JS_SYNTAX.has(next) || (inClass && next === '-')) {
        out += next === '/' ? '\\/' : `\\${next}`;
      } else {
        // Ruby allows escaping any punctuation; in u-mode JS only syntax characters may be escaped.
        out += next;
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(source.slice(i));
        if (m) {
          const cls = POSIX_CLASSES[m[2] as string];
          if (cls === undefined || m[1] === '^') {
            throw new RegexTranslationError(`unsupported POSIX bracket expression '${m[0]}'`, i);
          }
          out += cls;
          i += m[0].length;
          continue;
        }
        throw new RegexTranslationError('unsupported Ruby regex construct: nested character class', i);
      }
      if (c === '&' && source[i + 1] === '&') {
        throw new RegexTranslationError('unsupported Ruby regex construct: character class intersection (&&)', i);
      }
      if (c === ']') inClass = false;
      out += c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A leading ']' (or '^]') is a literal in Ruby; JS needs it escaped.
      const open = openCharClass(source, i, '\\]');
      out += open.text;
      i = open.next;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith('>')) throw new RegexTranslationError('unsupported Ruby regex construct: atomic group (?>...)', i);
      if (rest.startsWith('#')) throw new RegexTranslationError('unsupported Ruby regex construct: comment group (?#...)', i);
      if (/^[imx-]+[):]/.test(rest)) throw new RegexTranslationError('unsupported Ruby regex construct: inline options (?imx)', i);
      if (rest.startsWith('~')) throw new RegexTranslationError('unsupported Ruby regex construct: absent operator (?~...)', i);
      out += '(?';
      i += 2;
      continue;
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && source[i + 1] === '+') {
      throw new RegexTranslationError(`unsupported Ruby regex construct: possessive quantifier '${c}+'`, i);
    }
    if (c === '^') out += '(?<![^\\n])';
    else if (c === '$') out += '(?![^\\n])';
    else out += c;
    i += 1;
  }
  if (inClass) throw new RegexTranslationError('unterminated character class', n);
  try {
    new RegExp(out, 'u');
  } catch (error) {
    throw new RegexTranslationError(`invalid regex: ${(error as Error).message}`, 0);
  }
  try {
    linearRegex(out);
  } catch (error) {
    throw new RegexTranslationError(`unsupported Ruby regex construct: ${(error as Error).message}`, 0);
  }
  return out;
}
