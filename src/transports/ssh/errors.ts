/**
 * Connection errors of the SSH transport: every failure to connect is a {@link RivetError} of kind
 * `puppetlabs.tasks/connect-error` whose issue code says what went wrong (`CONNECT_ERROR`,
 * `AUTH_ERROR`, `HOST_KEY_ERROR`). Messages are worded as Bolt's
 * (`lib/bolt/transport/ssh/connection.rb`, `Connection#connect`): "Failed to connect to <target>:
 * <reason>", "Timeout after <n> seconds connecting to <target>", "Host key verification failed for
 * <target>: <reason>", "Authentication failed for user <user>@<target>". The endpoint
 * (`host:port`) is in the reason where it matters and always in `details`.
 *
 * @example
 * ```ts
 * throw sshError('CONNECT_ERROR', 'web1', { host: '10.0.0.5', port: 22 }, 'connection refused by 10.0.0.5:22');
 * // "Failed to connect to web1: connection refused by 10.0.0.5:22"
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';

export type SshIssueCode = 'CONNECT_ERROR' | 'AUTH_ERROR' | 'HOST_KEY_ERROR';

export interface Endpoint {
  host: string;
  port: number;
}

/** Bolt's message for each issue code. */
function boltMessage(issueCode: SshIssueCode, target: string, cause: string): string {
  switch (issueCode) {
    case 'HOST_KEY_ERROR':
      return `Host key verification failed for ${target}: ${cause}`;
    case 'AUTH_ERROR':
      return `Authentication failed for ${target}: ${cause}`;
    case 'CONNECT_ERROR':
      return `Failed to connect to ${target}: ${cause}`;
  }
}

/** Builds a connect error; the message names the target the way Bolt's does. */
export function sshError(
  issueCode: SshIssueCode,
  target: string,
  endpoint: Endpoint,
  cause: string,
  extra: { cause?: unknown; details?: Record<string, unknown> } = {},
): RivetError {
  return connectError(issueCode, target, endpoint, boltMessage(issueCode, target, cause), extra);
}

/** "Timeout after <n> seconds connecting to <target>" (CONNECT_ERROR), with what Rivet was waiting for. */
export function connectTimeout(target: string, endpoint: Endpoint, seconds: number, waitingFor: string, extra: { cause?: unknown } = {}): RivetError {
  return connectError('CONNECT_ERROR', target, endpoint, `Timeout after ${seconds} seconds connecting to ${target} (${formatEndpoint(endpoint)}: ${waitingFor}; connect-timeout)`, extra);
}

/** An authentication failure: net-ssh's "Authentication failed for user <user>@<host>", naming what was tried. */
export function authFailed(target: string, endpoint: Endpoint, user: string, tried: readonly string[], extra: { cause?: unknown } = {}): RivetError {
  const where = formatEndpoint(endpoint);
  const at = target === endpoint.host || target === where ? where : `${target} (${where})`;
  return connectError('AUTH_ERROR', target, endpoint, `Authentication failed for user ${user}@${at} (tried: ${tried.join(', ') || 'nothing the server accepts'})`, {
    ...extra,
    details: { user, methodsTried: [...tried] },
  });
}

function connectError(
  issueCode: SshIssueCode,
  target: string,
  endpoint: Endpoint,
  msg: string,
  extra: { cause?: unknown; details?: Record<string, unknown> },
): RivetError {
  return new RivetError(ErrorKind.Connect, msg, {
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
export function describeSocketError(error: NodeJS.ErrnoException, endpoint: Endpoint): string {
  const where = formatEndpoint(endpoint);
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where} (is sshd running and listening on that port?)`;
    case 'ENOTFOUND':
    case 'EAI_NONAME':
      return `cannot resolve host name '${endpoint.host}' (DNS: ${error.message})`;
    case 'EAI_AGAIN':
      return `temporary DNS failure resolving '${endpoint.host}': ${error.message}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host ${where} unreachable: ${error.message}`;
    case 'ECONNRESET':
      return `connection reset by ${where}`;
    case 'ETIMEDOUT':
      return `TCP connect to ${where} timed out`;
    default:
      return `${error.message} (${where})`;
  }
}
