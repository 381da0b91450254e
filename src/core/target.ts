/**
 * Targets as Rivet passes them around: the resolved inventory entry of one machine.
 *
 * The inventory (in `src/runtime/inventory`) builds these; transports read `config`; plans see
 * them through the SDK.
 *
 * @example
 * ```ts
 * const web: Target = {
 *   name: 'web1', uri: 'ssh://deploy@10.0.0.5:22', alias: [], transport: 'ssh',
 *   host: '10.0.0.5', port: 22, user: 'deploy', config: { transport: 'ssh', ssh: {} },
 *   vars: {}, facts: {}, features: [], groups: ['all'],
 * };
 * ```
 * @module
 */
import { safeUri } from './uri-passwords.ts';

/** Transport names Rivet knows. Bolt's other transports parse but are rejected when used. */
export type TransportName = 'ssh' | 'winrm' | 'local' | 'docker' | 'podman' | 'lxd' | 'jail' | 'pcp' | 'remote';

/** Per-transport configuration, as written in inventory `config` (keys in Bolt's kebab-case). */
export type TransportConfig = Record<string, unknown>;

/** The `config` section of a resolved target: its transport and each transport's options. */
export interface TargetConfig {
  transport: TransportName;
  ssh?: TransportConfig;
  winrm?: TransportConfig;
  local?: TransportConfig;
  [transport: string]: unknown;
}

export interface Target {
  /** The name used in results and specs (the URI when the inventory gives no name). */
  readonly name: string;
  /** The target's URI as written (may hold a password: use {@link safeName} for display). */
  readonly uri: string | undefined;
  readonly alias: readonly string[];
  readonly transport: TransportName;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly password?: string | undefined;
  readonly config: TargetConfig;
  vars: Record<string, unknown>;
  facts: Record<string, unknown>;
  features: string[];
  groups: string[];
}

/** A target's name with any password in its URI removed. */
export function safeName(target: Pick<Target, 'name'>): string {
  return safeUri(target.name);
}

/** The options of the target's own transport (`config.<transport>`), never undefined. */
export function transportOptions(target: Pick<Target, 'config' | 'transport'>): TransportConfig {
  const options = target.config[target.transport];
  return typeof options === 'object' && options !== null ? (options as TransportConfig) : {};
}
