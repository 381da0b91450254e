/**
 * Plan parameters at run time (P-40, P-41): the declaration normalised, caller values checked
 * against it (Puppet types or JSON Schema), defaults applied, `TargetSpec` parameters resolved
 * through the inventory, `Sensitive` parameters wrapped.
 *
 * @example
 * ```ts
 * const args = prepareParams('site::deploy', plan.params, { targets: 'web', version: '1.2' }, inventory);
 * // { targets: [Target, Target], version: '1.2', restart: true }
 * ```
 * @module
 */
import { compileJsonSchema } from '../tasks/validate.ts';
import { RivetError } from '../../core/errors.ts';
import { REDACTED, Sensitive } from '../../core/result.ts';
import type { Target } from '../../core/target.ts';
import type { ParamDecl, ParamsDecl } from '../../sdk/params.ts';
import { suggest } from '../../core/puppet-types/index.ts';
import type { Inventory } from '../inventory/index.ts';
import { puppetAcceptsUndef, puppetMismatch, puppetMatches } from './types.ts';

/** Bolt's kind for parameter type errors. */
export const PARAM_ERROR_KIND = 'bolt/pal-error';

export interface NormalParam {
  name: string;
  /** The Puppet type as written, or undefined for a JSON Schema parameter. */
  type: string | undefined;
  schema: Record<string, unknown> | undefined;
  hasDefault: boolean;
  default: unknown;
  description: string | undefined;
  sensitive: boolean;
  /** Callers may leave it out. */
  optional: boolean;
  /** A top-level (or Optional) TargetSpec or Target: resolved through the inventory. */
  resolve: 'targets' | 'target' | undefined;
}

const unwrapOptional = (type: string): string => {
  const m = /^\s*Optional\[(.*)\]\s*$/s.exec(type);
  return m ? m[1]!.trim() : type.trim();
};

export function normalizeParam(name: string, decl: ParamDecl): NormalParam {
  const spec = typeof decl === 'string' ? { type: decl } : decl;
  const type = 'type' in spec && typeof spec.type === 'string' ? spec.type : undefined;
  const schema = 'schema' in spec ? (spec.schema as Record<string, unknown>) : undefined;
  if (type === undefined && schema === undefined) throw new RivetError(PARAM_ERROR_KIND, `parameter '${name}' needs a Puppet 'type' or a JSON 'schema'`);
  const hasDefault = Object.hasOwn(spec, 'default');
  const inner = type === undefined ? '' : unwrapOptional(type);
  return {
    name,
    type,
    schema,
    hasDefault,
    default: hasDefault ? (spec as { default: unknown }).default : undefined,
    description: spec.description,
    sensitive: spec.sensitive === true || /^Sensitive\b/.test(inner),
    optional: hasDefault || (type !== undefined ? puppetAcceptsUndef(type) : (spec as { optional?: boolean }).optional === true),
    resolve: inner === 'TargetSpec' ? 'targets' : inner === 'Target' ? 'target' : undefined,
  };
}

export function normalizeParams(decl: ParamsDecl | undefined): NormalParam[] {
  return Object.entries(decl ?? {}).map(([name, d]) => normalizeParam(name, d));
}


function plain(value: unknown): unknown {
  return value instanceof Sensitive ? value.unwrap() : value;
}

/** Why `value` does not fit the parameter, or undefined. */
export function paramMismatch(param: NormalParam, value: unknown): string | undefined {
  if (param.type !== undefined) return puppetMismatch(param.type, value, param.sensitive);
  let validate: ReturnType<typeof compileJsonSchema>;
  try {
    validate = compileJsonSchema(param.schema!);
  } catch (error) {
    return `has an invalid JSON Schema: ${(error as Error).message}`;
  }
  if (validate(plain(value))) return undefined;
  const first = validate.errors?.[0];
  const where = first?.instancePath ? ` at ${first.instancePath}` : '';
  return `does not match its schema${where}: ${first?.message ?? 'invalid'}`;
}

/** True when `value` fits the parameter's type (used to decide how to read CLI `k=v` values, C-08). */
export function paramMatches(param: NormalParam, value: unknown): boolean {
  if (param.type !== undefined) return puppetMatches(param.type, value);
  try {
    return compileJsonSchema(param.schema!)(plain(value)) === true;
  } catch {
    return false; // reported by paramMismatch
  }
}

/**
 * Checks caller values, applies defaults, resolves TargetSpec/Target parameters and wraps
 * Sensitive ones. Throws one `bolt/pal-error` listing every problem.
 */
export function prepareParams(planName: string, decl: ParamsDecl | undefined, given: Readonly<Record<string, unknown>>, inventory: Inventory): Record<string, unknown> {
  const params = normalizeParams(decl);
  const names = params.map((p) => p.name);
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    if (!names.includes(key) && given[key] !== undefined) {
      const guess = suggest(key, names);
      problems.push(`${planName}: unknown parameter '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}`);
    }
  }
  const args: Record<string, unknown> = {};
  for (const param of params) {
    let value = given[param.name];
    if (value === undefined && param.hasDefault) value = param.default;
    if (value === undefined || value === null) {
      if (!param.optional) problems.push(`${planName}: missing required parameter '${param.name}'`);
      continue;
    }
    const why = paramMismatch(param, value);
    if (why !== undefined) {
      problems.push(`${planName}: parameter '${param.name}' ${why}`);
      continue;
    }
    args[param.name] = value;
  }
  if (problems.length > 0) {
    throw new RivetError(PARAM_ERROR_KIND, problems.join('\n'), { issueCode: 'TYPE_MISMATCH', details: { plan: planName, problems } });
  }
  for (const param of params) {
    const value = args[param.name];
    if (value === undefined) continue;
    if (param.resolve === 'targets') args[param.name] = inventory.getTargets(value as Target[]);
    else if (param.resolve === 'target') args[param.name] = inventory.getTarget(value as Target);
    else if (param.type !== undefined && /^Sensitive\b/.test(unwrapOptional(param.type)) && !(value instanceof Sensitive)) args[param.name] = new Sensitive(value);
  }
  return args;
}

/**
 * Parameter values for display and events: Targets as names, and every parameter declared
 * sensitive (`sensitive: true` or a `Sensitive[...]` type) redacted, whatever its value.
 */
export function displayParams(given: Readonly<Record<string, unknown>>, decl?: ParamsDecl): Record<string, unknown> {
  const sensitive = new Set(normalizeParams(decl).filter((p) => p.sensitive).map((p) => p.name));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) out[key] = sensitive.has(key) && value !== undefined ? REDACTED : displayValue(value);
  return out;
}

function displayValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(displayValue);
  if (isTarget(value)) return value.name;
  return value;
}

/** Inventory targets are plain objects; this recognises them. */
export function isTarget(value: unknown): value is Target {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Target).name === 'string' &&
    typeof (value as Target).transport === 'string' &&
    Array.isArray((value as Target).groups) &&
    typeof (value as Target).config === 'object'
  );
}

