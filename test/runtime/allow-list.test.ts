/**
 * The project allow-list matcher: Bolt's `PAL#filter_content`, `File.fnmatch?(pattern, name,
 * File::FNM_EXTGLOB)` (lib/bolt/pal.rb).
 */
import { describe, expect, it } from 'vitest';
import { allowListMatcher, filterByAllowList } from '../../src/runtime/allow-list.ts';

describe('allow-lists (I-22, pal.rb filter_content)', () => {
  it('I-22: no list allows everything; an empty list allows nothing', () => {
    expect(allowListMatcher(undefined)('anything::at_all')).toBe(true);
    expect(allowListMatcher([])('facts')).toBe(false);
  });

  it('I-22: exact names, * across ::, ?, [sets] and {a,b} (FNM_EXTGLOB); case-sensitive', () => {
    const allowed = allowListMatcher(['facts', 'site::*', 'db?::init', 'web::[ab]*', 'ops::{disk,mem}']);
    const names = ['facts', 'factsx', 'site::deploy', 'site::deep::nested', 'db1::init', 'db12::init', 'web::alpha', 'web::gamma', 'ops::disk', 'ops::mem', 'ops::cpu', 'FACTS'];
    expect(names.filter(allowed)).toEqual(['facts', 'site::deploy', 'site::deep::nested', 'db1::init', 'web::alpha', 'ops::disk', 'ops::mem']);
    expect(allowListMatcher(['*'])('a::b')).toBe(true);
  });

  it('I-22: filterByAllowList keeps order', () => {
    expect(filterByAllowList([['b'], ['a'], ['c']], ['a', 'b'], ([n]) => n!)).toEqual([['b'], ['a']]);
  });
});
