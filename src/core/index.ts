// Public declarations use Node's types (Buffer, streams, AbortSignal): @types/node is a dependency.
/// <reference types="node" preserve="true" />
/**
 * Rivet's core: errors with stable kinds, Result/ResultSet, targets and events. Imports nothing
 * else from Rivet.
 *
 * @example
 * ```ts
 * import { ResultSet, ErrorKind } from 'rivetops/core';
 * ```
 * @module
 */
export * from './errors.ts';
export * from './result.ts';
export * from './target.ts';
export * from './events.ts';
export * from './shell.ts';
