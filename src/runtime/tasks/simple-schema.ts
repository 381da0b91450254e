/**
 * Validators for the simple JSON Schemas most parameter types become (`String[1]`, `Integer[0]`,
 * `Boolean`, `Optional[...]`, `Enum[...]`, `TargetSpec`, arrays of them), without ajv: loading ajv
 * and generating code for each schema was about a fifth of a small plan's in-process CPU at
 * start-up. Only a closed set of keywords is accepted, each used the way ajv (strict mode) accepts
 * it; for any other schema {@link simpleValidator} returns undefined and the caller compiles it
 * with ajv, so results never differ from ajv's (`test/runtime/tasks/simple-schema.test.ts`
 * compares them on generated values).
 *
 * Keywords: `type` (one of string, integer, number, boolean, null, object, array), `minLength` /
 * `maxLength` (with type string; code points, as ajv counts), `minimum` / `maximum` (with
 * integer or number), `items` (one schema, with type array), `enum` (of strings, numbers,
 * booleans, null), `anyOf`, and a root `$ref: '#/definitions/<name>'` with `definitions`.
 *
 * @example
 * ```ts
 * simpleValidator({ type: 'string', minLength: 1 })?.(''); // false
 * simpleValidator({ type: 'string', format: 'email' });    // undefined: ajv's job
 * ```
 * @module
 */

type Check = (value: unknown) => boolean;
type Schema = Record<string, unknown>;

const TYPES: Readonly<Record<string, Check>> = {
  string: (v) => typeof v === 'string',
  // ajv's strictNumbers (on in strict mode): finite numbers only.
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: (v) => Array.isArray(v),
};

/** Which keywords may sit beside `type: <t>` (ajv strictTypes accepts these without complaint). */
const KEYWORDS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  string: ['type', 'minLength', 'maxLength', 'enum'],
  integer: ['type', 'minimum', 'maximum', 'enum'],
  number: ['type', 'minimum', 'maximum', 'enum'],
  boolean: ['type', 'enum'],
  null: ['type'],
  object: ['type'],
  array: ['type', 'items'],
};

/** A validator shaped as ajv's (`errors` stays null: callers build their own messages). */
export type SimpleValidator = ((value: unknown) => boolean) & { errors: null };

/** The validator for `schema` when it uses only the simple keywords, else undefined. */
export function simpleValidator(schema: Schema): SimpleValidator | undefined {
  const keys = Object.keys(schema);
  let check: Check | undefined;
  if (keys.length === 2 && 'definitions' in schema && '$ref' in schema) {
    const definitions = schema['definitions'];
    if (!isObject(definitions)) return undefined;
    const table = new Map<string, Check>();
    // A reference to a definition that exists; bound to its check once all are compiled.
    const ref = (target: unknown): Check | undefined => {
      const name = typeof target === 'string' && target.startsWith('#/definitions/') ? target.slice('#/definitions/'.length) : undefined;
      if (name === undefined || /[/~%]/.test(name) || !Object.hasOwn(definitions, name)) return undefined;
      return (value) => table.get(name)!(value);
    };
    for (const [name, definition] of Object.entries(definitions)) {
      const compiled = node(definition, ref);
      if (compiled === undefined) return undefined;
      table.set(name, compiled);
    }
    check = ref(schema['$ref']);
  } else {
    check = node(schema, () => undefined);
  }
  if (check === undefined) return undefined;
  const validate = ((value: unknown) => check(value)) as SimpleValidator;
  validate.errors = null;
  return validate;
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One schema node; `ref` resolves a `$ref` (undefined: not simple). */
function node(schema: unknown, ref: (ref: unknown) => Check | undefined): Check | undefined {
  if (!isObject(schema)) return undefined;
  const keys = Object.keys(schema);
  if (keys.length === 1 && keys[0] === '$ref') return ref(schema['$ref']);
  if (keys.length === 1 && keys[0] === 'anyOf') {
    const branches = schema['anyOf'];
    if (!Array.isArray(branches) || branches.length === 0) return undefined;
    const checks = branches.map((b) => node(b, ref));
    if (checks.some((c) => c === undefined)) return undefined;
    return (value) => checks.some((c) => c!(value));
  }
  const type = schema['type'];
  if (typeof type !== 'string' || !Object.hasOwn(TYPES, type)) return undefined;
  if (keys.some((k) => !KEYWORDS_BY_TYPE[type]!.includes(k))) return undefined;
  const checks: Check[] = [TYPES[type]!];
  for (const key of ['minLength', 'maxLength'] as const) {
    if (!(key in schema)) continue;
    const limit = schema[key];
    if (!Number.isSafeInteger(limit) || (limit as number) < 0) return undefined;
    checks.push(key === 'minLength' ? (v) => codePoints(v as string) >= (limit as number) : (v) => codePoints(v as string) <= (limit as number));
  }
  for (const key of ['minimum', 'maximum'] as const) {
    if (!(key in schema)) continue;
    const limit = schema[key];
    if (typeof limit !== 'number' || !Number.isFinite(limit)) return undefined;
    checks.push(key === 'minimum' ? (v) => (v as number) >= limit : (v) => (v as number) <= limit);
  }
  if ('items' in schema) {
    const item = node(schema['items'], ref);
    if (item === undefined) return undefined;
    checks.push((v) => (v as unknown[]).every((x) => item(x)));
  }
  if ('enum' in schema) {
    const allowed = schema['enum'];
    if (!Array.isArray(allowed) || allowed.some((a) => a !== null && typeof a !== 'string' && typeof a !== 'boolean' && (typeof a !== 'number' || !Number.isFinite(a)))) return undefined;
    // An empty or repeating enum is not a valid schema: ajv says so.
    if (allowed.length === 0 || new Set(allowed).size !== allowed.length) return undefined;
    checks.push((v) => allowed.includes(v));
  }
  return (value) => checks.every((c) => c(value));
}

/** Length in code points (a surrogate pair counts once), as ajv's `minLength` counts. */
function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n++;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return n;
}
