/**
 * Puppet-language semantics for plans converted from Bolt (`rivet plan convert`): the few places
 * where TypeScript's operators mean something else than Puppet's. Converted plans call these so
 * that they behave as the `.pp` plan did; hand-written plans rarely need them.
 *
 * - truthiness: only `undef` and `false` are false (`''`, `0` and `[]` are true);
 * - `==` ignores case for strings and compares arrays and hashes deeply;
 * - `/` on two integers is integer division (Ruby's: rounded down), `%` likewise;
 * - `+`/`-` concatenate/remove on arrays and merge/remove keys on hashes;
 * - `=~` takes a regexp or a string pattern; `in` finds substrings (ignoring case), array items,
 *   hash keys;
 * - `"${x}"` prints undef as the empty string and arrays/hashes in Puppet's notation.
 *
 * @example
 * ```ts
 * import { pp } from 'rivetops';
 * if (pp.truthy(count)) out.message(pp.str`${count} hosts`);
 * pp.eq('Web', 'web');   // true, as in Puppet
 * pp.div(7, 2);          // 3
 * ```
 * @module
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { ErrorKind, RivetError, isRivetError } from '../core/errors.ts';
import { parseType, type PuppetType } from '../core/puppet-types/index.ts';
import { Result, ResultSet, Sensitive } from '../core/result.ts';
import { ctrl } from './flow.ts';
import { callerLocation } from './location.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** Puppet's evaluation error, at the plan line that caused it (the `.pp` line for a translated plan). */
function evalError(msg: string): RivetError {
  return new RivetError('bolt/evaluation-error', msg, { issueCode: 'EVALUATION_ERROR', location: callerLocation() });
}

function isHash(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Puppet truthiness: everything but `undef` (undefined/null) and `false` is true. */
export function truthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

/** Puppet's `==`: strings ignore case, numbers compare by value, arrays and hashes deeply. */
export function eq(a: unknown, b: unknown): boolean {
  if (a instanceof PuppetTypeRef || b instanceof PuppetTypeRef) return String(a) === String(b);
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (isHash(a) && isHash(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && eq(a[k], b[k]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    if (a instanceof RegExp && b instanceof RegExp) return a.source === b.source;
    return a === b || ((a as { name?: unknown }).name !== undefined && isDeepStrictEqual(a, b));
  }
  return a === b;
}

/** Puppet's `!=`. */
export function ne(a: unknown, b: unknown): boolean {
  return !eq(a, b);
}

function compare(op: string, a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw evalError(`Comparison of: ${typeName(a)} ${op} ${typeName(b)}, is not possible`);
}

/** Puppet's `<` (numbers, or strings ignoring case; anything else is an evaluation error). */
export function lt(a: unknown, b: unknown): boolean {
  return compare('<', a, b) < 0;
}
export function le(a: unknown, b: unknown): boolean {
  return compare('<=', a, b) <= 0;
}
export function gt(a: unknown, b: unknown): boolean {
  return compare('>', a, b) > 0;
}
export function ge(a: unknown, b: unknown): boolean {
  return compare('>=', a, b) >= 0;
}

function num(op: string, value: unknown): number {
  if (typeof value === 'number') return value;
  // Puppet converts numeric strings in arithmetic ('1' + 1 == 2).
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw evalError(`Operator '${op}' is not applicable to ${typeName(value)}`);
}

/** Puppet's `+`: numbers add, arrays concatenate, hashes merge (right wins). */
export function add(a: unknown, b: unknown): any {
  if (Array.isArray(a)) return [...a, ...(Array.isArray(b) ? b : isHash(b) ? Object.entries(b) : [b])];
  if (isHash(a)) {
    if (isHash(b)) return { ...a, ...b };
    if (Array.isArray(b)) {
      const merged: Record<string, unknown> = { ...a };
      const pairs: unknown[] = b.length === 2 && !Array.isArray(b[0]) ? [b] : b;
      for (const pair of pairs as [string, unknown][]) merged[pair[0]] = pair[1];
      return merged;
    }
    throw evalError(`Operator '+' is not applicable to a Hash and ${typeName(b)}`);
  }
  return num('+', a) + num('+', b);
}

/** Puppet's `-`: numbers subtract, arrays remove items, hashes remove keys. */
export function sub(a: unknown, b: unknown): any {
  if (Array.isArray(a)) {
    const remove = Array.isArray(b) ? b : isHash(b) ? Object.entries(b) : [b];
    return a.filter((x) => !remove.some((y) => eq(x, y)));
  }
  if (isHash(a)) {
    const keys = Array.isArray(b) ? b : isHash(b) ? Object.keys(b) : [b];
    return Object.fromEntries(Object.entries(a).filter(([k]) => !keys.some((y) => eq(k, y))));
  }
  return num('-', a) - num('-', b);
}

export function mul(a: unknown, b: unknown): number {
  return num('*', a) * num('*', b);
}

/** Puppet's `/`: integer division (rounded down, as Ruby) when both are integers. */
export function div(a: unknown, b: unknown): number {
  const x = num('/', a);
  const y = num('/', b);
  if (y === 0) throw evalError('Division by 0');
  return Number.isInteger(x) && Number.isInteger(y) ? Math.floor(x / y) : x / y;
}

/** Puppet's `%` (integers only; the sign follows the divisor, as Ruby). */
export function mod(a: unknown, b: unknown): number {
  const x = num('%', a);
  const y = num('%', b);
  if (!Number.isInteger(x) || !Number.isInteger(y)) throw evalError(`Operator '%' is not applicable to a Float`);
  if (y === 0) throw evalError('Division by 0');
  return ((x % y) + y) % y;
}

/** Puppet's unary `-`. */
export function neg(a: unknown): number {
  return -num('-', a);
}

function toRegExp(pattern: unknown): RegExp {
  if (pattern instanceof RegExp) return pattern;
  if (typeof pattern === 'string') return new RegExp(pattern);
  throw evalError(`The right side of '=~' must be a regexp or a string, got ${typeName(pattern)}`);
}

/**
 * Puppet's `=~` with a regexp or a pattern string: true when the string matches. With `captures`
 * (a plan's match variables), a regexp match also sets them as Puppet does: `captures[0]` is the
 * whole match (`$0`), `captures[1]` the first group (`$1`)...; a failed match clears them.
 *
 * @example
 * ```ts
 * const captures: (string | undefined)[] = [];
 * if (pp.match('web-12', /^(\w+)-(\d+)$/, captures)) out.message(captures[2]!); // '12'
 * ```
 */
export function match(value: unknown, pattern: unknown, captures?: (string | undefined)[]): boolean {
  if (pattern instanceof PuppetTypeRef) return pattern.matches(value);
  if (typeof value !== 'string') return false;
  const found = toRegExp(pattern).exec(value);
  if (captures !== undefined) {
    captures.length = 0;
    if (found !== null) captures.push(...[...found].map((x) => x ?? undefined));
  }
  return found !== null;
}

/** Puppet's `in`: substring (ignoring case), regexp match, array item, or hash key. */
export function isIn(needle: unknown, haystack: unknown): boolean {
  if (typeof haystack === 'string') {
    if (needle instanceof RegExp) return needle.test(haystack);
    return typeof needle === 'string' && haystack.toLowerCase().includes(needle.toLowerCase());
  }
  const items = Array.isArray(haystack) ? haystack : isHash(haystack) ? Object.keys(haystack) : undefined;
  if (items === undefined) return false;
  if (needle instanceof RegExp) return items.some((x) => typeof x === 'string' && needle.test(x));
  return items.some((x) => eq(needle, x));
}

/**
 * Puppet's access `x[k]`: array index (negative from the end), hash key, string slice,
 * ResultSet index or Result value key. `x[a, b]` takes `b` items from `a`. Missing is undef.
 */
export function at(value: unknown, key: unknown, count?: unknown): any {
  if (value instanceof ResultSet) {
    if (count !== undefined) return value.slice(num('[]', key), num('[]', key) + num('[]', count));
    return value.at(num('[]', key) < 0 ? value.length + num('[]', key) : num('[]', key));
  }
  if (value instanceof Result) return (value.value as Record<string, unknown>)[String(key)];
  if (Array.isArray(value) || typeof value === 'string') {
    let start = num('[]', key);
    if (start < 0) start += value.length;
    if (count === undefined) return typeof value === 'string' ? value.charAt(start) : value[start];
    let n = num('[]', count);
    if (n < 0) n = value.length + n - start + 1;
    return value.slice(start, start + n);
  }
  if (value === undefined || value === null) throw evalError(`Operator '[]' is not applicable to an Undef Value`);
  if (typeof value === 'object') return (value as Record<string, unknown>)[String(key)];
  throw evalError(`Operator '[]' is not applicable to ${typeName(value)}`);
}

/** Text of a value as Puppet interpolates it: undef is '', arrays and hashes in Puppet notation. */
export function text(value: unknown): string {
  return format(value, true);
}

function format(value: unknown, top: boolean): string {
  if (value === undefined || value === null) return top ? '' : 'undef';
  if (typeof value === 'string') return top ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Sensitive) return 'Sensitive [value redacted]';
  if (value instanceof RegExp) return `/${value.source}/`;
  if (Array.isArray(value)) return `[${value.map((x) => format(x, false)).join(', ')}]`;
  if (isHash(value)) return `{${Object.entries(value).map(([k, v]) => `${format(k, false)} => ${format(v, false)}`).join(', ')}}`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  return String(value);
}

/** Tagged template for Puppet's double-quoted strings: `pp.str\`${n} hosts\``. */
export function str(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += text(v) + (strings[i + 1] ?? '');
  });
  return out;
}

/** What `each`/`map`/`filter` iterate: array items, hash `[key, value]` pairs, ResultSet results, `n` integers for `Integer n`. */
export function items(value: unknown): any[] {
  if (Array.isArray(value)) return value;
  if (value instanceof ResultSet) return [...value];
  if (isHash(value)) return Object.entries(value);
  if (typeof value === 'number' && Number.isInteger(value)) return Array.from({ length: Math.max(0, value) }, (_, i) => i);
  if (typeof value === 'string') return [...value];
  if (value !== null && typeof value === 'object' && Symbol.iterator in value) return [...(value as Iterable<unknown>)];
  throw evalError(`Cannot iterate over ${typeName(value)}`);
}

/** `[index or key, value]` pairs, for lambdas with two parameters. */
export function pairs(value: unknown): [any, any][] {
  if (isHash(value)) return Object.entries(value);
  return items(value).map((v, i) => [i, v]);
}

/**
 * Thrown by `break()` inside a `map`/`filter`/`reduce`/`any`/`all` lambda: the iteration ends and
 * returns what it has so far (Puppet's semantics).
 */
export const BREAK: unique symbol = Symbol('break');

async function iterate(list: readonly unknown[], step: (item: unknown, index: number) => Promise<boolean | void>): Promise<void> {
  try {
    for (const [i, item] of list.entries()) if ((await step(item, i)) === false) return;
  } catch (error) {
    if (error !== BREAK) throw error;
  }
}

/** Puppet's `filter`: an array filters to an array, a hash to a hash. */
export async function filter(value: unknown, fn: (...args: any[]) => unknown): Promise<any> {
  if (isHash(value)) {
    const kept: Record<string, unknown> = {};
    await iterate(Object.entries(value), async (pair) => {
      const [k, v] = pair as [string, unknown];
      if (truthy(await (fn.length >= 2 ? fn(k, v) : fn([k, v])))) kept[k] = v;
    });
    return kept;
  }
  const kept: unknown[] = [];
  await iterate(items(value), async (v, i) => {
    if (truthy(await (fn.length >= 2 ? fn(i, v) : fn(v)))) kept.push(v);
  });
  return value instanceof ResultSet ? new ResultSet(kept as Result[]) : kept;
}

/** Puppet's `map`, run one item at a time. */
export async function map(value: unknown, fn: (...args: any[]) => unknown): Promise<any[]> {
  const out: unknown[] = [];
  if (fn.length >= 2) await iterate(pairs(value), async (pair) => void out.push(await fn(...(pair as [unknown, unknown]))));
  else await iterate(items(value), async (v) => void out.push(await fn(v)));
  return out;
}

/** Puppet's `reduce`, with or without a start value. */
export async function reduce(value: unknown, ...args: [fn: (memo: any, item: any) => unknown] | [start: unknown, fn: (memo: any, item: any) => unknown]): Promise<any> {
  const list = items(value);
  const fn = (args.length === 2 ? args[1] : args[0]) as (memo: unknown, item: unknown) => unknown;
  let memo: unknown = args.length === 2 ? args[0] : list.shift();
  await iterate(list, async (item) => {
    memo = await fn(memo, item);
  });
  return memo;
}

/** Puppet's `any`/`all`. */
export async function some(value: unknown, fn: (...args: any[]) => unknown): Promise<boolean> {
  let found = false;
  await iterate(pairs(value), async (pair) => {
    const [k, v] = pair as [unknown, unknown];
    if (truthy(await (fn.length >= 2 ? fn(k, v) : fn(isHash(value) ? [k, v] : v)))) return !(found = true);
  });
  return found;
}
export async function every(value: unknown, fn: (...args: any[]) => unknown): Promise<boolean> {
  let all = true;
  await iterate(pairs(value), async (pair) => {
    const [k, v] = pair as [unknown, unknown];
    if (!truthy(await (fn.length >= 2 ? fn(k, v) : fn(isHash(value) ? [k, v] : v)))) return (all = false);
  });
  return all;
}

/** Puppet's `length`/`size`/`count` without a lambda. */
export function length(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof ResultSet) return value.length;
  if (isHash(value)) return Object.keys(value).length;
  throw evalError(`length() is not applicable to ${typeName(value)}`);
}

/** Puppet's `empty`. */
export function empty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'number') return false;
  return length(value) === 0;
}

/**
 * Puppet's `case`/selector matching of one option: a regexp matches strings, a string equals
 * ignoring case, an array matches an array element-wise, `default` (pass `pp.DEFAULT`) always.
 */
export function caseMatch(value: unknown, option: unknown, captures?: (string | undefined)[]): boolean {
  if (option === DEFAULT) return true;
  if (option instanceof RegExp) return match(value, option, captures);
  if (option instanceof PuppetTypeRef) return option.matches(value);
  return eq(value, option);
}

/** A selector (`$x ? { ... }`) without a matching option and without `default`: Puppet's error. */
export function noMatch(value: unknown): never {
  throw evalError(`No matching entry for selector parameter with value '${text(value)}'`);
}

/** The `default` option of a `case` or selector. */
export const DEFAULT: unique symbol = Symbol('default');

/** Puppet's `flatten`, `unique`, `keys`, `values`, `join`, `split`... when called as functions. */
export function flatten(value: unknown): any[] {
  return (Array.isArray(value) ? value : [value]).flat(Infinity);
}
export function unique(value: unknown): any[] {
  const out: unknown[] = [];
  for (const v of items(value)) if (!out.some((x) => isDeepStrictEqual(x, v))) out.push(v);
  return out;
}

/** A Puppet type name of a value, for error messages. */
export function typeName(value: unknown): string {
  if (value === undefined || value === null) return 'Undef';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'number') return Number.isInteger(value) ? 'Integer' : 'Float';
  if (typeof value === 'boolean') return 'Boolean';
  if (Array.isArray(value)) return 'Array';
  if (value instanceof RegExp) return 'Regexp';
  if (value instanceof ResultSet) return 'ResultSet';
  if (value instanceof Result) return 'Result';
  if (isHash(value)) return 'Hash';
  return (value as object).constructor?.name ?? 'Object';
}

/** Bolt's `Error.new(msg, kind, details)` and `fail()`: a Rivet error with Bolt's shape. */
export function error(msg: unknown, kind?: string, details?: Record<string, unknown>, issueCode?: string): RivetError {
  return new RivetError(kind ?? ErrorKind.PlanFailure, text(msg), { details: details ?? {}, ...(issueCode ? { issueCode } : {}) });
}

/** A Puppet type used as a value (`$x =~ Integer`, `case $x { String: ... }`, `assert_type`). */
export class PuppetTypeRef {
  readonly text: string;
  #parsed: PuppetType | null | undefined;
  constructor(text: string) {
    this.text = text;
  }
  /** True when the value is an instance of the type (the value is then `any`, as Puppet's is untyped). */
  matches(value: unknown): value is any {
    return matchesNamed(this.text.trim(), value, () => {
      if (this.#parsed === undefined) {
        try {
          this.#parsed = parseType(this.text);
        } catch {
          this.#parsed = null;
        }
      }
      if (this.#parsed === null) throw evalError(`Rivet cannot check values against the type ${this.text}`);
      return this.#parsed;
    });
  }
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** `pp.type('Integer[1]')`: a Puppet type as a value. */
export function type(text: string): PuppetTypeRef {
  return new PuppetTypeRef(text);
}

function matchesNamed(text: string, value: unknown, parsed: () => PuppetType): boolean {
  switch (text) {
    case 'ResultSet':
      return value instanceof ResultSet;
    case 'Result':
    case 'ApplyResult':
      return value instanceof Result;
    case 'Error':
      return isRivetError(value);
    case 'Target':
      return isTarget(value);
    case 'Regexp':
      return value instanceof RegExp;
    case 'Callable':
      return typeof value === 'function';
    case 'Sensitive':
      return value instanceof Sensitive;
    default:
      return matchesType(parsed(), value);
  }
}

function isTarget(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string' && 'transport' in value && 'facts' in value;
}

function matchesType(t: PuppetType, v: unknown): boolean {
  const undef = v === undefined || v === null;
  const inRange = (n: number, min: number | undefined, max: number | undefined): boolean => (min === undefined || n >= min) && (max === undefined || n <= max);
  switch (t.kind) {
    case 'Any':
      return true;
    case 'Undef':
      return undef;
    case 'Data':
    case 'ScalarData':
    case 'Scalar':
      return t.kind === 'Data' ? !(typeof v === 'function') : ['string', 'number', 'boolean'].includes(typeof v);
    case 'Boolean':
      return typeof v === 'boolean';
    case 'Numeric':
      return typeof v === 'number';
    case 'Target':
      return isTarget(v);
    case 'TargetSpec':
      return typeof v === 'string' || isTarget(v) || (Array.isArray(v) && v.every((x) => matchesType(t, x)));
    case 'String':
      return typeof v === 'string' && inRange(v.length, t.min, t.max);
    case 'Integer':
      return typeof v === 'number' && Number.isInteger(v) && inRange(v, t.min, t.max);
    case 'Float':
      return typeof v === 'number' && inRange(v, t.min, t.max);
    case 'Enum':
      return typeof v === 'string' && t.values.includes(v);
    case 'Pattern':
      return typeof v === 'string' && t.patterns.some((p) => new RegExp(p.js).test(v));
    case 'Optional':
      return undef || t.type === undefined || matchesType(t.type, v);
    case 'NotUndef':
      return !undef && (t.type === undefined || matchesType(t.type, v));
    case 'Sensitive':
      return v instanceof Sensitive;
    case 'Array':
      return Array.isArray(v) && inRange(v.length, t.min, t.max) && (t.element === undefined || v.every((x) => matchesType(t.element!, x)));
    case 'Hash':
      return isHash(v) && inRange(Object.keys(v).length, t.min, t.max) && Object.entries(v).every(([k, x]) => (t.key === undefined || matchesType(t.key, k)) && (t.value === undefined || matchesType(t.value, x)));
    case 'Struct':
      return isHash(v) && Object.keys(v).every((k) => t.members.some((m) => m.name === k)) && t.members.every((m) => (v[m.name] === undefined ? m.optionalKey || matchesType(m.type, undefined) : matchesType(m.type, v[m.name])));
    case 'Tuple':
      return Array.isArray(v) && v.length >= (t.min ?? t.types.length) && (t.max === undefined || v.length <= t.max) && v.every((x, i) => matchesType(t.types[Math.min(i, t.types.length - 1)]!, x));
    case 'Variant':
      return t.types.some((x) => matchesType(x, v));
    case 'Alias':
      return matchesType(t.type, v);
  }
}

/** Bolt's `assert_type(Type, value)`: the value, or an error naming both. */
export function assertType(typeRef: PuppetTypeRef | string, value: unknown): any {
  const ref = typeof typeRef === 'string' ? new PuppetTypeRef(typeRef) : typeRef;
  if (!ref.matches(value)) throw evalError(`assert_type(): expects a ${ref.text} value, got ${typeName(value)}`);
  return value;
}

/**
 * Step options from a Bolt options hash: `_catch_errors`, `_run_as`, `_env_vars`, `_noop` and
 * the other `_` keys become `catchErrors`, `runAs`, `envVars`, `noop`...
 */
export function options(hash: unknown): any {
  const out: Record<string, unknown> = {};
  if (!isHash(hash)) return out;
  for (const [k, v] of Object.entries(hash)) {
    if (!k.startsWith('_')) continue;
    out[k.slice(1).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  }
  return out;
}

/** Task parameters from a Bolt parameters hash: every key but the `_` metaparameters. */
export function params(hash: unknown): any {
  if (!isHash(hash)) return {};
  return Object.fromEntries(Object.entries(hash).filter(([k]) => !k.startsWith('_')));
}

/** Seconds (Bolt) to milliseconds (Rivet). */
export function ms(seconds: unknown): number {
  // 15 significant digits: ms(1.1) is 1100, not 1100.0000000000002.
  return Number((num('*', seconds) * 1000).toPrecision(15));
}

/** A hash's keys / values (Puppet's `keys()`, `values()`). */
export function keys(value: unknown): string[] {
  return isHash(value) ? Object.keys(value) : [];
}
export function values(value: unknown): any[] {
  return isHash(value) ? Object.values(value) : [];
}

/** Puppet's `split(string, pattern)`. */
export function split(value: unknown, pattern: unknown): string[] {
  return text(value).split(pattern instanceof RegExp ? pattern : new RegExp(String(pattern)));
}

/** Puppet's `join(array, separator)`. */
export function join(value: unknown, separator: unknown = ''): string {
  return items(value).map((x) => text(x)).join(text(separator));
}

/** Puppet's `regsubst(string, pattern, replacement, flags)` (`G` replaces all). */
export function regsubst(value: unknown, pattern: unknown, replacement: unknown, flags = ''): string {
  const re = pattern instanceof RegExp ? pattern : new RegExp(String(pattern));
  const jsFlags = (flags.includes('G') ? 'g' : '') + (flags.includes('I') || re.flags.includes('i') ? 'i' : '') + (re.flags.includes('m') ? 'm' : '');
  return text(value).replace(new RegExp(re.source, jsFlags), text(replacement).replace(/\\(\d)/g, '$$$1'));
}

/** Puppet's `dig(value, keys...)`: undef as soon as a key is missing. */
export function dig(value: unknown, ...path: unknown[]): any {
  let current = value;
  for (const key of path) {
    if (current === undefined || current === null) return undefined;
    current = at(current, key);
  }
  return current;
}

/** Puppet's `sort`: numbers numerically, strings by code point. */
export function sort(value: unknown): any[] {
  return [...items(value)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

/** Puppet's `Integer($x)`, `Float($x)`, `String($x)`, `Boolean($x)`, `Array($x)`, `Hash($x)` conversions. */
export function convert(typeName_: string, value: unknown): any {
  switch (typeName_) {
    case 'String':
      return text(value);
    case 'Integer':
    case 'Float':
    case 'Numeric': {
      const n = typeof value === 'string' ? Number(value.trim()) : num(typeName_, value);
      if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) throw evalError(`The string '${String(value)}' cannot be converted to ${typeName_}`);
      return typeName_ === 'Integer' ? Math.trunc(n) : n;
    }
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|yes|y)$/i.test(value)) return true;
      if (typeof value === 'string' && /^(false|no|n|)$/i.test(value)) return false;
      throw evalError(`The string '${String(value)}' cannot be converted to Boolean`);
    case 'Array':
      return Array.isArray(value) ? value : isHash(value) ? Object.entries(value) : [value];
    case 'Hash':
      if (isHash(value)) return value;
      if (Array.isArray(value)) return Object.fromEntries(Array.isArray(value[0]) ? value : Array.from({ length: value.length / 2 }, (_, i) => [value[2 * i], value[2 * i + 1]]));
      throw evalError(`${typeName(value)} cannot be converted to Hash`);
    default:
      throw evalError(`Rivet cannot convert values to ${typeName_}`);
  }
}

/**
 * Bolt's `wait()` as the translator calls it: `wait($futures, $timeout, {'_catch_errors' => true})`
 * arrives as `wait(futures, {timeout, catchErrors})` with the timeout in seconds.
 */
export { background, wait, Future } from './futures.ts';

/** Bolt's `ctrl::do_until` with Puppet's truthiness (only undef and false are false): resolves with the last value. */
export async function doUntil<R>(fn: () => Promise<R> | R, options: { limit?: number | undefined; interval?: number | undefined } = {}): Promise<R> {
  let last: R;
  await ctrl.doUntil(async () => truthy((last = await fn())), options);
  return last!;
}

/** Bolt's `Result.new(target, value)`. */
export function result(target: unknown, value: unknown = {}): Result {
  const v = isHash(value) ? value : { value };
  return new Result({ target: target as never, action: 'plan', value: v as never });
}

/** Bolt's `ResultSet.new(results)`. */
export function resultSet(results: unknown = []): ResultSet {
  return new ResultSet(items(results) as Result[]);
}

/** Puppet's `Timestamp()`: now, in seconds (differences are Timespans in seconds). */
export function timestamp(): number {
  return Date.now() / 1000;
}

/** Puppet's `match(string, regexp)`: the match and its captures, or undef. */
export function captures(value: unknown, pattern: unknown): string[] | undefined {
  const m = toRegExp(pattern).exec(text(value));
  return m === null ? undefined : [...m].map((x) => x ?? undefined) as string[];
}

/** stdlib's `parsejson(text, default?)`. */
export function parseJson(value: unknown, fallback?: unknown): any {
  try {
    return JSON.parse(text(value));
  } catch (error) {
    if (fallback !== undefined) return fallback;
    throw evalError(`parsejson(): ${(error as Error).message}`);
  }
}

/** stdlib's `parseyaml(text, default?)` (the yaml package, loaded on first use). */
export function parseYaml(value: unknown, fallback?: unknown): any {
  try {
    const yaml = createRequire(import.meta.url)('yaml') as { parse(text: string): unknown };
    return yaml.parse(text(value));
  } catch (error) {
    if (fallback !== undefined) return fallback;
    throw evalError(`parseyaml(): ${(error as Error).message}`);
  }
}

/**
 * Puppet's `sprintf(format, args...)` (Ruby's `format`): `%s`, `%p` (inspect), `%d`/`%i`/`%u`,
 * `%f`, `%e`/`%E`, `%g`/`%G`, `%x`/`%X`, `%o`, `%b`/`%B`, `%c`, `%%`, with the flags `-`, `0`,
 * `+`, space and `#`, a width and a precision (`*` takes them from the arguments), and named
 * references `%<name>d` / `%{name}` when the only argument is a hash.
 *
 * @example
 * ```ts
 * pp.sprintf('%-6s|%05.1f|%x', 'web', 3.14159, 255); // 'web   |003.1|ff'
 * ```
 */
export function sprintf(format: unknown, ...args: unknown[]): string {
  let next = 0;
  const take = (): unknown => {
    if (next >= args.length) throw evalError(`sprintf: too few arguments for the format '${text(format)}'`);
    return args[next++];
  };
  const named = (name: string): unknown => {
    const hash = args[0];
    if (args.length !== 1 || !isHash(hash)) throw evalError(`sprintf: the format '${text(format)}' names '${name}', which needs one hash argument`);
    if (!(name in hash)) throw evalError(`sprintf: key '${name}' not found`);
    return hash[name];
  };
  const spec = /%(?:(%)|\{(\w+)\}|(?:<(\w+)>)?([-+ 0#]*)(\*|\d+)?(?:\.(\*|\d+))?([sdiufeEgGxXobBcp]))/g;
  return text(format).replace(spec, (_all, percent?: string, brace?: string, angle?: string, flags = '', width?: string, precision?: string, conversion = 's') => {
    if (percent !== undefined) return '%';
    if (brace !== undefined) return text(named(brace));
    const w = width === '*' ? num('sprintf', take()) : width !== undefined ? Number(width) : undefined;
    const p = precision === '*' ? num('sprintf', take()) : precision !== undefined ? Number(precision) : undefined;
    const value = angle !== undefined ? named(angle) : take();
    return formatOne(value, conversion, flags, w, p);
  });
}

/** Ruby's `inspect`, which `format` uses for `%p` and for arrays and hashes under `%s`. */
function rubyInspect(value: unknown): string {
  if (value === undefined || value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`;
  if (isHash(value)) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=>${rubyInspect(v)}`).join(', ')}}`;
  return text(value);
}

function formatOne(value: unknown, conversion: string, flags: string, width: number | undefined, precision: number | undefined): string {
  let body: string;
  let sign = '';
  let numeric = true;
  const number = (integer: boolean): number => {
    const n = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    if (typeof n !== 'number') throw evalError(`sprintf: %${conversion} needs a number, got ${typeName(value)}`);
    return integer ? Math.trunc(n) : n;
  };
  const signed = (n: number): number => {
    if (n < 0 || Object.is(n, -0)) sign = '-';
    else if (flags.includes('+')) sign = '+';
    else if (flags.includes(' ')) sign = ' ';
    return Math.abs(n);
  };
  switch (conversion) {
    case 's':
    case 'p':
      numeric = false;
      body = conversion === 'p' || (typeof value === 'object' && value !== null) ? rubyInspect(value) : text(value);
      if (precision !== undefined) body = body.slice(0, precision);
      break;
    case 'c':
      numeric = false;
      body = typeof value === 'number' ? String.fromCodePoint(value) : text(value).charAt(0);
      break;
    case 'd':
    case 'i':
    case 'u':
      body = String(signed(number(true)));
      break;
    case 'f':
      body = signed(number(false)).toFixed(precision ?? 6);
      break;
    case 'e':
    case 'E': {
      body = signed(number(false)).toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      if (conversion === 'E') body = body.toUpperCase();
      break;
    }
    case 'g':
    case 'G': {
      const n = signed(number(false));
      const exp = n === 0 ? 0 : Math.floor(Math.log10(n));
      const digits = precision === undefined ? 6 : Math.max(precision, 1);
      body = exp < -4 || exp >= digits ? n.toExponential(digits - 1).replace(/e([+-])(\d)$/, 'e$10$2') : n.toPrecision(digits);
      if (!flags.includes('#') && body.includes('.')) body = body.replace(/(\.\d*?)0+(?=e|$)/, '$1').replace(/\.(?=e|$)/, '');
      if (conversion === 'G') body = body.toUpperCase();
      break;
    }
    default: {
      const radix = { x: 16, X: 16, o: 8, b: 2, B: 2 }[conversion]!;
      body = signed(number(true)).toString(radix);
      if (precision !== undefined) body = body.padStart(precision, '0');
      if (flags.includes('#')) body = `${{ x: '0x', X: '0X', o: '0', b: '0b', B: '0B' }[conversion]}${body}`;
      if (conversion === 'X') body = body.toUpperCase();
    }
  }
  const full = sign + body;
  if (width === undefined || full.length >= width) return full;
  if (flags.includes('-')) return full.padEnd(width);
  if (numeric && flags.includes('0') && precision === undefined) return sign + body.padStart(width - sign.length, '0');
  if (numeric && flags.includes('0') && conversion !== 'd' && conversion !== 'i' && conversion !== 'u') return sign + body.padStart(width - sign.length, '0');
  return full.padStart(width);
}

/** Ruby's `String#succ` on the last alphanumeric run: 'a' -> 'b', 'az' -> 'ba', 'host09' -> 'host10'. */
function succ(value: string): string {
  const chars = [...value];
  let i = chars.length - 1;
  while (i >= 0 && !/[a-zA-Z0-9]/.test(chars[i]!)) i--;
  if (i < 0) return value;
  for (;;) {
    const c = chars[i]!;
    const [last, first] = c === '9' ? ['9', '0'] : c === 'z' ? ['z', 'a'] : c === 'Z' ? ['Z', 'A'] : [undefined, undefined];
    if (last === undefined) {
      chars[i] = String.fromCharCode(c.charCodeAt(0) + 1);
      return chars.join('');
    }
    chars[i] = first!;
    let j = i - 1;
    while (j >= 0 && !/[a-zA-Z0-9]/.test(chars[j]!)) j--;
    if (j < 0) {
      chars.splice(i, 0, first === '0' ? '1' : first!);
      return chars.join('');
    }
    i = j;
  }
}

/**
 * stdlib's `range(from, to, step = 1)`: every integer from `from` to `to` included, or every
 * string (Ruby's `succ` order: `'host01'`...`'host10'`, `'a'`...`'e'`), every `step`th one.
 * Numeric strings count as numbers; `from` after `to` gives `[]`, as in Ruby.
 *
 * @example
 * ```ts
 * pp.range(1, 10, 3);            // [1, 4, 7, 10]
 * pp.range('web01', 'web03');    // ['web01', 'web02', 'web03']
 * ```
 */
export function range(from: unknown, to: unknown, step: unknown = 1): any[] {
  // stdlib takes the step's absolute value: the range always runs from `from` up to `to`.
  const by = Math.abs(Math.trunc(num('range', step)));
  if (by === 0) throw evalError('range: the step must be a non-zero Integer');
  const numeric = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v));
  const out: any[] = [];
  if (numeric(from) && numeric(to)) {
    const last = num('range', to);
    for (let n = num('range', from); n <= last; n += by) out.push(n);
    return out;
  }
  if (typeof from !== 'string' || typeof to !== 'string') throw evalError(`range: cannot make a range from ${typeName(from)} to ${typeName(to)}`);
  // Ruby's String range: succ from `from` until `to`, never longer than `to`; empty when never reached.
  const all: string[] = [];
  for (let s = from; s.length <= to.length; s = succ(s)) {
    all.push(s);
    if (s === to) return all.filter((_, i) => i % by === 0);
    if (all.length > 1_000_000) break;
  }
  return [];
}

/**
 * Puppet's `step(iterable, n)`: every `n`th item, starting with the first.
 *
 * @example
 * ```ts
 * pp.step([1, 2, 3, 4, 5], 2); // [1, 3, 5]
 * ```
 */
export function step(value: unknown, by: unknown): any[] {
  const n = num('step', by);
  if (!Number.isInteger(n) || n < 1) throw evalError(`step: the step must be an Integer of 1 or more, got ${text(by)}`);
  return items(value).filter((_, i) => i % n === 0);
}

/**
 * Puppet's `slice(iterable, n)`: the items in groups of `n` (the last may be shorter); a hash
 * slices its `[key, value]` pairs.
 *
 * @example
 * ```ts
 * pp.slice([1, 2, 3, 4, 5], 2); // [[1, 2], [3, 4], [5]]
 * ```
 */
export function slice(value: unknown, size: unknown): any[][] {
  const n = num('slice', size);
  if (!Number.isInteger(n) || n < 1) throw evalError(`slice: the size must be an Integer of 1 or more, got ${text(size)}`);
  const list = isHash(value) ? pairs(value) : items(value);
  const out: any[][] = [];
  for (let i = 0; i < list.length; i += n) out.push(list.slice(i, i + n));
  return out;
}

/**
 * stdlib's `group_by(collection) |$item| { key }`: the items grouped by what the function
 * returns for each (a hash of key to items; `[key, value]` pairs for a hash).
 *
 * @example
 * ```ts
 * await pp.groupBy(['a', 'bb', 'cc'], (s: string) => s.length); // { 1: ['a'], 2: ['bb', 'cc'] }
 * ```
 */
export async function groupBy(value: unknown, fn: (...args: any[]) => unknown): Promise<Record<string, any[]>> {
  const out: Record<string, any[]> = {};
  for (const item of isHash(value) ? pairs(value) : items(value)) {
    const key = await (fn.length >= 2 && Array.isArray(item) ? fn(...item) : fn(item));
    (out[text(key)] ??= []).push(item);
  }
  return out;
}
