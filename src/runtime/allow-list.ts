/**
 * A project's `tasks:` and `plans:` allow-lists (I-22): names and globs that limit what
 * `task show`, `plan show` and `rivet types` list. As in Bolt (`lib/bolt/pal.rb`
 * `filter_content`), a name is listed when any pattern matches it with `File.fnmatch?(pattern,
 * name, File::FNM_EXTGLOB)`: `*` matches anything (`::` too), `?` one character, `[...]` a set,
 * `{a,b}` alternatives; case-sensitive. No list means everything is listed. Running a task or
 * plan that is not listed still works, as in Bolt.
 *
 * @example
 * ```ts
 * filterByAllowList(['site::deploy', 'site::debug', 'facts'], ['site::deploy', 'fac*'], (n) => n); // ['site::deploy', 'facts']
 * filterByAllowList(['a', 'b'], undefined, (n) => n); // ['a', 'b']
 * ```
 * @module
 */
import { globToRegExp } from './inventory/glob.ts';

/** A matcher for a list of patterns; undefined patterns allow every name. */
export function allowListMatcher(patterns: readonly string[] | undefined): (name: string) => boolean {
  if (patterns === undefined) return () => true;
  const compiled = patterns.map((p) => globToRegExp(p, { braces: true, caseSensitive: true }));
  return (name) => compiled.some((re) => re.test(name));
}

/** The items whose name the allow-list allows, in order. */
export function filterByAllowList<T>(items: readonly T[], patterns: readonly string[] | undefined, nameOf: (item: T) => string): T[] {
  const allowed = allowListMatcher(patterns);
  return items.filter((item) => allowed(nameOf(item)));
}
