import { describe, expect, it } from 'vitest';
import { jsToRe2, linearRegex, LinearRegexError, rubyRegexToJs } from '../../../src/core/puppet-types/index.ts';
import { openCharClass } from '../../../src/core/puppet-types/linear-regex.ts';

describe('linear-time patterns', () => {
  it('T-13: the anchors rubyRegexToJs emits become RE2 anchors', () => {
    expect(jsToRe2(rubyRegexToJs('\\A[a-z]+\\z'))).toBe('\\A[a-z]+\\z');
    expect(jsToRe2(rubyRegexToJs('^a$'))).toBe('(?m:^)a(?m:$)');
    expect(jsToRe2(rubyRegexToJs('a\\Z'))).toBe('a(?:\\n?\\z)');
    expect(jsToRe2('\\u0041[\\u{1F600}]')).toBe('\\x{0041}[\\x{1F600}]');
    // Inside a class or escaped, the same characters are left alone.
    expect(jsToRe2('[(?<![\\s\\S])]')).toBe('[(?<![\\s\\S])]');
  });

  it('T-13: matching keeps Ruby semantics', () => {
    const t = (ruby: string, s: string): boolean => linearRegex(rubyRegexToJs(ruby)).test(s);
    expect(t('\\A[a-z]+\\z', 'abc')).toBe(true);
    expect(t('\\A[a-z]+\\z', 'abc\n')).toBe(false);
    expect(t('\\A[a-z]+\\Z', 'abc\n')).toBe(true);
    expect(t('^b$', 'a\nb\nc')).toBe(true);
    expect(t('[[:alpha:]]+\\h', 'xF')).toBe(true);
    expect(t('(a+)+$', `${'a'.repeat(200_000)}!`)).toBe(false);
  });

  it('refuses what needs backtracking, with a clear message', () => {
    expect(() => linearRegex('a(?=b)')).toThrow(LinearRegexError);
    expect(() => linearRegex('(a)\\1')).toThrow(/cannot be matched in linear time/);
  });
});

describe('the character-class opening both translators share', () => {
  it('reads [, a negating ^ and a leading literal ], written the way each target wants it', () => {
    expect(openCharClass('[^]a]', 0, '\\]')).toEqual({ text: '[^\\]', next: 3 });
    expect(openCharClass('x[]a]', 1, ']')).toEqual({ text: '[]', next: 3 });
    expect(openCharClass('[ab]', 0, '\\]')).toEqual({ text: '[', next: 1 });
    expect(rubyRegexToJs('[]a]')).toBe('[\\]a]');
    expect(jsToRe2('[^]a]')).toBe('[^]a]');
  });
});
