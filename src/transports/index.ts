// Public declarations use Node's types (Buffer, streams, AbortSignal): @types/node is a dependency.
/// <reference types="node" preserve="true" />
/**
 * Transports: the one {@link Transport} interface and its implementations.
 *
 * @example
 * ```ts
 * import { LocalTransport } from 'rivetops/transports';
 * ```
 * @module
 */
export type * from './transport.ts';
export { PosixConnection } from './posix/connection.ts';
export type { PosixPrimitives } from './posix/primitives.ts';
export { TransferUnavailableError } from './posix/primitives.ts';
export { shellQuote, shellJoin } from '../core/shell.ts';
export { LocalTransport } from './local/index.ts';
