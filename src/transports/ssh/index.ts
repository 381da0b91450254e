/**
 * The SSH transport (npm `ssh2`). One connection per target, reused for every step; commands,
 * scripts and transfers are built by `PosixConnection` on {@link SshPrimitives}.
 *
 * - Auth: `private-key` (path or `{ key-data }`), ssh_config IdentityFile / default identities,
 *   ssh-agent (`SSH_AUTH_SOCK`, with `load-config`), `password`; offered in that order and only
 *   those (no `none` probe). Failures: `AUTH_ERROR` naming the user and the methods tried.
 * - Host keys: checked against known_hosts (hashed entries, `[host]:port`, wildcards, negation,
 *   `@revoked`); `HOST_KEY_ERROR` for an unknown or changed key; `host-key-check: false` opts out;
 *   unset follows ssh_config StrictHostKeyChecking. `known-hosts-file` overrides the file.
 * - `~/.ssh/config` (Host, HostName, User, Port, IdentityFile, ProxyJump, UserKnownHostsFile,
 *   StrictHostKeyChecking, ConnectTimeout) when `load-config` (default true); inventory wins.
 * - `connect-timeout` (s, default 10) bounds TCP connect + handshake + auth per hop; the
 *   AbortSignal cancels at any point. TCP_NODELAY is on (ssh2 leaves Nagle on).
 * - Exec channels are queued beyond `max-sessions` (default 10 = OpenSSH's MaxSessions) and the
 *   limit adapts down when a server allows fewer. `kill()` sends an SSH `signal` request, which
 *   OpenSSH ≥ 7.9 delivers to the session's whole process group.
 * - Processes left running on the target do not starve later steps of sessions: every exec
 *   channel is closed once its work is done (`RemoteProcess.release`), which makes sshd free a
 *   session whose command exited even while a daemon (`setsid ... &`) still holds its output. A
 *   session whose command never exited stays taken on the server; when the server refuses a
 *   session 3 times in a row while none of ours is open, a fresh connection to the target takes
 *   the place of the old one, which is ended once its own work ends. That fresh connection's
 *   handshake is paced by `ConnectOptions.paceHandshake` (the pool's queues) and bounded by
 *   `connect-timeout`; a failed one fails its steps naming the host and the reason.
 * - Transfers use one lazily opened SFTP session; without an SFTP subsystem they throw
 *   `TransferUnavailableError` and PosixConnection streams through exec instead.
 *
 * @example
 * ```ts
 * import { SshTransport } from './transports/ssh/index.ts'; // internal: the runtime loads it on first use
 * const conn = await new SshTransport().connect(target, { signal });
 * ```
 * @module
 */
export { SshTransport, type SshTransportOptions } from './transport.ts';
export { SshPrimitives } from './primitives.ts';
export { resolveSshConfig, parseJumpList, type ResolvedSshConfig, type HopConfig, type HostKeyPolicy, type ResolveEnv, type AlgorithmOptions } from './config.ts';
export { parseKnownHosts, checkHostKey, loadKnownHosts, hashKnownHostsName, knownHostsName, type KnownHostEntry, type HostKeyVerdict } from './known-hosts.ts';
export { preferredHostKeyAlgorithms } from './connect.ts';
export { sshError, type SshIssueCode } from './errors.ts';
