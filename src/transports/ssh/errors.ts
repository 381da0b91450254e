/**
 * Connection errors of the SSH transport: every failure to connect is a {@link RivetError} of kind
 * `puppetlabs.tasks/connect-error` whose issue code says what went wrong (`CONNECT_ERROR`,
 * `AUTH_ERROR`, `HOST_KEY_ERROR`) and whose message names the target, `host:port` and the cause.
 *
 * @example
 * ```ts
 * throw sshError('AUTH_ERROR', 'web1', { host: '10.0.0.5', port: 22 }, 'all auth methods failed');
 * // "ssh web1 (10.0.0.5:22): all auth methods failed"
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';

export type SshIssueCode = 'CONNECT_ERROR' | 'AUTH_ERROR' | 'HOST_KEY_ERROR';

export interface Endpoint {
  host: string;
  port: number;
}

/** Builds a connect error; the message always starts with the target and its endpoint. */
export function sshError(
  issueCode: SshIssueCode,
  target: string,
  endpoint: Endpoint,
  cause: string,
  extra: { cause?: unknown; details?: Record<string, unknown> } = {},
): RivetError {
  const where = formatEndpoint(endpoint);
  const prefix = target === where || target === endpoint.host ? `ssh ${where}` : `ssh ${target} (${where})`;
  return new RivetError(ErrorKind.Connect, `${prefix}: ${cause}`, {
    issueCode,
    target,
    details: { host: endpoint.host, port: endpoint.port, ...extra.details },
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
  });
}

export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** Describes a socket-level error (refused, DNS, unreachable) in words a user can act on. */
export function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is sshd running and listening on that port?)';
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return `cannot resolve host name (DNS): ${error.message}`;
    case 'EAI_AGAIN':
      return `temporary DNS failure: ${error.message}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable: ${error.message}`;
    case 'ECONNRESET':
      return 'connection reset by the server';
    case 'ETIMEDOUT':
      return 'TCP connect timed out';
    default:
      return error.message;
  }
}
