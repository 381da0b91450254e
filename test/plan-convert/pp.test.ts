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
});
