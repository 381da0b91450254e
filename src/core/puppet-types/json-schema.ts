/**
 * JSON Schema (draft-07, ajv strict mode compatible) for a {@link PuppetType}.
 *
 * JSON `null` stands for Puppet's `undef`. Differences from Puppet that JSON forces: `Float`
 * accepts whole numbers (JSON cannot tell `1` from `1.0`); `Sensitive[T]` validates as `T` (the
 * validator unwraps Sensitive values first); `Target` is a name or a target hash.
 *
 * @example
 * ```ts
 * toJsonSchema(parseType('Optional[String[1]]'));
 * // { anyOf: [{ type: 'null' }, { type: 'string', minLength: 1 }] }
 * ```
 * @module
 */
import type { PuppetType } from './ast.ts';
import { acceptsUndef } from './ast.ts';

/** A JSON Schema object (kept loose on purpose: ajv checks it). */
export type JsonSchema = { [key: string]: unknown };

const TARGET_SPEC_REF = '#/definitions/TargetSpec';
const TARGET: JsonSchema = { type: ['string', 'object'] };
const TARGET_SPEC: JsonSchema = {
  anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }, { type: 'array', items: { $ref: TARGET_SPEC_REF } }],
};

function range(schema: JsonSchema, minKey: string, maxKey: string, min: number | undefined, max: number | undefined): JsonSchema {
  if (min !== undefined) schema[minKey] = min;
  if (max !== undefined) schema[maxKey] = max;
  return schema;
}

function convert(type: PuppetType, uses: Set<string>): JsonSchema {
  switch (type.kind) {
    case 'Any':
    case 'Data':
      return {};
    case 'Scalar':
    case 'ScalarData':
      return { type: ['string', 'number', 'boolean'] };
    case 'Undef':
      return { type: 'null' };
    case 'Boolean':
      return { type: 'boolean' };
    case 'Numeric':
      return { type: 'number' };
    case 'Target':
      return { ...TARGET };
    case 'TargetSpec':
      uses.add('TargetSpec');
      return { $ref: TARGET_SPEC_REF };
    case 'String':
      return range({ type: 'string' }, 'minLength', 'maxLength', type.min, type.max);
    case 'Integer':
      return range({ type: 'integer' }, 'minimum', 'maximum', type.min, type.max);
    case 'Float':
      return range({ type: 'number' }, 'minimum', 'maximum', type.min, type.max);
    case 'Enum':
      return type.values.length === 0 ? { type: 'string' } : { type: 'string', enum: [...new Set(type.values)] };
    case 'Pattern':
      if (type.patterns.length === 0) return { type: 'string' };
      if (type.patterns.length === 1) return { type: 'string', pattern: (type.patterns[0] as { js: string }).js };
      return { type: 'string', anyOf: type.patterns.map((p) => ({ pattern: p.js })) };
    case 'Optional':
      return type.type === undefined ? {} : { anyOf: [{ type: 'null' }, convert(type.type, uses)] };
    case 'NotUndef':
      return type.type === undefined ? { not: { type: 'null' } } : { allOf: [convert(type.type, uses), { not: { type: 'null' } }] };
    case 'Sensitive':
      return type.type === undefined ? {} : convert(type.type, uses);
    case 'Array': {
      const schema: JsonSchema = { type: 'array' };
      if (type.element !== undefined) {
        const items = convert(type.element, uses);
        if (Object.keys(items).length > 0) schema['items'] = items;
      }
      return range(schema, 'minItems', 'maxItems', type.min, type.max);
    }
    case 'Hash': {
      const schema: JsonSchema = { type: 'object' };
      if (type.key !== undefined) {
        const keys = convert(type.key, uses);
        if (!(Object.keys(keys).length === 1 && keys['type'] === 'string')) schema['propertyNames'] = keys;
      }
      if (type.value !== undefined) {
        const values = convert(type.value, uses);
        if (Object.keys(values).length > 0) schema['additionalProperties'] = values;
      }
      return range(schema, 'minProperties', 'maxProperties', type.min, type.max);
    }
    case 'Struct': {
      // fromEntries defines own properties, so a key named "__proto__" stays a key.
      const properties: JsonSchema = Object.fromEntries(type.members.map((m) => [m.name, convert(m.type, uses)]));
      const required = type.members.filter((m) => !m.optionalKey && !acceptsUndef(m.type)).map((m) => m.name);
      const schema: JsonSchema = { type: 'object', properties, additionalProperties: false };
      if (required.length > 0) schema['required'] = required;
      return schema;
    }
    case 'Tuple': {
      const n = type.types.length;
      if (n === 0) return { type: 'array', maxItems: 0 };
      const min = type.min ?? n;
      const max = type.max ?? (type.min === undefined ? n : undefined);
      const schemas = type.types.map((t) => convert(t, uses));
      const last = schemas[n - 1] as JsonSchema;
      const schema: JsonSchema = { type: 'array', items: schemas, minItems: min };
      // Elements past the listed types repeat the last type (Puppet's rule).
      schema['additionalItems'] = max !== undefined && max <= n ? false : last;
      if (max !== undefined) schema['maxItems'] = max;
      return schema;
    }
    case 'Variant':
      return type.types.length === 0 ? { not: {} } : { anyOf: type.types.map((t) => convert(t, uses)) };
    case 'Alias':
      return convert(type.type, uses);
  }
}

/**
 * Converts a type to a JSON Schema that accepts exactly the JSON values the type accepts.
 *
 * @example
 * ```ts
 * toJsonSchema(parseType('Array[Integer, 1]')); // { type: 'array', items: { type: 'integer' }, minItems: 1 }
 * ```
 */
export function toJsonSchema(type: PuppetType): JsonSchema {
  const uses = new Set<string>();
  const schema = convert(type, uses);
  if (uses.has('TargetSpec')) {
    return { ...schema, definitions: { TargetSpec: TARGET_SPEC } };
  }
  return schema;
}
