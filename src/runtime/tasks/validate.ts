/**
 * Validation of task parameters against their Puppet types, with ajv and messages a person would
 * write (T-13).
 *
 * Each type becomes JSON Schema ({@link toJsonSchema}); compiled validators are cached by type
 * string. Messages are built from the AST, not from ajv's error list:
 * `demo::deploy: parameter 'port' expects an Integer[1, 65535], got "eighty"`.
 *
 * @example
 * ```ts
 * const errors = validateTaskParams('demo::deploy', { port: { type: 'Integer[1, 65535]' } }, { port: 'eighty' });
 * // ['demo::deploy: parameter \'port\' expects an Integer[1, 65535], got "eighty"']
 * ```
 * @module
 */
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import { REDACTED, RivetError, Sensitive } from '../../core/index.ts';
import { linearRegExpEngine } from '../../core/puppet-types/linear-regex.ts';
import { simpleValidator } from './simple-schema.ts';
import {
  PuppetTypeError,
  acceptsUndef,
  formatType,
  parseType,
  suggest,
  toJsonSchema,
  type ParseTypeOptions,
  type PuppetType,
} from '../../core/puppet-types/index.ts';

/** Bolt's kind for parameter validation failures (a PAL error with issue code `TYPE_MISMATCH`). */
export const VALIDATION_ERROR_KIND = 'bolt/pal-error';

/** Parameter names tasks may declare and receive (T-13). */
export const PARAM_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * A new ajv instance configured for Puppet-type schemas: strict mode on, except `strictTuples`
 * (a `Tuple` with a size range is an open tuple on purpose) and union `type` arrays allowed.
 *
 * @example
 * ```ts
 * const ajv = createAjv();
 * ajv.validate({ type: 'integer' }, 1); // true
 * ```
 */
export function createAjv(): Ajv {
  // ajv (CommonJS) is required on first use, synchronously: loading it costs more than the rest of
  // an ad-hoc command's start-up, and only task and plan parameter checks need it.
  const ajv = createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv };
  // Strict, so a misspelt keyword in a user's schema is an error; `format` is an annotation only
  // (no format validators are bundled), not a crash.
  // Every `pattern` runs on a linear-time engine (re2js): a crafted value cannot hang a run.
  return new ajv.Ajv({
    strict: true,
    strictTuples: false,
    allowUnionTypes: true,
    allErrors: false,
    validateFormats: false,
    code: { regExp: linearRegExpEngine },
  });
}

let sharedAjv: Ajv | undefined;
const byText = new Map<string, ValidateFunction>();
const bySchema = new Map<string, ValidateFunction>();

/**
 * The compiled validator for a type (a type string, parsed with the built-in aliases, or an AST).
 * Cached: compiling the same type twice returns the same function.
 *
 * @throws PuppetTypeError when the type string does not parse.
 * @example
 * ```ts
 * compileType('Optional[String[1]]')(null); // true
 * ```
 */
export function compileType(type: string | PuppetType): ValidateFunction {
  if (typeof type === 'string') {
    let fn = byText.get(type);
    if (fn === undefined) {
      fn = compileType(parseType(type));
      byText.set(type, fn);
    }
    return fn;
  }
  return compileJsonSchema(toJsonSchema(type) as Record<string, unknown>);
}

/**
 * The compiled validator for a JSON Schema (one made from a Puppet type, or one a user wrote for a
 * plan parameter or a task output), cached by its content.
 *
 * @throws Error from ajv when the schema itself is invalid.
 * @example
 * ```ts
 * compileJsonSchema({ type: 'integer', minimum: 1 })(0); // false
 * ```
 */
export function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = bySchema.get(key);
  if (fn === undefined) {
    // The simple schemas most parameter types become are checked without ajv (same results);
    // ajv is loaded only for other schemas, or for its error list when a value does not match.
    const simple = simpleValidator(schema);
    fn = simple === undefined ? (sharedAjv ??= createAjv()).compile(schema) : withAjvErrors(simple, schema);
    bySchema.set(key, fn);
  }
  return fn;
}

/**
 * A simple validator that, like ajv's, sets `errors` when the value does not match: ajv compiles
 * the schema then (once), so callers that explain a mismatch from `errors` get ajv's words.
 */
function withAjvErrors(simple: (value: unknown) => boolean, schema: Record<string, unknown>): ValidateFunction {
  let full: ValidateFunction | undefined;
  const validate = ((value: unknown) => {
    if (simple(value)) {
      validate.errors = null;
      return true;
    }
    full ??= (sharedAjv ??= createAjv()).compile(schema);
    full(value);
    validate.errors = full.errors ?? null;
    return false;
  }) as ValidateFunction;
  validate.errors = null;
  return validate;
}

/** Replaces Sensitive wrappers (at any depth) by their values, for validation and encoding. */
export function unwrapSensitive(value: unknown): unknown {
  if (value instanceof Sensitive) return unwrapSensitive(value.unwrap());
  if (Array.isArray(value)) return value.map(unwrapSensitive);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSensitive(v)]));
  }
  return value;
}

/**
 * True when `value` (Sensitive wrappers unwrapped; `undefined` read as undef) satisfies the type.
 *
 * @example
 * ```ts
 * matchesType(parseType('Integer[1]'), 5); // true
 * ```
 */
export function matchesType(type: string | PuppetType, value: unknown): boolean {
  const plain = unwrapSensitive(value);
  return compileType(type)(plain === undefined ? null : plain) === true;
}

/** `an Integer[1]`, `a String`. */
export function withArticle(typeText: string): string {
  return /^[AEIOU]/.test(typeText) ? `an ${typeText}` : `a ${typeText}`;
}

/** A short JSON rendering of a value for messages (`undef` for null/undefined, truncated). */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'undef';
  if (value instanceof Sensitive) return 'Sensitive';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function keyLabel(key: string | number): string {
  return typeof key === 'number' ? `index ${key}` : `entry '${key}'`;
}

/**
 * Why `value` does not match `type`, as the tail of a sentence (`expects an Integer, got "x"`,
 * `entry 'port' expects ...`), or undefined when it matches. Descends into Struct, Hash, Array,
 * Tuple, Optional and aliases to name the innermost mismatch. With `secret` (or a Sensitive value
 * or type) the value is shown as `Sensitive [value redacted]`.
 *
 * @example
 * ```ts
 * explainMismatch(parseType('Array[String]'), ['a', 5]); // 'index 1 expects a String, got 5'
 * ```
 */
export function explainMismatch(type: PuppetType, value: unknown, secret = false): string | undefined {
  if (matchesType(type, value)) return undefined;
  const hidden = secret || value instanceof Sensitive || type.kind === 'Sensitive';
  const plain = unwrapSensitive(value);
  const generic = `expects ${withArticle(formatType(type))}, got ${hidden ? REDACTED : describeValue(plain)}`;
  const explainMismatch = (t: PuppetType, v: unknown) => explainInner(t, v, hidden);
  // Iterate the value as given, so nested Sensitive wrappers keep hiding their content.
  const shallow = value instanceof Sensitive ? plain : value;
  const isObject = plain !== null && typeof plain === 'object' && !Array.isArray(plain);
  switch (type.kind) {
    case 'Alias':
    case 'Sensitive':
      return type.type === undefined ? generic : (explainMismatch(type.type, plain) ?? generic);
    case 'Optional':
      return type.type === undefined || plain === null || plain === undefined ? generic : (explainMismatch(type.type, plain) ?? generic);
    case 'Struct': {
      if (!isObject) return generic;
      const record = shallow as Record<string, unknown>;
      const names = type.members.map((m) => m.name);
      for (const key of Object.keys(record)) {
        if (!names.includes(key)) {
          const guess = suggest(key, names);
          return `has unrecognized key '${key}'${guess === undefined ? '' : ` (did you mean '${guess}'?)`}`;
        }
      }
      for (const member of type.members) {
        const present = Object.hasOwn(record, member.name);
        if (!present) {
          if (!member.optionalKey && !acceptsUndef(member.type)) return `expects a value for key '${member.name}'`;
          continue;
        }
        const inner = explainMismatch(member.type, record[member.name]);
        if (inner !== undefined) return `${keyLabel(member.name)} ${inner}`;
      }
      return generic;
    }
    case 'Hash': {
      if (!isObject || type.value === undefined) return generic;
      for (const [key, item] of Object.entries(shallow as Record<string, unknown>)) {
        if (type.key !== undefined && !matchesType(type.key, key)) return `key '${key}' expects ${withArticle(formatType(type.key))}`;
        const inner = explainMismatch(type.value, item);
        if (inner !== undefined) return `${keyLabel(key)} ${inner}`;
      }
      return generic;
    }
    case 'Array': {
      if (!Array.isArray(shallow) || type.element === undefined) return generic;
      for (const [index, item] of shallow.entries()) {
        const inner = explainMismatch(type.element, item);
        if (inner !== undefined) return `${keyLabel(index)} ${inner}`;
      }
      return generic;
    }
    case 'Tuple': {
      if (!Array.isArray(shallow)) return generic;
      for (const [index, item] of shallow.entries()) {
        const elementType = type.types[Math.min(index, type.types.length - 1)];
        if (elementType === undefined) break;
        const inner = explainMismatch(elementType, item);
        if (inner !== undefined) return `${keyLabel(index)} ${inner}`;
      }
      return generic;
    }
    default:
      return generic;
  }
}

function explainInner(type: PuppetType, value: unknown, secret: boolean): string | undefined {
  return explainMismatch(type, value, secret);
}

/** One declared parameter, as read from metadata (`type` already parsed). */
export interface ParamSpec {
  /** The type as written (undefined = `Any`). */
  type?: string;
  /** The parsed type; when absent it is parsed from `type`. */
  parsedType?: PuppetType;
  description?: string;
  sensitive?: boolean;
  default?: unknown;
}

/** The type of a parameter spec (`Any` when none is given). */
export function paramType(spec: ParamSpec, options: ParseTypeOptions = {}): PuppetType {
  return spec.parsedType ?? (spec.type === undefined ? { kind: 'Any' } : parseType(spec.type, options));
}

/**
 * Every problem with `params` for a task, in Bolt's wording (empty when valid). Keys starting
 * with `_` are metaparameters and not validated (T-23).
 *
 * - `parameters` undefined/null: any parameter with a valid name and any Data value (T-13);
 * - `parameters` `{}`: no parameters accepted;
 * - declared: unknown names rejected (with a suggestion), non-Optional ones required.
 *
 * @example
 * ```ts
 * validateTaskParams({ version: { type: 'String' } }, {});
 * // ["expects a value for parameter 'version'"] (Bolt's wording, for {@link taskParamsMessage})
 * ```
 */
export function validateTaskParams(
  parameters: Readonly<Record<string, ParamSpec>> | null | undefined,
  params: Readonly<Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  const given = Object.keys(params).filter((k) => !k.startsWith('_'));
  if (parameters === undefined || parameters === null) {
    for (const name of given) {
      if (!PARAM_NAME.test(name)) {
        problems.push(`parameter '${name}' has an invalid name: names must start with a lowercase letter and contain only lowercase letters, digits and underscores`);
      }
    }
    return problems;
  }
  const declared = Object.keys(parameters);
  for (const name of given) {
    if (!Object.hasOwn(parameters, name)) {
      const guess = suggest(name, declared);
      problems.push(`has no parameter named '${name}'${guess === undefined ? '' : ` (did you mean '${guess}'?)`}`);
    }
  }
  for (const name of declared) {
    const spec = parameters[name] as ParamSpec;
    const type = paramType(spec);
    const value = params[name];
    if (value === undefined || value === null) {
      if (!acceptsUndef(type)) problems.push(`expects a value for parameter '${name}'`);
      continue;
    }
    const why = explainMismatch(type, value, spec.sensitive === true);
    if (why !== undefined) problems.push(`parameter '${name}' ${why}`);
  }
  return problems;
}

/**
 * Bolt's message for parameters a task cannot run with (Puppet's `TaskSignature#runnable_with?`,
 * raised by `run_task.rb`): `Task <name>:` then one problem per line, each indented by a space.
 *
 * @example
 * ```ts
 * taskParamsMessage('demo::x', ["has no parameter named 'foo'"]); // "Task demo::x:\n has no parameter named 'foo'"
 * ```
 */
export function taskParamsMessage(taskName: string, problems: readonly string[]): string {
  return `Task ${taskName}:\n ${problems.join('\n ')}`;
}

/**
 * Like {@link validateTaskParams} but throws one error listing every problem.
 *
 * @throws RivetError kind `bolt/pal-error`, issue code `TYPE_MISMATCH`, `details.problems` holding each message.
 * @example
 * ```ts
 * assertTaskParams('demo::deploy', { port: { type: 'Integer' } }, { port: 80 }); // ok
 * ```
 */
export function assertTaskParams(
  taskName: string,
  parameters: Readonly<Record<string, ParamSpec>> | null | undefined,
  params: Readonly<Record<string, unknown>>,
): void {
  const problems = validateTaskParams(parameters, params);
  if (problems.length > 0) {
    throw new RivetError(VALIDATION_ERROR_KIND, taskParamsMessage(taskName, problems), { issueCode: 'TYPE_MISMATCH', details: { task: taskName, problems } });
  }
}

/**
 * A task's declared result value (`extensions.rivet.output` in its metadata): a Puppet type, or a
 * JSON Schema object. Rivet validates each target's value against it; Bolt ignores it.
 */
export type TaskOutputDecl = { type: PuppetType; text: string } | { schema: Record<string, unknown> };

/** Kind of the per-target error for a value that does not match the declared output. */
export const INVALID_OUTPUT_KIND = 'rivet/invalid-task-output';

/**
 * Reads `extensions.rivet.output`: a type string is parsed, an object must be a JSON Schema ajv
 * compiles. Returns the declaration, or the problem as a sentence.
 *
 * @example
 * ```ts
 * parseOutputDecl('Struct[{status => String}]'); // { type: {...}, text: 'Struct[{status => String}]' }
 * parseOutputDecl(5); // 'expects a Puppet type string or a JSON Schema object, got number 5'
 * ```
 */
export function parseOutputDecl(value: unknown, options: ParseTypeOptions = {}): TaskOutputDecl | string {
  if (typeof value === 'string') {
    try {
      return { type: parseType(value, options), text: value };
    } catch (error) {
      if (error instanceof PuppetTypeError) return error.reason;
      throw error;
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    try {
      compileJsonSchema(value as Record<string, unknown>);
    } catch (error) {
      return `is not a valid JSON Schema: ${(error as Error).message}`;
    }
    return { schema: value as Record<string, unknown> };
  }
  return `expects a Puppet type string or a JSON Schema object, got ${describeValue(value)}`;
}

/**
 * Why a task's result value does not match its declared output, as a full sentence, or undefined
 * when it matches.
 *
 * @example
 * ```ts
 * checkTaskOutput('demo::x', { type: parseType('Struct[{ok => Boolean}]'), text: 'Struct[{ok => Boolean}]' }, { ok: 'yes' });
 * // "demo::x returned a value that does not match its declared output: entry 'ok' expects a Boolean, got \"yes\""
 * ```
 */
export function checkTaskOutput(taskName: string, decl: TaskOutputDecl, value: unknown): string | undefined {
  const head = `${taskName} returned a value that does not match its declared output`;
  if ('type' in decl) {
    const why = explainMismatch(decl.type, value);
    return why === undefined ? undefined : `${head}: ${why}`;
  }
  const fn = compileJsonSchema(decl.schema);
  if (fn(unwrapSensitive(value)) === true) return undefined;
  const first = fn.errors?.[0];
  const where = first === undefined ? '' : `${first.instancePath === '' ? 'the value' : first.instancePath} ${first.message ?? 'is invalid'}`;
  return `${head} (JSON Schema): ${where}, got ${describeValue(value)}`;
}
