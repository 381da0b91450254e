/**
 * Plan parameter declarations, and the types inferred from them: what `run` receives
 * ({@link RunArgs}) and what callers pass ({@link CallerParams}).
 *
 * A parameter is a Puppet type string (`'String[1]'`), an object with a Puppet `type` and
 * optionally `default`, `description`, `sensitive`, or an object with a JSON Schema `schema`.
 * A parameter is optional for callers when it has a `default` or its type accepts undef
 * (`Optional[...]`, or `optional: true` for a schema); inside `run` a parameter with a default is
 * always defined.
 *
 * @example
 * ```ts
 * const params = {
 *   targets: 'TargetSpec',
 *   version: 'String[1]',
 *   restart: { type: 'Boolean', default: true },
 *   mode: { schema: { type: 'string', enum: ['fast', 'safe'] }, default: 'safe' },
 * } as const;
 * type In = RunArgs<typeof params>;
 * // { targets: Target[]; version: string; restart: boolean; mode: 'fast' | 'safe' }
 * ```
 * @module
 */
import type { FromPuppet, PuppetAcceptsUndef, Simplify } from './puppet.ts';

/** A JSON Schema, as far as type inference goes (any other keys are allowed and validated by ajv). */
export interface JsonSchemaDecl {
  readonly type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null' | readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly items?: JsonSchemaDecl;
  readonly properties?: { readonly [key: string]: JsonSchemaDecl };
  readonly required?: readonly string[];
  readonly [key: string]: unknown;
}

export interface PuppetParamDecl {
  /** A Puppet type string, as in task metadata. */
  readonly type: string;
  readonly default?: unknown;
  readonly description?: string;
  /** Hide the value in output and logs; CLI values are wrapped in `Sensitive` (P-41). */
  readonly sensitive?: boolean;
}

export interface SchemaParamDecl {
  /** A JSON Schema for the value. */
  readonly schema: JsonSchemaDecl;
  readonly default?: unknown;
  readonly description?: string;
  readonly sensitive?: boolean;
  /** Callers may leave it out (it is then `undefined` in `run`). */
  readonly optional?: boolean;
}

export type ParamDecl = string | PuppetParamDecl | SchemaParamDecl;
export type ParamsDecl = { readonly [name: string]: ParamDecl };

/** The TypeScript type of a JSON Schema: basic `type`, `enum`, `const`, `items`, `properties`. */
export type FromSchema<S> = S extends { readonly const: infer C }
  ? C
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly type: 'string' }
      ? string
      : S extends { readonly type: 'integer' | 'number' }
        ? number
        : S extends { readonly type: 'boolean' }
          ? boolean
          : S extends { readonly type: 'null' }
            ? null
            : S extends { readonly type: 'array' }
              ? S extends { readonly items: infer I }
                ? FromSchema<I>[]
                : unknown[]
              : S extends { readonly type: 'object' }
                ? S extends { readonly properties: infer P }
                  ? SchemaObject<P, S extends { readonly required: readonly (infer R)[] } ? R : never>
                  : Record<string, unknown>
                : unknown;

type SchemaObject<P, R> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : never]: FromSchema<P[K]> } & { -readonly [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]> }
>;

type DeclValue<D, M extends 'in' | 'out'> = D extends string
  ? FromPuppet<D, M>
  : D extends { readonly type: infer T extends string }
    ? FromPuppet<T, M>
    : D extends { readonly schema: infer S }
      ? FromSchema<S>
      : unknown;

type HasDefault<D> = D extends { readonly default: unknown } ? true : false;

/** True when callers may leave the parameter out. */
type CallerOptional<D> = HasDefault<D> extends true
  ? true
  : D extends string
    ? PuppetAcceptsUndef<D>
    : D extends { readonly type: infer T extends string }
      ? PuppetAcceptsUndef<T>
      : D extends { readonly optional: true }
        ? true
        : false;

/** What `run` receives: TargetSpec parameters resolved, defaults applied. */
export type RunArgs<P> = Simplify<
  { -readonly [K in keyof P as HasDefault<P[K]> extends true ? K : CallerOptional<P[K]> extends true ? never : K]: HasDefault<P[K]> extends true
      ? Exclude<DeclValue<P[K], 'in'>, undefined>
      : DeclValue<P[K], 'in'> } & {
    -readonly [K in keyof P as HasDefault<P[K]> extends true ? never : CallerOptional<P[K]> extends true ? K : never]?: DeclValue<P[K], 'in'>;
  }
>;

/** What callers pass (`runPlan(plan, params)`, the CLI): required parameters are the ones without a default that do not accept undef. */
export type CallerParams<P> = Simplify<
  { -readonly [K in keyof P as CallerOptional<P[K]> extends true ? never : K]: DeclValue<P[K], 'out'> } & {
    -readonly [K in keyof P as CallerOptional<P[K]> extends true ? K : never]?: DeclValue<P[K], 'out'>;
  }
>;
