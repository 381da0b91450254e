/**
 * Opens an authenticated ssh2 {@link Client} to a target, through its jump hosts if any.
 *
 * - The TCP socket is ours (`net.connect` + `setNoDelay(true)`; ssh2 leaves Nagle on) and passed
 *   as `sock`, so our own timer covers TCP connect and the handshake together.
 * - `authHandler` offers exactly the configured methods, in order: private keys, agent, password;
 *   they are checked once the host is reached (an unknown host is a CONNECT_ERROR, as in Bolt).
 *   No `none` probe (it costs a round trip and only tells us the method list).
 * - `hostVerifier` checks the key against known_hosts (see `known-hosts.ts`).
 * - Every wait is bounded by `connect-timeout` and honours the AbortSignal.
 *
 * @example
 * ```ts
 * const { client, chain } = await openSshChain(target.name, resolved, signal);
 * ```
 * @module
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type AnyAuthMethod, type Client as ClientType, type ConnectConfig } from 'ssh2';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import type { HopConfig, ResolvedSshConfig } from './config.ts';
import { authFailed, connectTimeout, describeSocketError, formatEndpoint, sshError } from './errors.ts';
import { parseKeyOnce } from './file-cache.ts';
import { checkHostKey, keyBlobType, KnownHostsIndex, knownHostsName, loadKnownHosts, type KnownHostEntry } from './known-hosts.ts';

const { Client } = ssh2;

export interface SshChain {
  /** The client logged in to the target. */
  client: ClientType;
  /** All clients, target first then jump hosts (close in this order). */
  clients: ClientType[];
}

function canceled(target: string): RivetError {
  return new RivetError(ErrorKind.Canceled, `ssh ${target}: connect canceled`, { target, issueCode: 'CANCELED' });
}

/** Connects the TCP socket with a deadline; resolves the connected socket. */
function tcpConnect(targetName: string, hop: HopConfig, noDelay: boolean, deadline: number, timeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const endpoint = { host: hop.host, port: hop.port };
    const sock = netConnect({ host: hop.host, port: hop.port });
    sock.setNoDelay(noDelay);
    const cleanup = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.removeListener('connect', onConnect);
      sock.removeListener('error', onError);
    };
    const onConnect = (): void => {
      cleanup();
      resolve(sock);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      cleanup();
      sock.destroy();
      reject(sshError('CONNECT_ERROR', targetName, endpoint, describeSocketError(error, endpoint), { cause: error, details: { code: error.code } }));
    };
    const onAbort = (): void => {
      cleanup();
      sock.destroy();
      reject(canceled(targetName));
    };
    const timer = setTimeout(() => {
      cleanup();
      sock.destroy();
      reject(connectTimeout(targetName, endpoint, timeoutMs / 1000, 'opening the TCP connection'));
    }, Math.max(0, deadline - Date.now()));
    sock.once('connect', onConnect);
    sock.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

interface AuthPlan {
  methods: AnyAuthMethod[];
  labels: string[];
}

/** The auth methods to offer, checked before connecting (an unusable key fails fast). */
function planAuth(targetName: string, hop: HopConfig): AuthPlan {
  const methods: AnyAuthMethod[] = [];
  const labels: string[] = [];
  for (const key of hop.keys) {
    const parsed = parseKeyOnce(key.data);
    if (parsed instanceof Error) {
      if (key.explicit) {
        throw sshError('AUTH_ERROR', targetName, { host: hop.host, port: hop.port }, `cannot use private key ${key.origin}: ${parsed.message}`);
      }
      continue; // e.g. an encrypted default identity: skip, as there is no passphrase prompt.
    }
    methods.push({ type: 'publickey', username: hop.user, key: parsed }); // parsed once: ssh2 does not parse it again
    labels.push(`publickey (${key.origin})`);
  }
  if (hop.agent !== undefined) {
    methods.push({ type: 'agent', username: hop.user, agent: hop.agent });
    labels.push('agent');
  }
  if (hop.password !== undefined) {
    methods.push({ type: 'password', username: hop.user, password: hop.password });
    labels.push('password');
  }
  if (methods.length === 0) {
    throw sshError('AUTH_ERROR', targetName, { host: hop.host, port: hop.port }, `no authentication method configured for user '${hop.user}' (set private-key or password, or run ssh-agent with load-config: true)`);
  }
  return { methods, labels };
}

/**
 * Logs in to one hop over `sock`. Resolves the ready client; rejects with a RivetError
 * (CONNECT_ERROR / AUTH_ERROR / HOST_KEY_ERROR).
 */
async function loginHop(
  targetName: string,
  hop: HopConfig,
  plan: AuthPlan,
  sock: Duplex,
  cfg: ResolvedSshConfig,
  knownHosts: readonly KnownHostEntry[],
  deadline: number,
  signal: AbortSignal,
): Promise<ClientType> {
  const endpoint = { host: hop.host, port: hop.port };

  let hostKeyFailure: RivetError | undefined;
  const hostVerifier = (key: Buffer): boolean => {
    if (cfg.hostKeyPolicy === 'off') return true;
    const verdict = checkHostKey(knownHosts, hop.host, hop.port, key);
    const type = keyBlobType(key);
    const files = cfg.knownHostsFiles.join(', ');
    switch (verdict.status) {
      case 'match':
        return true;
      case 'unknown':
        if (cfg.hostKeyPolicy === 'accept-new') return true;
        hostKeyFailure = sshError(
          'HOST_KEY_ERROR',
          targetName,
          endpoint,
          `${knownHostsName(hop.host, hop.port)} is not in known_hosts (${files}) with a ${type} key` +
            (verdict.otherTypes.length > 0 ? ` (known key types: ${verdict.otherTypes.join(', ')})` : '') +
            `. Add it with: ssh-keyscan -p ${hop.port} ${hop.host} >> ~/.ssh/known_hosts (after checking the fingerprint), or set host-key-check: false`,
          { details: { keyType: type } },
        );
        return false;
      case 'changed':
        hostKeyFailure = sshError(
          'HOST_KEY_ERROR',
          targetName,
          endpoint,
          `the ${type} host key of ${knownHostsName(hop.host, hop.port)} has CHANGED since it was recorded in ${verdict.entry.source}:${verdict.entry.line} ` +
            `(someone could be eavesdropping on you: man-in-the-middle attack, or the host was reinstalled). Remove the old entry with: ssh-keygen -R '${knownHostsName(hop.host, hop.port)}'`,
          { details: { keyType: type, file: verdict.entry.source, line: verdict.entry.line } },
        );
        return false;
      case 'revoked':
        hostKeyFailure = sshError('HOST_KEY_ERROR', targetName, endpoint, `the ${type} host key is marked @revoked in ${verdict.entry.source}:${verdict.entry.line}`);
        return false;
    }
  };

  const tried: string[] = [];
  let next = 0;
  const authHandler = (methodsLeft: string[] | null, _partial: boolean | null, callback: (m: AnyAuthMethod | false) => void): void => {
    while (next < plan.methods.length) {
      const i = next++;
      const method = plan.methods[i]!;
      const wire = method.type === 'agent' ? 'publickey' : method.type;
      if (methodsLeft !== null && !methodsLeft.includes(wire)) continue;
      tried.push(plan.labels[i]!);
      callback(method);
      return;
    }
    callback(false);
  };

  const client = new Client();
  return new Promise<ClientType>((resolve, reject) => {
    let settled = false;
    let lastError: (Error & { level?: string }) | undefined;
    const finish = (error?: RivetError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      client.removeListener('ready', onReady);
      client.removeListener('close', onClose);
      if (error) {
        client.on('error', () => {}); // late errors after we gave up
        client.end();
        sock.destroy();
        reject(error);
      } else {
        resolve(client);
      }
    };
    const onReady = (): void => finish();
    const classify = (): RivetError => {
      if (hostKeyFailure) return hostKeyFailure;
      const e = lastError;
      if (closedBeforeBanner(sock, e)) {
        return sshError(
          'CONNECT_ERROR',
          targetName,
          endpoint,
          'the server closed the connection before sending its SSH banner (sshd drops new connections past its MaxStartups limit of unauthenticated ' +
            'connections: raise MaxStartups in sshd_config, or lower --concurrency)',
          e ? { cause: e } : {},
        );
      }
      if (e?.level === 'client-authentication') {
        return authFailed(targetName, endpoint, hop.user, tried, { cause: e });
      }
      if (e?.level === 'client-timeout') {
        return connectTimeout(targetName, endpoint, cfg.connectTimeoutMs / 1000, 'waiting for the SSH handshake', { cause: e });
      }
      if (e && (e as NodeJS.ErrnoException).code) {
        return sshError('CONNECT_ERROR', targetName, endpoint, describeSocketError(e as NodeJS.ErrnoException, endpoint), { cause: e });
      }
      if (e) return sshError('CONNECT_ERROR', targetName, endpoint, `SSH handshake failed: ${e.message}`, { cause: e });
      return sshError('CONNECT_ERROR', targetName, endpoint, 'the server closed the connection during the SSH handshake');
    };
    const onClose = (): void => finish(classify());
    const onAbort = (): void => finish(canceled(targetName));
    const timer = setTimeout(() => {
      finish(hostKeyFailure ?? connectTimeout(targetName, endpoint, cfg.connectTimeoutMs / 1000, 'waiting for the SSH handshake'));
    }, Math.max(0, deadline - Date.now()));
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('ready', onReady);
    client.on('close', onClose);
    client.on('error', (error: Error & { level?: string }) => {
      lastError = error;
      // ssh2 emits 'close' after a fatal error (socket ended); auth failures end the client too.
      if (error.level === 'client-authentication' || hostKeyFailure) finish(classify());
    });

    const algorithms: NonNullable<ConnectConfig['algorithms']> = { ...(cfg.algorithms as ConnectConfig['algorithms']) };
    if (cfg.algorithms.serverHostKey === undefined && cfg.hostKeyPolicy !== 'off') {
      const preferred = preferredHostKeyAlgorithms(knownHosts, hop.host, hop.port);
      if (preferred) algorithms.serverHostKey = preferred as NonNullable<ConnectConfig['algorithms']>['serverHostKey'];
    }
    const config: ConnectConfig = {
      algorithms,
      sock: sock as unknown as ConnectConfig['sock'],
      username: hop.user,
      readyTimeout: Math.max(1, deadline - Date.now()) + 1000, // our own timer fires first
      keepaliveInterval: cfg.keepaliveIntervalMs,
      keepaliveCountMax: cfg.keepaliveCountMax,
      hostVerifier,
    };
    if (cfg.skipNoneProbe) config.authHandler = authHandler as unknown as ConnectConfig['authHandler'];
    else {
      // Benchmark mode: ssh2's default handler (starts with a `none` probe).
      const firstKey = hop.keys.find((k) => !(parseKeyOnce(k.data) instanceof Error));
      if (firstKey) config.privateKey = firstKey.data;
      if (hop.password !== undefined) config.password = hop.password;
      if (hop.agent !== undefined) config.agent = hop.agent;
    }
    try {
      client.connect(config);
      skipHostKeysProof(client);
    } catch (error) {
      finish(sshError('CONNECT_ERROR', targetName, endpoint, (error as Error).message, { cause: error }));
    }
  });
}

/** The parts of ssh2's Client that {@link skipHostKeysProof} replaces. */
interface GlobalRequestInternals {
  _protocol?: { _handlers?: { GLOBAL_REQUEST?: (protocol: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void } };
}

/**
 * OpenSSH's sshd announces all its host keys after login (`hostkeys-00@openssh.com`, for
 * `UpdateHostKeys`). ssh2 answers every announcement with a `hostkeys-prove-00` request, which
 * costs the server a signature per host key and the client a verification each, plus a round
 * trip. Rivet does not update known_hosts from them, so the announcement is accepted and
 * dropped; every other global request still goes to ssh2's handler. (On a ssh2 without these
 * internals nothing changes.)
 */
function skipHostKeysProof(client: ClientType): void {
  const handlers = (client as unknown as GlobalRequestInternals)._protocol?._handlers;
  const original = handlers?.GLOBAL_REQUEST;
  if (handlers === undefined || typeof original !== 'function') return;
  handlers.GLOBAL_REQUEST = (protocol, name, wantReply, data) => {
    if (name !== 'hostkeys-00@openssh.com') return original(protocol, name, wantReply, data);
    if (wantReply) protocol.requestSuccess();
  };
}

/**
 * True when a TCP connection ended before the server sent a single byte, so before its
 * `SSH-2.0-...` banner: what sshd does past `MaxStartups` (a clean close, or a reset when our
 * own banner was still unread).
 */
function closedBeforeBanner(sock: Duplex, error: (Error & { code?: string }) | undefined): boolean {
  if (!('bytesRead' in sock) || (sock as Socket).bytesRead !== 0) return false;
  // ssh2 says "Connection lost before handshake" (no code) for a clean close.
  return error?.code === undefined || error.code === 'ECONNRESET' || error.code === 'EPIPE';
}

/** ssh2's default host key algorithms, in its order. */
const DEFAULT_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * Like OpenSSH, ask first for the host key types known_hosts already lists for this host, so a
 * host recorded with (say) only its RSA key is not reported as unknown because the server
 * offered ed25519 first. Undefined when the host is not listed, or when ssh2's own order already
 * puts the listed types first (ssh2 then sends its prepared KEXINIT, not one built per connection).
 */
export function preferredHostKeyAlgorithms(knownHosts: readonly KnownHostEntry[] | KnownHostsIndex, host: string, port: number): string[] | undefined {
  const index = knownHosts instanceof KnownHostsIndex ? knownHosts : KnownHostsIndex.of(knownHosts);
  const known = new Set(index.matching(knownHostsName(host, port)).map((entry) => entry.keyType));
  if (known.size === 0) return undefined;
  const algoType = (algo: string): string => (algo.startsWith('rsa-sha2-') ? 'ssh-rsa' : algo);
  const first = DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => known.has(algoType(a)));
  if (first.length === 0 || first.every((a, i) => DEFAULT_HOST_KEY_ALGORITHMS[i] === a)) return undefined;
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

/** Opens a forwarded TCP stream through `via` to `hop`. */
function forwardTo(targetName: string, via: ClientType, hop: HopConfig, deadline: number, timeoutMs: number, signal: AbortSignal): Promise<Duplex> {
  return new Promise<Duplex>((resolve, reject) => {
    const endpoint = { host: hop.host, port: hop.port };
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      reject(connectTimeout(targetName, endpoint, timeoutMs / 1000, 'opening the ProxyJump forward'));
    }, Math.max(0, deadline - Date.now()));
    const onAbort = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(canceled(targetName));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    via.forwardOut('127.0.0.1', 0, hop.host, hop.port, (error, stream) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (done) {
        stream?.destroy();
        return;
      }
      done = true;
      if (error) reject(sshError('CONNECT_ERROR', targetName, endpoint, `the jump host could not open a connection to ${formatEndpoint(endpoint)}: ${error.message}`, { cause: error }));
      else resolve(stream);
    });
  });
}

/** Connects and logs in to the target, through its jump hosts. */
export async function openSshChain(targetName: string, cfg: ResolvedSshConfig, signal: AbortSignal): Promise<SshChain> {
  if (signal.aborted) throw canceled(targetName);
  const knownHosts = cfg.hostKeyPolicy === 'off' ? [] : await (cfg.fileCache?.knownHosts(cfg.knownHostsFiles) ?? loadKnownHosts(cfg.knownHostsFiles));
  const clients: ClientType[] = [];
  try {
    let via: ClientType | undefined;
    for (const hop of cfg.hops) {
      // Each hop gets the full connect-timeout.
      const deadline = Date.now() + cfg.connectTimeoutMs;
      const sock: Duplex = via
        ? await forwardTo(targetName, via, hop, deadline, cfg.connectTimeoutMs, signal)
        : await tcpConnect(targetName, hop, cfg.noDelay, deadline, cfg.connectTimeoutMs, signal);
      // Auth is planned once the host is reached, so an unknown or unreachable host is a
      // CONNECT_ERROR even when no key is configured (net-ssh resolves and connects first too).
      let plan: AuthPlan;
      try {
        plan = planAuth(targetName, hop);
      } catch (error) {
        sock.destroy();
        throw error;
      }
      const client = await loginHop(targetName, hop, plan, sock, cfg, knownHosts, deadline, signal);
      clients.unshift(client);
      via = client;
    }
    return { client: clients[0]!, clients };
  } catch (error) {
    for (const c of clients) c.end();
    throw error;
  }
}
