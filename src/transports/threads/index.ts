/**
 * SSH connections in worker threads (issue 13): {@link ThreadedTransport}. Loaded only when a run
 * uses threads (`--threads`, or `auto` on a large fan-out).
 *
 * @example
 * ```ts
 * import { ThreadedTransport } from './transports/threads/index.ts'; // internal: the runtime loads it
 * const ssh = new ThreadedTransport({ threads: 2 });
 * ```
 * @module
 */
export { ThreadedTransport, DEFAULT_OUTPUT_WINDOW, type ThreadedTransportOptions } from './transport.ts';
