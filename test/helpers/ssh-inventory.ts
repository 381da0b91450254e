/**
 * The `config:` block of a test inventory (YAML lines) that points every target at a test sshd:
 * its port, login user, client key and known_hosts file, without reading ~/.ssh/config.
 *
 * @example
 * ```ts
 * const inventory = ['targets:', '  - 127.0.0.2', ...sshConfigLines(server, { 'connect-timeout': 60 }), ''].join('\n');
 * ```
 */
export function sshConfigLines(
  server: { port: number; user: string; clientKeyPath: string; knownHostsPath: string },
  extra: Readonly<Record<string, string | number | undefined>> = {},
): string[] {
  const settings: Record<string, string | number | undefined> = {
    port: server.port,
    user: server.user,
    'private-key': server.clientKeyPath,
    'known-hosts-file': server.knownHostsPath,
    'load-config': 'false',
    ...extra,
  };
  return ['config:', '  ssh:', ...Object.entries(settings).flatMap(([key, value]) => (value === undefined ? [] : [`    ${key}: ${value}`]))];
}
