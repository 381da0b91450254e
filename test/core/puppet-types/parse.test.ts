import { describe, expect, it } from 'vitest';
import { createAjv } from '../../../src/runtime/tasks/validate.ts';
import { formatType, parseType, toJsonSchema, tokenize, type PuppetType } from '../../../src/core/puppet-types/index.ts';

const ajv = createAjv();

interface Row {
  text: string;
  canonical?: string;
  ast?: PuppetType;
  ok: unknown[];
  bad: unknown[];
}

// T-13: every type form a task parameter may use.
const rows: Row[] = [
  { text: 'String', ast: { kind: 'String', min: undefined, max: undefined }, ok: ['', 'x'], bad: [1, null, true] },
  { text: 'String[1]', ast: { kind: 'String', min: 1, max: undefined }, ok: ['x'], bad: ['', 3] },
  { text: 'String[1,10]', canonical: 'String[1, 10]', ok: ['abc'], bad: ['', 'x'.repeat(11)] },
  { text: 'String[default, 2]', ok: ['', 'ab'], bad: ['abc'] },
  { text: 'Integer', ok: [0, -5, 1e6], bad: [1.5, '1', null] },
  { text: 'Integer[1]', ok: [1, 99999], bad: [0] },
  { text: 'Integer[1, 65535]', ast: { kind: 'Integer', min: 1, max: 65535 }, ok: [1, 65535], bad: [0, 65536, 'eighty'] },
  { text: 'Integer[default, 10]', ok: [-100, 10], bad: [11] },
  { text: 'Integer[1, default]', canonical: 'Integer[1]', ok: [1], bad: [0] },
  { text: 'Float', ok: [1.5, 2], bad: ['1.5'] },
  { text: 'Float[0, 1.5]', canonical: 'Float[0.0, 1.5]', ok: [0, 1.5], bad: [1.6, -0.1] },
  { text: 'Numeric', ok: [1, 1.5], bad: ['1'] },
  { text: 'Boolean', ok: [true, false], bad: ['true', 0] },
  { text: 'Enum[a, \'b\', "c"]', canonical: "Enum['a', 'b', 'c']", ok: ['a', 'b', 'c'], bad: ['d', 'A', 1] },
  { text: "Enum['it\\'s']", ok: ["it's"], bad: ['its'] },
  { text: 'Enum[present, absent, foo_bar, foo-bar]', canonical: "Enum['present', 'absent', 'foo_bar', 'foo-bar']", ok: ['foo-bar'], bad: ['foo'] },
  { text: 'Pattern[/^a+$/]', ok: ['aaa', 'x\naa'], bad: ['b', 'ab'] },
  { text: 'Pattern[/\\A[a-z]+\\z/]', ok: ['abc'], bad: ['abc\n', 'a1'] },
  { text: 'Pattern[/\\A[a-z]+\\Z/]', ok: ['abc', 'abc\n'], bad: ['abc\n\n'] },
  { text: 'Pattern[/\\A\\/etc\\//]', ok: ['/etc/x'], bad: ['etc'] },
  { text: 'Pattern[/a/, /b/]', ok: ['xa', 'bx'], bad: ['c'] },
  { text: 'Pattern[/\\A\\h+\\z/]', ok: ['dead00'], bad: ['xyz'] },
  { text: 'Pattern[/\\A[[:alpha:]]+\\z/]', ok: ['abc'], bad: ['a1'] },
  { text: 'Pattern[/\\A\\-x\\z/]', ok: ['-x'], bad: ['x'] },
  { text: 'Optional[String]', ok: ['a', null], bad: [1] },
  { text: 'NotUndef[Optional[String]]', ok: ['a'], bad: [null] },
  { text: 'NotUndef', ok: [1, 'a', {}], bad: [null] },
  { text: 'Undef', ok: [null], bad: ['', 0] },
  { text: 'Array', ok: [[], [1, 'a', null]], bad: [{}, 'a'] },
  { text: 'Array[String]', ok: [[], ['a']], bad: [[1]] },
  { text: 'Array[String, 1]', ok: [['a']], bad: [[]] },
  { text: 'Array[String, 1, 2]', ok: [['a', 'b']], bad: [[], ['a', 'b', 'c']] },
  { text: 'Hash', ok: [{}, { a: 1 }], bad: [[], 'a'] },
  { text: 'Hash[String, Integer]', ok: [{ a: 1 }], bad: [{ a: 'x' }] },
  { text: 'Hash[String[2], Integer, 1, 2]', ok: [{ ab: 1 }], bad: [{}, { a: 1 }, { ab: 1, cd: 2, ef: 3 }] },
  { text: "Hash[Enum[a, b], Boolean]", canonical: "Hash[Enum['a', 'b'], Boolean]", ok: [{ a: true }], bad: [{ c: true }] },
  {
    text: "Struct[{a => String, Optional[b] => Integer, 'c' => Optional[Boolean]}]",
    canonical: "Struct[{'a' => String, Optional['b'] => Integer, 'c' => Optional[Boolean]}]",
    ok: [{ a: 'x' }, { a: 'x', b: 1, c: null }],
    bad: [{}, { a: 'x', d: 1 }, { a: 'x', b: 'no' }],
  },
  { text: "Struct[{NotUndef['k'] => String}]", canonical: "Struct[{'k' => String}]", ok: [{ k: 'v' }], bad: [{}] },
  { text: 'Tuple[String, Integer]', ok: [['a', 1]], bad: [['a'], ['a', 1, 2], [1, 'a']] },
  { text: 'Tuple[String, Integer, 1]', ok: [['a'], ['a', 1, 2, 3]], bad: [[], ['a', 'b']] },
  { text: 'Tuple[String, Integer, 1, 3]', ok: [['a'], ['a', 1, 2]], bad: [['a', 1, 2, 3]] },
  { text: 'Variant[String, Boolean]', ok: ['a', true], bad: [1] },
  { text: 'Variant[Integer[1, 2], Enum[x]]', canonical: "Variant[Integer[1, 2], Enum['x']]", ok: [1, 'x'], bad: [3, 'y'] },
  { text: 'Data', ok: [null, 1, 'a', [{}], { a: [1] }], bad: [] },
  { text: 'Any', ok: [null, 1, 'a'], bad: [] },
  { text: 'Scalar', ok: [1, 'a', true], bad: [null, [], {}] },
  { text: 'ScalarData', ok: [1.5, 'a', false], bad: [null, []] },
  { text: 'Sensitive[String[1]]', ok: ['s'], bad: ['', 1] },
  { text: 'Sensitive', ok: ['s', 1], bad: [] },
  { text: 'Target', ok: ['web1', { name: 'web1' }], bad: [1] },
  { text: 'TargetSpec', ok: ['web1', ['a', ['b', { name: 'c' }]]], bad: ['', [''], 1] },
  { text: 'Boltlib::TargetSpec', ok: ['web1'], bad: [''] },
  { text: 'Stdlib::Port', ok: [0, 65535], bad: [65536] },
  { text: 'Stdlib::Absolutepath', ok: ['/etc/hosts', 'C:\\x'], bad: ['etc/hosts'] },
  { text: ' Array[ Optional[ String ] , 1 ] ', canonical: 'Array[Optional[String], 1]', ok: [[null]], bad: [[]] },
  { text: 'Array[String,]', canonical: 'Array[String]', ok: [['a']], bad: [[1]] },
];

describe('T-13: Puppet type forms', () => {
  for (const row of rows) {
    it(`T-13: ${row.text}`, () => {
      const ast = parseType(row.text);
      if (row.ast) expect(ast).toEqual(row.ast);
      const text = formatType(ast);
      expect(text).toBe(row.canonical ?? row.text);
      expect(parseType(text)).toEqual(ast);
      const validate = ajv.compile(toJsonSchema(ast));
      for (const value of row.ok) expect(validate(value), `${row.text} accepts ${JSON.stringify(value)}`).toBe(true);
      for (const value of row.bad) expect(validate(value), `${row.text} rejects ${JSON.stringify(value)}`).toBe(false);
    });
  }

  it('T-13: JSON schema shapes', () => {
    expect(toJsonSchema(parseType('Optional[String[1]]'))).toEqual({ anyOf: [{ type: 'null' }, { type: 'string', minLength: 1 }] });
    expect(toJsonSchema(parseType('Integer[1, 65535]'))).toEqual({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(toJsonSchema(parseType('Struct[{a => String}]'))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      required: ['a'],
      additionalProperties: false,
    });
  });

  it('user-supplied aliases resolve and keep their name', () => {
    const ast = parseType('Array[Demo::Port]', { aliases: { 'Demo::Port': 'Integer[1, 65535]' } });
    expect(ast).toEqual({ kind: 'Array', element: { kind: 'Alias', name: 'Demo::Port', type: { kind: 'Integer', min: 1, max: 65535 } }, min: undefined, max: undefined });
    expect(formatType(ast)).toBe('Array[Demo::Port]');
  });

  it('tokenizer reports columns', () => {
    expect(tokenize('Integer[1]').map((t) => [t.kind, t.column])).toEqual([
      ['typename', 1],
      ['[', 8],
      ['integer', 9],
      [']', 10],
      ['eof', 11],
    ]);
  });
});

const errors: [string, string][] = [
  ['Strng', "unknown type 'Strng' at column 1 (did you mean 'String'?)"],
  ['Optional[Integr]', "unknown type 'Integr' at column 10 (did you mean 'Integer'?)"],
  ['Frobnicate', "unknown type 'Frobnicate' at column 1"],
  ['string', "expected a type name at column 1, got 'string' (did you mean 'String'?)"],
  ['', 'expected a type name at column 1, got end of text'],
  ['Integer[', 'expected an integer or default at column 9, got end of text'],
  ['Integer[1.5]', "expected an integer or default at column 9, got '1.5'"],
  ['Integer[1, 2, 3]', 'Integer takes at most 2 parameters, got 3 (at column 1)'],
  ['String[5, 1]', 'String minimum 5 is greater than maximum 1 (at column 1)'],
  ['String[-1]', 'String size bounds must not be negative (at column 1)'],
  ['Optional[String', "expected ',' or ']' at column 16, got end of text"],
  ['Optional', 'Optional needs a type parameter, e.g. Optional[String] (at column 1)'],
  ['Optional[String, Integer]', 'Optional takes exactly 1 type parameter, got 2 (at column 1)'],
  ['String]', "expected end of type at column 7, got ']'"],
  ['Boolean[1]', 'Boolean takes no parameters (at column 8)'],
  ['Enum[A]', "expected a string or bare word in Enum at column 6, got 'A'"],
  ["Enum['a", 'unterminated string starting at column 6'],
  ['Pattern[/a', 'unterminated regex starting at column 9'],
  ["Pattern['a']", "expected a regex (/.../) in Pattern at column 9, got string 'a'; write /a/"],
  ['Pattern[/(?>a)/]', 'unsupported Ruby regex construct: atomic group (?>...) in /(?>a)/ at column 10'],
  ['Pattern[/(?i)a/]', 'unsupported Ruby regex construct: inline options (?imx) in /(?i)a/ at column 10'],
  ['Pattern[/a++/]', "unsupported Ruby regex construct: possessive quantifier '++' in /a++/ at column 11"],
  ['Pattern[/\\Ga/]', 'unsupported Ruby regex construct \\G (match start anchor) in /\\Ga/ at column 10'],
  ['Pattern[/[a&&b]/]', 'unsupported Ruby regex construct: character class intersection (&&) in /[a&&b]/ at column 12'],
  ['Pattern[/(a/]', 'invalid regex: Invalid regular expression: /(a/u: Unterminated group in /(a/ at column 10'],
  ['Object', "type 'Object' at column 1 is not Data: task parameters accept only Data (JSON-compatible) types"],
  ['Array[Resource]', "type 'Resource' at column 7 is not Data: task parameters accept only Data (JSON-compatible) types"],
  ['Hash[Integer, String]', 'Hash key type Integer at column 6 is not Data: hash keys must be String, Enum or Pattern'],
  ['Hash[String]', 'Hash needs a key and a value type, e.g. Hash[String, Integer] (at column 1)'],
  ['Array[]', 'Array[] needs an element type (at column 1)'],
  ["Struct[{a => String, 'a' => Integer}]", "duplicate Struct key 'a' at column 22"],
  ['Struct[{a String}]', "expected '=>' at column 11, got 'String'"],
  ['Struct[a => String]', "expected '{' (Struct[{key => Type, ...}]) at column 8, got 'a'"],
  ['Tuple[1]', 'Tuple needs at least one type before its size bounds (at column 1)'],
  ['Integer[1] & String', "unexpected character '&' at column 12"],
  ['"${x}"', 'string interpolation is not allowed in a type at column 2'],
];

describe('type syntax errors say what was expected where', () => {
  for (const [text, message] of errors) {
    it(`T-13: rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseType(text)).toThrow(message);
      try {
        parseType(text);
      } catch (error) {
        expect((error as Error).message).toBe(message);
      }
    });
  }
  it('alias cycles are reported', () => {
    expect(() => parseType('A::B', { aliases: { 'A::B': 'Array[A::B]' } })).toThrow(/refers to itself/);
  });
});
