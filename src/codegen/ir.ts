/**
 * Codegen phase 3, normalize: the intermediate form between task metadata and TypeScript text.
 *
 * A {@link TsType} is a TypeScript type as data (a discriminated union on `kind`); a
 * {@link TaskIR} is one task's registry entry (name, doc, parameters, result). Puppet types
 * ({@link fromPuppet}) and JSON Schemas ({@link fromJsonSchema}) both normalize to it, and
 * {@link accepts} interprets it, so tests can check that the types we print describe exactly the
 * values the runtime validator (ajv) accepts.
 *
 * Decisions (docs/typed-tasks.md has the table):
 * - `Optional[T]` is `T | null`, and as a Struct member or parameter also an optional property:
 *   Bolt reads an absent key as undef and ajv accepts `null`, so both are allowed.
 * - Bounds (`Integer[1, 65535]`, `String[1]`, sizes) and `Pattern`s have no TypeScript form: the
 *   type widens (`number`, `string`) and the Puppet type goes into the TSDoc (`lossy`).
 * - `Any`/`Data` are `JsonValue`; `Sensitive[T]` is `Sensitive<T>`.
 *
 * @example
 * ```ts
 * fromPuppet(parseType("Optional[Enum[a, b]]"));
 * // { kind: 'union', types: [{ kind: 'literal', value: 'a' }, { kind: 'literal', value: 'b' }, { kind: 'null' }] }
 * ```
 * @module
 */
import { acceptsUndef, formatType, type PuppetType } from '../core/puppet-types/index.ts';
import type { TaskMetadata } from '../runtime/tasks/metadata.ts';

/** One property of an object type. */
export interface TsProperty {
  name: string;
  optional: boolean;
  type: TsType;
  /** TSDoc lines (already split, without comment markers). */
  doc?: string[] | undefined;
}

/** A TypeScript type as data. `ref` names a type exported by 'rivetops' (`JsonValue`, `TargetSpec`, ...). */
export type TsType =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'null' }
  | { kind: 'never' }
  | { kind: 'unknown' }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'ref'; name: RivetTypeName }
  | { kind: 'nonNull'; type: TsType }
  | { kind: 'array'; element: TsType }
  | { kind: 'tuple'; elements: TsType[]; required: number; rest: TsType | undefined }
  | { kind: 'record'; value: TsType }
  /** `{ [K in 'a' | 'b']?: V }`: a Hash whose keys are an Enum. */
  | { kind: 'keyed'; keys: string[]; value: TsType }
  | { kind: 'object'; properties: TsProperty[]; open: boolean }
  | { kind: 'union'; types: TsType[] }
  | { kind: 'sensitive'; type: TsType };

/** Types the generated file imports from 'rivetops'. */
export type RivetTypeName = 'JsonValue' | 'JsonObject' | 'Target' | 'TargetSpec';

/** The parameters of a task, as callers see them. */
export type ParamsIR =
  /** No `parameters` key: any names, any JSON values (T-13). */
  | { kind: 'any' }
  /** `parameters: {}`, or a list (possibly empty). */
  | { kind: 'declared'; params: ParamIR[] };

/** One declared parameter. */
export interface ParamIR {
  name: string;
  type: TsType;
  /** Callers may leave it out (it has a default, or its type accepts undef). */
  optional: boolean;
  description: string | undefined;
  /** The Puppet type as written (undefined: none given, i.e. Any). */
  puppetType: string | undefined;
  /** The Puppet type says more than the TypeScript type can (bounds, patterns). */
  lossy: boolean;
  sensitive: boolean;
  /** JSON of the default, when there is one. */
  defaultJson: string | undefined;
}

/** What a task's `value` is: plain JSON, or a declared output type. */
export interface OutputIR {
  type: TsType;
  /** What was declared, as TSDoc text: `` `Struct[{...}]` ``, or the JSON Schema. */
  declared: string;
  lossy: boolean;
}

/** One plan's registry entry: its types come from the plan file's own `definePlan` declaration. */
export interface PlanIR {
  name: string;
  /** Module specifier of the plan file, relative to the generated file (`../plans/deploy.ts`). */
  importPath: string;
  /** The plan file relative to the project, for the TSDoc. */
  source: string;
  /** A Bolt plan's parameters (typed from their Puppet types, as `definePlan` would). */
  boltParams?: { name: string; type: string; hasDefault: boolean }[] | undefined;
}

/** One task's registry entry. */
export interface TaskIR {
  name: string;
  description: string | undefined;
  params: ParamsIR;
  output: OutputIR | undefined;
  supportsNoop: boolean;
  private: boolean;
  /** Where the metadata came from, relative to the project (for the TSDoc). */
  source: string | undefined;
}

const STRING = { kind: 'string' } as const;
const NUMBER = { kind: 'number' } as const;
const NULL = { kind: 'null' } as const;
const JSON_VALUE: TsType = { kind: 'ref', name: 'JsonValue' };

/** Flattens nested unions, removes duplicates, and collapses `never` members. */
export function union(types: readonly TsType[]): TsType {
  const out: TsType[] = [];
  const seen = new Set<string>();
  const add = (t: TsType) => {
    if (t.kind === 'union') return t.types.forEach(add);
    if (t.kind === 'never') return;
    const key = JSON.stringify(t);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(t);
    }
  };
  types.forEach(add);
  // JsonValue already holds every JSON primitive, null included.
  if (out.some((t) => t.kind === 'ref' && t.name === 'JsonValue')) {
    const rest = out.filter((t) => !['string', 'number', 'boolean', 'null', 'literal'].includes(t.kind) && !(t.kind === 'ref' && t.name === 'JsonValue'));
    if (rest.length === 0) return JSON_VALUE;
    return { kind: 'union', types: [...rest, JSON_VALUE] };
  }
  if (out.length === 0) return { kind: 'never' };
  if (out.length === 1) return out[0] as TsType;
  return { kind: 'union', types: out };
}

/** The type without `null` (`NotUndef[T]`). */
export function withoutNull(type: TsType): TsType {
  switch (type.kind) {
    case 'null':
      return { kind: 'never' };
    case 'union':
      return union(type.types.map(withoutNull));
    case 'ref':
      return type.name === 'JsonValue' ? { kind: 'nonNull', type } : type;
    case 'sensitive':
      return { kind: 'sensitive', type: withoutNull(type.type) };
    default:
      return type;
  }
}

function hasBounds(t: { min: number | undefined; max: number | undefined }): boolean {
  return t.min !== undefined || t.max !== undefined;
}

/** Tuple elements past this many required repeats are folded into the rest element. */
const MAX_TUPLE_EXPANSION = 8;

/**
 * The TypeScript type of a Puppet type, and whether information was lost (bounds, patterns,
 * which TypeScript cannot say).
 *
 * @example
 * ```ts
 * fromPuppetLossy(parseType('Integer[1, 65535]')); // { type: { kind: 'number' }, lossy: true }
 * ```
 */
export function fromPuppetLossy(type: PuppetType): { type: TsType; lossy: boolean } {
  let lossy = false;
  const convert = (t: PuppetType): TsType => {
    switch (t.kind) {
      case 'Any':
      case 'Data':
        return JSON_VALUE;
      case 'Scalar':
      case 'ScalarData':
        return union([STRING, NUMBER, { kind: 'boolean' }]);
      case 'Undef':
        return NULL;
      case 'Boolean':
        return { kind: 'boolean' };
      case 'Numeric':
        return NUMBER;
      case 'Integer':
        // Integer-ness itself is a bound TypeScript cannot state.
        lossy = true;
        return NUMBER;
      case 'Float':
        if (hasBounds(t)) lossy = true;
        return NUMBER;
      case 'String':
        if (hasBounds(t)) lossy = true;
        return STRING;
      case 'Pattern':
        if (t.patterns.length > 0) lossy = true;
        return STRING;
      case 'Enum':
        return t.values.length === 0 ? STRING : union(t.values.map((value) => ({ kind: 'literal', value })));
      case 'Target':
        return union([STRING, { kind: 'ref', name: 'Target' }]);
      case 'TargetSpec':
        // Not empty strings: the runtime says so, TypeScript cannot.
        lossy = true;
        return { kind: 'ref', name: 'TargetSpec' };
      case 'Optional':
        return t.type === undefined ? JSON_VALUE : union([convert(t.type), NULL]);
      case 'NotUndef':
        return withoutNull(t.type === undefined ? JSON_VALUE : convert(t.type));
      case 'Sensitive':
        return { kind: 'sensitive', type: t.type === undefined ? JSON_VALUE : convert(t.type) };
      case 'Array':
        if (hasBounds(t)) lossy = true;
        return { kind: 'array', element: t.element === undefined ? JSON_VALUE : convert(t.element) };
      case 'Hash': {
        if (hasBounds(t)) lossy = true;
        const value = t.value === undefined ? JSON_VALUE : convert(t.value);
        const key = t.key === undefined ? STRING : convert(t.key);
        const keys = key.kind === 'literal' ? [key] : key.kind === 'union' ? key.types : undefined;
        if (keys !== undefined && keys.every((k) => k.kind === 'literal' && typeof k.value === 'string')) {
          return { kind: 'keyed', keys: keys.map((k) => String((k as { value: string }).value)), value };
        }
        return { kind: 'record', value };
      }
      case 'Struct':
        return {
          kind: 'object',
          open: false,
          properties: t.members.map((m) => ({ name: m.name, optional: m.optionalKey || acceptsUndef(m.type), type: convert(m.type) })),
        };
      case 'Tuple': {
        const n = t.types.length;
        const elements = t.types.map(convert);
        if (n === 0) return { kind: 'tuple', elements: [], required: 0, rest: undefined };
        const last = elements[n - 1] as TsType;
        const min = t.min ?? n;
        const max = t.max ?? (t.min === undefined ? n : undefined);
        if (max !== undefined && max < n) return { kind: 'tuple', elements: elements.slice(0, max), required: Math.min(min, max), rest: undefined };
        const repeats = Math.max(0, min - n);
        if (repeats > MAX_TUPLE_EXPANSION) lossy = true;
        const expanded = repeats <= MAX_TUPLE_EXPANSION ? repeats : 0;
        for (let i = 0; i < expanded; i++) elements.push(last);
        const open = max === undefined || max > elements.length;
        if (max !== undefined && max > elements.length) lossy = true;
        return { kind: 'tuple', elements, required: Math.min(min, elements.length), rest: open ? last : undefined };
      }
      case 'Variant':
        return union(t.types.map(convert));
      case 'Alias':
        lossy = true;
        return convert(t.type);
    }
  };
  const out = convert(type);
  return { type: out, lossy };
}

/** {@link fromPuppetLossy} without the flag. */
export function fromPuppet(type: PuppetType): TsType {
  return fromPuppetLossy(type).type;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The TypeScript type of a JSON Schema, for the keywords that have one: `type` (also as a list),
 * `enum`, `const`, `properties`/`required`/`additionalProperties`, `items` (schema or list),
 * `anyOf`/`oneOf`, `nullable`. Anything else (`allOf`, `not`, `$ref`, formats, bounds) widens and
 * sets `lossy`.
 *
 * @example
 * ```ts
 * fromJsonSchema({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] }).type;
 * // { kind: 'object', open: true, properties: [{ name: 'ok', optional: false, type: { kind: 'boolean' } }] }
 * ```
 */
export function fromJsonSchema(schema: unknown): { type: TsType; lossy: boolean } {
  let lossy = false;
  const handled = new Set([
    'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'oneOf', 'nullable',
    'description', 'title', '$schema', '$id', '$comment', 'default', 'examples',
  ]);
  const convert = (s: unknown): TsType => {
    if (s === true || (isRecord(s) && Object.keys(s).every((k) => ['description', 'title', '$schema', '$id', '$comment', 'default', 'examples'].includes(k)))) {
      return { kind: 'unknown' };
    }
    if (s === false) return { kind: 'never' };
    if (!isRecord(s)) {
      lossy = true;
      return { kind: 'unknown' };
    }
    if (Object.keys(s).some((k) => !handled.has(k))) lossy = true;
    const nullable = s['nullable'] === true ? [NULL] : [];
    if (Object.hasOwn(s, 'const')) return union([literalOf(s['const']), ...nullable]);
    if (Array.isArray(s['enum'])) return union([...s['enum'].map(literalOf), ...nullable]);
    const alternatives = Array.isArray(s['anyOf']) ? s['anyOf'] : Array.isArray(s['oneOf']) ? s['oneOf'] : undefined;
    if (alternatives !== undefined) {
      const rest = Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'anyOf' && k !== 'oneOf'));
      const base = Object.keys(rest).length === 0 ? undefined : convert(rest);
      const alts = union(alternatives.map(convert));
      // `{type: 'string', anyOf: [...]}`: the alternatives refine the base; keep the narrower side.
      return union([base === undefined || base.kind === 'unknown' ? alts : alts.kind === 'unknown' ? base : alts, ...nullable]);
    }
    const types = typeof s['type'] === 'string' ? [s['type']] : Array.isArray(s['type']) ? (s['type'] as unknown[]) : undefined;
    if (types === undefined) return { kind: 'unknown' };
    return union([...types.map((t) => byType(String(t), s)), ...nullable]);
  };
  const literalOf = (v: unknown): TsType => {
    if (v === null) return NULL;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { kind: 'literal', value: v };
    lossy = true;
    return JSON_VALUE;
  };
  const byType = (t: string, s: Record<string, unknown>): TsType => {
    switch (t) {
      case 'string':
        return STRING;
      case 'integer':
        lossy = true;
        return NUMBER;
      case 'number':
        return NUMBER;
      case 'boolean':
        return { kind: 'boolean' };
      case 'null':
        return NULL;
      case 'array': {
        if (Array.isArray(s['items'])) {
          const elements = s['items'].map(convert);
          const min = typeof s['minItems'] === 'number' ? Math.min(s['minItems'], elements.length) : 0;
          const extra = s['additionalItems'];
          const rest = extra === false ? undefined : extra === undefined || extra === true ? JSON_VALUE : convert(extra);
          return { kind: 'tuple', elements, required: min, rest };
        }
        return { kind: 'array', element: s['items'] === undefined ? JSON_VALUE : convert(s['items']) };
      }
      case 'object': {
        const props = isRecord(s['properties']) ? s['properties'] : {};
        const required = Array.isArray(s['required']) ? s['required'].filter((r): r is string => typeof r === 'string') : [];
        const extra = s['additionalProperties'];
        const names = Object.keys(props);
        for (const r of required) if (!names.includes(r)) names.push(r);
        const properties: TsProperty[] = names.map((name) => ({
          name,
          optional: !required.includes(name),
          type: Object.hasOwn(props, name) ? convert(props[name]) : extra === undefined || extra === true ? JSON_VALUE : convert(extra),
        }));
        if (names.length === 0) return { kind: 'record', value: extra === undefined || extra === true ? JSON_VALUE : convert(extra) };
        if (extra === false) return { kind: 'object', properties, open: false };
        if (extra !== undefined && extra !== true) lossy = true;
        return { kind: 'object', properties, open: true };
      }
      default:
        lossy = true;
        return { kind: 'unknown' };
    }
  };
  const type = convert(schema);
  return { type, lossy };
}

/**
 * True when `value` is of the TypeScript type `type`: the interpreter the property tests use to
 * compare the generated types with ajv. JSON mode: a `Sensitive<T>` accepts a plain T (what it
 * serializes from), `Target` any object.
 *
 * @example
 * ```ts
 * accepts({ kind: 'array', element: { kind: 'string' } }, ['a']); // true
 * ```
 */
export function accepts(type: TsType, value: unknown): boolean {
  const isObj = isRecord(value);
  switch (type.kind) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'never':
      return false;
    case 'unknown':
      return true;
    case 'literal':
      return value === type.value;
    case 'ref':
      switch (type.name) {
        case 'JsonValue':
          return true;
        case 'JsonObject':
          return isObj;
        case 'Target':
          return isObj;
        case 'TargetSpec':
          return typeof value === 'string' || isObj || (Array.isArray(value) && value.every((v) => accepts(type, v)));
      }
      return false;
    case 'nonNull':
      return value !== null && accepts(type.type, value);
    case 'array':
      return Array.isArray(value) && value.every((v) => accepts(type.element, v));
    case 'tuple': {
      if (!Array.isArray(value)) return false;
      if (value.length < type.required) return false;
      if (type.rest === undefined && value.length > type.elements.length) return false;
      return value.every((v, i) => accepts(i < type.elements.length ? (type.elements[i] as TsType) : (type.rest as TsType), v));
    }
    case 'record':
      return isObj && Object.values(value).every((v) => accepts(type.value, v));
    case 'keyed':
      return isObj && Object.entries(value).every(([k, v]) => type.keys.includes(k) && accepts(type.value, v));
    case 'object': {
      if (!isObj) return false;
      const names = type.properties.map((p) => p.name);
      if (!type.open && Object.keys(value).some((k) => !names.includes(k))) return false;
      return type.properties.every((p) => (Object.hasOwn(value, p.name) ? accepts(p.type, value[p.name]) : p.optional));
    }
    case 'union':
      return type.types.some((t) => accepts(t, value));
    case 'sensitive':
      return accepts(type.type, value);
  }
}

/** The Puppet type as TSDoc shows it: an alias with what it stands for (`Stdlib::Port = Integer[0, 65535]`). */
function describePuppet(type: PuppetType): string {
  if (type.kind === 'Alias') return `${type.name} = ${formatType(type.type)}`;
  if ((type.kind === 'Optional' || type.kind === 'NotUndef') && type.type?.kind === 'Alias') return `${formatType(type)} (${type.type.name} = ${formatType(type.type.type)})`;
  return formatType(type);
}

/** What {@link taskToIR} needs of a task (a `TaskSource` from the read phase). */
export interface TaskInput {
  name: string;
  metadata: TaskMetadata;
  file: string | undefined;
}

/**
 * Normalizes one task: parameters to {@link ParamIR} (metaparameters are not parameters), the
 * declared output to {@link OutputIR}.
 *
 * - no `parameters` key: any parameters (`Record<string, JsonValue>`);
 * - `parameters: {}`: none (`Record<string, never>`);
 * - a parameter is optional when it has a `default` or its type accepts undef (as the runtime's
 *   validation decides); a `sensitive: true` parameter also accepts a `Sensitive` value.
 *
 * @example
 * ```ts
 * taskToIR({ name: 'demo', file: undefined, metadata: { parameters: { port: { type: 'Integer', parsedType, default: 80 } } } });
 * ```
 */
export function taskToIR(task: TaskInput): TaskIR {
  const { metadata } = task;
  let params: ParamsIR;
  if (metadata.parameters === undefined) params = { kind: 'any' };
  else {
    params = {
      kind: 'declared',
      params: Object.entries(metadata.parameters)
        .filter(([name]) => !name.startsWith('_'))
        .map(([name, spec]) => {
          const puppet: PuppetType = spec.parsedType ?? { kind: 'Any' };
          const { type, lossy } = fromPuppetLossy(puppet);
          const hasDefault = Object.hasOwn(spec, 'default');
          return {
            name,
            type,
            optional: hasDefault || acceptsUndef(puppet),
            description: spec.description,
            puppetType: spec.parsedType === undefined ? undefined : describePuppet(spec.parsedType),
            lossy,
            sensitive: spec.sensitive === true,
            defaultJson: hasDefault && spec.sensitive !== true ? JSON.stringify(spec.default) : undefined,
          };
        }),
    };
  }
  let output: OutputIR | undefined;
  if (metadata.output !== undefined) {
    const decl = metadata.output;
    const converted = 'type' in decl ? fromPuppetLossy(decl.type) : fromJsonSchema(decl.schema);
    output = { ...converted, declared: 'type' in decl ? `\`${formatType(decl.type)}\`` : 'the JSON Schema in `extensions.rivet.output`' };
  }
  return {
    name: task.name,
    description: metadata.description,
    params,
    output,
    supportsNoop: metadata.supports_noop === true,
    private: metadata.private === true,
    source: task.file,
  };
}
