export { SshTransport, type SshTransportOptions } from './transport.ts';
export { SshPrimitives } from './primitives.ts';
export { resolveSshConfig, parseJumpList, type ResolvedSshConfig, type HopConfig, type HostKeyPolicy, type ResolveEnv } from './config.ts';
export { parseKnownHosts, checkHostKey, loadKnownHosts, hashKnownHostsName, knownHostsName, type KnownHostEntry, type HostKeyVerdict } from './known-hosts.ts';
export { sshError, type SshIssueCode } from './errors.ts';
