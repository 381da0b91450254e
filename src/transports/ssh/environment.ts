/**
 * Where SSH settings come from (environment, home directory, local user): the part of the SSH
 * transport's `ResolveEnv` that other layers may name without loading ssh2's types (worker
 * threads pass it to the thread that connects).
 *
 * @example
 * ```ts
 * const environment: SshEnvironment = { home: '/home/deploy', env: { SSH_AUTH_SOCK: undefined } };
 * ```
 * @module
 */

/** The environment, home directory and local user an SSH connection's settings are read with. */
export interface SshEnvironment {
  env?: Readonly<Record<string, string | undefined>>;
  home?: string;
  localUser?: string;
}
