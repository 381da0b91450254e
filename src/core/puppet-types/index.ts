/**
 * Puppet data types as used in Bolt task metadata: parse, format, and convert to JSON Schema.
 *
 * Pure: no I/O, no dependencies.
 *
 * @example
 * ```ts
 * import { parseType, formatType, toJsonSchema } from 'rivetops/core';
 * const t = parseType('Optional[Integer[1, 65535]]');
 * formatType(t); // 'Optional[Integer[1, 65535]]'
 * toJsonSchema(t); // { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 1, maximum: 65535 }] }
 * ```
 * @module
 */
export * from './ast.ts';
export * from './parse.ts';
export * from './format.ts';
export * from './json-schema.ts';
export { rubyRegexToJs, RegexTranslationError } from './regex.ts';
export { linearRegex, linearRegExpEngine, jsToRe2, LinearRegexError, type LinearRegex } from './linear-regex.ts';
export { suggest, editDistance, closeNames } from './suggest.ts';
