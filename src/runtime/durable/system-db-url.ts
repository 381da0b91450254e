/**
 * The system-database URL Rivet gives DBOS. DBOS sets `idle_in_transaction_session_timeout` on
 * each new connection of its pool with a query queued from the pool's `connect` event; the
 * borrower's first query then lands on a client still busy with it, and pg (8.x) prints a
 * DeprecationWarning ("Calling client.query() when the client is already executing a query")
 * on every durable run. Set through the URL's libpq `options` instead, the server applies the
 * same timeout at connection start-up with no query at all, and DBOS (which reads the URL's
 * `options`) adds no listener.
 *
 * @example
 * ```ts
 * systemDatabaseUrl('postgres://rivet@db/rivet');
 * // 'postgres://rivet@db/rivet?options=-c%20idle_in_transaction_session_timeout%3D60000'
 * ```
 * @module
 */

/** DBOS's default (`DEFAULT_IDLE_TRANSACTION_TIMEOUT_MS`): a transaction left idle this long is ended by the server. */
export const IDLE_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * The URL with `-c idle_in_transaction_session_timeout=60000` added to its `options` (after any
 * options it has); a URL that sets the timeout already, or that is not a URL, is returned as is.
 */
export function systemDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const options = parsed.searchParams.get('options') ?? '';
  if (options.includes('idle_in_transaction_session_timeout')) return url;
  parsed.searchParams.set('options', `${options}${options === '' ? '' : ' '}-c idle_in_transaction_session_timeout=${IDLE_TRANSACTION_TIMEOUT_MS}`);
  // libpq reads `+` as itself, not a space: write spaces as %20 (a literal + is %2B already).
  parsed.search = parsed.searchParams.toString().replaceAll('+', '%20');
  return parsed.toString();
}
