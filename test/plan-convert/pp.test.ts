/** The SDK's `pp` helpers: Puppet's semantics where JavaScript's differ (each case states Puppet's rule). */
import { describe, expect, it } from 'vitest';
import { pp, Result, ResultSet } from 'rivetops';

const target = { name: 'w1', transport: 'local', facts: {}, vars: {} } as never;

describe('pp: Puppet semantics for converted plans', () => {
  it('truthiness: only undef and false are false', () => {
    expect([undefined, null, false, '', 0, [], {}].map(pp.truthy)).toEqual([false, false, false, true, true, true, true]);
  });

  it('== ignores case for strings, compares arrays and hashes deeply, undef equals undef', () => {
    expect(pp.eq('Web', 'wEB')).toBe(true);
    expect(pp.eq(['A', { k: 'X' }], ['a', { k: 'x' }])).toBe(true);
    expect(pp.eq(1, '1')).toBe(false);
    expect(pp.eq(undefined, null)).toBe(true);
  });

  it('integer division rounds down (Ruby), % follows the divisor, division by 0 is an error', () => {
    expect([pp.div(7, 2), pp.div(-7, 2), pp.div(7.5, 2), pp.mod(-7, 3), pp.mod(7, -3)]).toEqual([3, -4, 3.75, 2, -2]);
    expect(() => pp.div(1, 0)).toThrow(/Division by 0/);
  });

  it('+ and - on arrays and hashes; numeric strings are numbers; comparing a string with a number is an error', () => {
    expect(pp.add([1], [2, 3])).toEqual([1, 2, 3]);
    expect(pp.add({ a: 1 }, { a: 2, b: 3 })).toEqual({ a: 2, b: 3 });
    expect(pp.sub([1, 2, 1, 3], [1])).toEqual([2, 3]);
    expect(pp.sub({ a: 1, b: 2 }, ['a'])).toEqual({ b: 2 });
    expect(pp.add('1', 2)).toBe(3);
    expect(() => pp.lt('a', 1)).toThrow(/Comparison of: String < Integer/);
    expect(pp.lt('apple', 'Banana')).toBe(true);
  });

  it('in: substring ignoring case, array item, hash key, regexp; =~ with a regexp, a string or a type', () => {
    expect([pp.isIn('EB', 'web'), pp.isIn('a', ['A']), pp.isIn('k', { k: 1 }), pp.isIn(/^w/, ['x', 'web'])]).toEqual([true, true, true, true]);
    expect([pp.match('web01', /\d+$/), pp.match('web01', '^web'), pp.match(5, /5/), pp.match(5, pp.type('Integer[1, 9]'))]).toEqual([true, true, false, true]);
  });

  it('interpolation: undef is empty, arrays and hashes in Puppet notation', () => {
    expect(pp.str`a${undefined}b ${[1, 'x']} ${{ k: true }}`).toBe("ab [1, 'x'] {'k' => true}");
  });

  it('access: negative indexes, [start, count], Result values, missing keys are undef', () => {
    expect([pp.at([1, 2, 3], -1), pp.at([1, 2, 3, 4], 1, 2), pp.at('hello', 1, 3), pp.at({ a: 1 }, 'b')]).toEqual([3, [2, 3], 'ell', undefined]);
    const r = new Result({ target, action: 'command', value: { stdout: 'ok' } });
    expect(pp.at(r, 'stdout')).toBe('ok');
    expect(pp.at(new ResultSet([r]), 0)).toBe(r);
    expect(() => pp.at(undefined, 0)).toThrow(/not applicable to an Undef/);
  });

  it('case matching and selectors: regexps, strings ignoring case, types, default; no match is an error', () => {
    expect([pp.caseMatch('RedHat', /^red/i), pp.caseMatch('DEBIAN', 'debian'), pp.caseMatch(3, pp.type('Integer')), pp.caseMatch('x', pp.DEFAULT)]).toEqual([true, true, true, true]);
    expect(() => pp.noMatch('x')).toThrow(/No matching entry for selector parameter with value 'x'/);
  });

  it('iteration: hashes iterate as pairs, filter keeps the hash, reduce with and without a start, break() ends early', async () => {
    expect(await pp.map({ a: 1, b: 2 }, (k: string, v: number) => `${k}${v}`)).toEqual(['a1', 'b2']);
    expect(await pp.filter({ a: 1, b: 2 }, (_k: string, v: number) => v > 1)).toEqual({ b: 2 });
    expect(await pp.reduce([1, 2, 3], (m: number, x: number) => m + x)).toBe(6);
    expect(await pp.reduce([1, 2, 3], 10, (m: number, x: number) => m + x)).toBe(16);
    expect(
      await pp.reduce([1, 2, 3, 4], 0, (m: number, x: number) => {
        if (x > 2) throw pp.BREAK;
        return m + x;
      }),
    ).toBe(3);
    expect(await pp.some([1, 2], (x: number) => x === 2)).toBe(true);
    expect(await pp.every([1, 2], (x: number) => x === 2)).toBe(false);
  });

  it('conversions and types', () => {
    expect([pp.convert('Integer', '42'), pp.convert('String', [1]), pp.convert('Boolean', 'yes'), pp.convert('Hash', [['a', 1]])]).toEqual([42, '[1]', true, { a: 1 }]);
    expect(pp.type('Struct[{a => Integer, Optional[b] => String}]').matches({ a: 1 })).toBe(true);
    expect(pp.type('Array[String, 2]').matches(['a'])).toBe(false);
    expect(() => pp.assertType('String', 5)).toThrow(/expects a String value, got Integer/);
  });

  it('match variables: a regexp =~ sets $0, $1... and a failed match clears them; case options set them too', () => {
    const captures: (string | undefined)[] = [];
    expect(pp.match('web-12', /^(\w+)-(\d+)(x)?$/, captures)).toBe(true);
    expect(captures).toEqual(['web-12', 'web', '12', undefined]);
    expect(pp.match('nothing', /^(\d+)$/, captures)).toBe(false);
    expect(captures).toEqual([]);
    expect(pp.caseMatch('db-3', /^db-(\d)$/, captures)).toBe(true);
    expect(captures[1]).toBe('3');
  });

  it('sprintf follows Ruby format: flags, width, precision, conversions, named references', () => {
    expect(pp.sprintf('%-6s|%05.1f|%x', 'web', 3.14159, 255)).toBe('web   |003.1|ff');
    expect(pp.sprintf('%+d % d %05d %-5d|', 5, 5, 42, 42)).toBe('+5  5 00042 42   |');
    expect(pp.sprintf('%#x %X %o %b %c %%', 255, 255, 8, 5, 65)).toBe('0xff FF 10 101 A %');
    expect(pp.sprintf('%08.3f %e %g %g %g', -3.14159, 12345.678, 0.0001, 1234567.0, 100.0)).toBe('-003.142 1.234568e+04 0.0001 1.23457e+06 100');
    // Ruby's format prints arrays and hashes with inspect.
    expect(pp.sprintf('%5.2s|%p|%s|%s', 'abc', 'q', [1, 'a'], { k: undefined })).toBe('   ab|"q"|[1, "a"]|{"k"=>nil}');
    expect(pp.sprintf('%<a>s-%<b>05d %{a}', { a: 'x', b: 42 })).toBe('x-00042 x');
    expect(pp.sprintf('%*d|', 4, 7)).toBe('   7|');
    expect(() => pp.sprintf('%s %s', 'one')).toThrow(/too few arguments/);
    expect(() => pp.sprintf('%d', 'abc')).toThrow(/needs a number/);
  });

  it('range (stdlib): integers inclusive with a step, strings in Ruby succ order, numeric strings as numbers', () => {
    expect(pp.range(0, 10, 2)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(pp.range(1, 10, -3)).toEqual([1, 4, 7, 10]);
    expect(pp.range('1', '3')).toEqual([1, 2, 3]);
    expect(pp.range(5, 1)).toEqual([]);
    expect(pp.range('a', 'e')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pp.range('host08', 'host11')).toEqual(['host08', 'host09', 'host10', 'host11']);
    expect(pp.range('az', 'bc')).toEqual(['az', 'ba', 'bb', 'bc']);
    expect(pp.range('a', 'e', 2)).toEqual(['a', 'c', 'e']);
    expect(() => pp.range(1, 3, 0)).toThrow(/non-zero/);
  });

  it('step, slice, group_by', async () => {
    expect(pp.step([1, 2, 3, 4, 5], 2)).toEqual([1, 3, 5]);
    expect(pp.step(5, 2)).toEqual([0, 2, 4]);
    expect(() => pp.step([1], 0)).toThrow(/1 or more/);
    expect(pp.slice([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(pp.slice({ a: 1, b: 2, c: 3 }, 2)).toEqual([[['a', 1], ['b', 2]], [['c', 3]]]);
    expect(await pp.groupBy(['a', 'bb', 'cc'], (s: string) => s.length)).toEqual({ 1: ['a'], 2: ['bb', 'cc'] });
    expect(await pp.groupBy({ a: 1, b: 2, c: 1 }, (_k: string, v: number) => v)).toEqual({ 1: [['a', 1], ['c', 1]], 2: [['b', 2]] });
  });
});
