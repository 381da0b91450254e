/**
 * Rivet's core: errors with stable kinds, Result/ResultSet, targets and events. Imports nothing
 * else from Rivet.
 *
 * @example
 * ```ts
 * import { ResultSet, ErrorKind } from 'rivet/core';
 * ```
 * @module
 */
export * from './errors.ts';
export * from './result.ts';
export * from './target.ts';
export * from './events.ts';
