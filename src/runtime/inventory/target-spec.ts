/**
 * Target-spec strings: splitting (I-13) and the CLI's `--targets @file` / `--targets -` (I-17).
 *
 * @example
 * ```ts
 * splitTargetSpec('web1, db{1,2}', { cli: true }); // ['web1', 'db{1,2}']
 * splitTargetSpec('web1 db1,db2');                   // ['web1', 'db1', 'db2']
 * expandTargetArgs(['@hosts.txt', 'web1'], { readFile: (p) => fs.readFileSync(p, 'utf8'), stdin: () => '' });
 * ```
 * @module
 */
import { UsageError } from '../../core/index.ts';

/**
 * Splits a spec on commas and whitespace. With `cli: true` (Bolt's "extended" split) commas and
 * spaces inside `{}` or `[]` do not split, so `web{1,2}` stays one glob.
 *
 * @example
 * ```ts
 * splitTargetSpec('a,b c'); // ['a', 'b', 'c']
 * ```
 */
export function splitTargetSpec(spec: string, options: { cli?: boolean } = {}): string[] {
  if (!options.cli) return spec.split(/[\s,]+/).filter((token) => token !== '');
  const tokens: string[] = [];
  let current = '';
  let braces = 0;
  let brackets = 0;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i] as string;
    if (ch === '\\' && i + 1 < spec.length) {
      current += ch + (spec[i + 1] as string);
      i++;
      continue;
    }
    if (ch === '{') braces++;
    else if (ch === '}' && braces > 0) braces--;
    else if (ch === '[') brackets++;
    else if (ch === ']' && brackets > 0) brackets--;
    if ((ch === ',' || /\s/.test(ch)) && braces === 0 && brackets === 0) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') tokens.push(current);
  return tokens;
}

/** Where `expandTargetArgs` reads `@file` and `-` from (injected so tests need no disk). */
export interface TargetArgSources {
  readFile: (path: string) => string;
  stdin: () => string;
}

/** Target names listed one per line; blank lines and `#` comments are ignored. */
function targetLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Expands the values of a repeatable `--targets` flag (I-17): `@path` reads targets one per line
 * from a file, `-` reads them from stdin (once), anything else is kept as a spec string. The
 * result is a list of spec strings for `Inventory.getTargets(..., { cli: true })`.
 *
 * @example
 * ```ts
 * expandTargetArgs(['-', 'web1'], { readFile, stdin: () => 'db1\n# comment\ndb2\n' });
 * // ['db1', 'db2', 'web1']
 * ```
 */
export function expandTargetArgs(values: readonly string[], sources: TargetArgSources): string[] {
  const out: string[] = [];
  let stdinRead = false;
  for (const value of values) {
    if (value === '-') {
      if (stdinRead) throw new UsageError("'--targets -' can read standard input only once");
      stdinRead = true;
      out.push(...targetLines(sources.stdin()));
    } else if (value.startsWith('@')) {
      const path = value.slice(1);
      if (path === '') throw new UsageError("'--targets @' needs a file name after '@'");
      let text: string;
      try {
        text = sources.readFile(path);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new UsageError(`cannot read targets file '${path}': ${why}`, { cause: error });
      }
      out.push(...targetLines(text));
    } else {
      out.push(value);
    }
  }
  return out;
}
