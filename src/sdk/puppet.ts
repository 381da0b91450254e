/**
 * Puppet type strings to TypeScript types, at the type level: `FromPuppet<'Optional[Array[String[1]]]'>`
 * is `string[] | undefined`. This is what lets a plan declare its parameters once, as Bolt task
 * metadata does, and have `run`'s argument typed from that declaration.
 *
 * Forms understood: `String`, `String[..]`, `Integer[..]`, `Float[..]`, `Numeric`, `Boolean`,
 * `Enum[a, 'b']` (a literal union), `Pattern[..]` (string), `Optional[T]`, `NotUndef[T]`,
 * `Array[T(, ..)?]`, `Hash[K, V]`, `Tuple[A, B]`, `Struct[{a => T, Optional[b] => U}]`,
 * `Variant[A, B]`, `TargetSpec`, `Target`, `Sensitive[T]`, `Undef`, `Data`, `Any`, `Scalar`.
 * Anything else (or a type string that is not a literal) becomes `unknown`.
 *
 * `Mode` `'in'` is the value `run` receives: a top-level (or `Optional`) `TargetSpec` has been
 * resolved through the inventory to `Target[]` and a `Target` to one `Target`; nested ones are left
 * as given. `'out'` is what a caller passes.
 *
 * @example
 * ```ts
 * type A = FromPuppet<"Enum[install, 'remove']">;  // 'install' | 'remove'
 * type B = FromPuppet<'Hash[String, Integer]'>;    // Record<string, number>
 * ```
 * @module
 */
import type { Sensitive } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import type { JsonValue } from './json.ts';

/** Bolt's TargetSpec: a spec string (names, groups, globs, URIs), a Target, or arrays of these. */
export type TargetSpec = string | Target | readonly TargetSpec[];

type Ws = ' ' | '\n' | '\t';
type Trim<S extends string> = S extends `${Ws}${infer R}` ? Trim<R> : S extends `${infer R}${Ws}` ? Trim<R> : S;

type Pop<D extends unknown[]> = D extends [unknown, ...infer R] ? R : [];

/** Splits `a, B[c, d], e` on top-level commas: `['a', 'B[c, d]', 'e']`. */
export type SplitArgs<S extends string, D extends unknown[] = [], Cur extends string = '', Out extends string[] = []> =
  S extends `${infer C}${infer Rest}`
    ? C extends '[' | '{'
      ? SplitArgs<Rest, [...D, 0], `${Cur}${C}`, Out>
      : C extends ']' | '}'
        ? SplitArgs<Rest, Pop<D>, `${Cur}${C}`, Out>
        : C extends ','
          ? D extends []
            ? SplitArgs<Rest, D, '', [...Out, Trim<Cur>]>
            : SplitArgs<Rest, D, `${Cur}${C}`, Out>
          : SplitArgs<Rest, D, `${Cur}${C}`, Out>
    : Trim<Cur> extends ''
      ? Out
      : [...Out, Trim<Cur>];

type Unquote<S extends string> = S extends `'${infer V}'` ? V : S extends `"${infer V}"` ? V : S;

type ParseEach<T extends string[], M extends 'in' | 'out'> = { [K in keyof T]: T[K] extends string ? Parse<T[K], M> : never };

type StructMembers<S extends string, M extends 'in' | 'out'> = Simplify<
  {
    [E in SplitArgs<S>[number] as E extends `${infer K}=>${string}` ? (Trim<K> extends `Optional[${string}]` ? never : Unquote<Trim<K>>) : never]: E extends `${string}=>${infer V}`
      ? Parse<Trim<V>, M>
      : never;
  } & {
    [E in SplitArgs<S>[number] as E extends `${infer K}=>${string}` ? (Trim<K> extends `Optional[${infer O}]` ? Unquote<Trim<O>> : never) : never]?: E extends `${string}=>${infer V}`
      ? Parse<Trim<V>, M>
      : never;
  }
>;

export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type First<T extends string[]> = T extends [infer F extends string, ...string[]] ? F : 'Any';
type Second<T extends string[]> = T extends [string, infer S extends string, ...string[]] ? S : 'Any';

type Parse<S extends string, M extends 'in' | 'out'> =
  string extends S
    ? unknown
    : S extends `Optional[${infer I}]`
      ? Parse<Trim<I>, M> | undefined
      : S extends `NotUndef[${infer I}]`
        ? NonNullable<Parse<Trim<I>, M>>
        : S extends `Sensitive[${infer I}]`
          ? Sensitive<Parse<Trim<I>, 'out'>>
          : S extends `Variant[${infer I}]`
            ? ParseEach<SplitArgs<I>, 'out'>[number]
            : S extends `Enum[${infer I}]`
              ? Unquote<SplitArgs<I>[number]>
              : S extends `Pattern[${string}]` | 'Pattern' | 'String' | `String[${string}]`
                ? string
                : S extends 'Integer' | `Integer[${string}]` | 'Float' | `Float[${string}]` | 'Numeric'
                  ? number
                  : S extends 'Boolean'
                    ? boolean
                    : S extends `Array[${infer I}]`
                      ? Parse<First<SplitArgs<I>>, 'out'>[]
                      : S extends `Hash[${infer I}]`
                        ? Record<string, Parse<Second<SplitArgs<I>>, 'out'>>
                        : S extends `Tuple[${infer I}]`
                          ? ParseEach<SplitArgs<I>, 'out'>
                          : S extends `Struct[{${infer I}}]`
                            ? StructMembers<I, 'out'>
                            : S extends 'TargetSpec'
                              ? M extends 'in'
                                ? Target[]
                                : TargetSpec
                              : S extends 'Target'
                                ? M extends 'in'
                                  ? Target
                                  : string | Target
                                : S extends 'Sensitive'
                                  ? Sensitive<unknown>
                                  : S extends 'Undef'
                                    ? undefined
                                    : S extends 'Array'
                                      ? JsonValue[]
                                      : S extends 'Hash'
                                        ? Record<string, JsonValue>
                                        : S extends 'Scalar' | 'ScalarData'
                                          ? string | number | boolean
                                          : S extends 'Data' | 'Any'
                                            ? JsonValue
                                            : unknown;

/**
 * The TypeScript type of a Puppet type string. `M = 'out'` (default) is what callers pass;
 * `'in'` is what `run` receives (TargetSpec resolved to `Target[]`).
 */
export type FromPuppet<S extends string, M extends 'in' | 'out' = 'out'> = Parse<Trim<S>, M>;

/** True when the Puppet type accepts undef (`Optional[...]`, `Undef`, `Any`, `Data`). */
export type PuppetAcceptsUndef<S extends string> = Trim<S> extends `Optional[${string}]` | 'Undef' | 'Any' | 'Data' ? true : false;
