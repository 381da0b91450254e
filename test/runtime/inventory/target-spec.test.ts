import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { expandTargetArgs, splitTargetSpec } from '../../../src/runtime/inventory/target-spec.ts';
import { globToRegExp, isGlob } from '../../../src/runtime/inventory/glob.ts';

describe('splitTargetSpec (I-13)', () => {
  it('I-13: splits on commas and whitespace', () => {
    expect(splitTargetSpec(' a, b\tc\n,d ')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('I-13: plan split breaks braces apart; CLI extended split keeps commas inside {} and []', () => {
    expect(splitTargetSpec('web{1,2},db')).toEqual(['web{1', '2}', 'db']);
    expect(splitTargetSpec('web{1,2},db[1,2] x', { cli: true })).toEqual(['web{1,2}', 'db[1,2]', 'x']);
  });

  it('I-13 property: tokens never contain separators and joining them back re-splits the same', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9.*?_-]{1,8}$/), { maxLength: 8 }), fc.constantFrom(',', ' ', ', ', '\t'), (names, sep) => {
        const spec = names.join(sep);
        expect(splitTargetSpec(spec)).toEqual(names);
        expect(splitTargetSpec(spec, { cli: true })).toEqual(names);
      }),
    );
  });
});

describe('globs (I-15)', () => {
  it('I-15: * ? [set] [^set] and escapes, case-insensitive', () => {
    expect(globToRegExp('web*').test('WEB12.example.com')).toBe(true);
    expect(globToRegExp('db?').test('db1')).toBe(true);
    expect(globToRegExp('db?').test('db12')).toBe(false);
    expect(globToRegExp('db[12]').test('db2')).toBe(true);
    expect(globToRegExp('db[^12]').test('db2')).toBe(false);
    expect(globToRegExp('db[!12]').test('db3')).toBe(true);
    expect(globToRegExp('a\\*b').test('a*b')).toBe(true);
    expect(globToRegExp('a\\*b').test('axxb')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('I-15: {a,b} only with braces (CLI)', () => {
    expect(globToRegExp('{web,db}1', { braces: true }).test('db1')).toBe(true);
    expect(globToRegExp('{web,db}1').test('db1')).toBe(false);
    expect(globToRegExp('{web,db}1').test('{web,db}1')).toBe(true);
  });

  it('I-14: glob characters', () => {
    for (const t of ['a*', 'a?', 'a[1]', 'a{b}']) expect(isGlob(t)).toBe(true);
    expect(isGlob('web1.example.com')).toBe(false);
  });
});

describe('expandTargetArgs (I-17)', () => {
  const files: Record<string, string> = { 'hosts.txt': '# web servers\nweb1\n\n  web2  \n#web3\n' };
  const readFile = (p: string): string => {
    const text = files[p];
    if (text === undefined) throw new Error(`ENOENT: no such file '${p}'`);
    return text;
  };

  it('I-17: @file gives one target per line, ignoring blank lines and # comments', () => {
    expect(expandTargetArgs(['@hosts.txt'], { readFile, stdin: () => '' })).toEqual(['web1', 'web2']);
  });

  it('I-17: - reads stdin; the flag is repeatable and order is kept', () => {
    expect(expandTargetArgs(['db1,db2', '-', '@hosts.txt'], { readFile, stdin: () => 'x\ny\n' })).toEqual(['db1,db2', 'x', 'y', 'web1', 'web2']);
  });

  it('I-17: a missing @file is a usage error naming the file', () => {
    expect(() => expandTargetArgs(['@nope.txt'], { readFile, stdin: () => '' })).toThrow("cannot read targets file 'nope.txt'");
  });

  it('I-17: stdin can be read only once', () => {
    expect(() => expandTargetArgs(['-', '-'], { readFile, stdin: () => 'a' })).toThrow(/only once/);
  });
});
