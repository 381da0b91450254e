/**
 * CLI transport flags as a config layer (I-11).
 *
 * Bolt's precedence, highest first: URI parts > inventory (target, then groups, then `all`) >
 * CLI flags > project/defaults files. So `--user` does **not** beat a `user` set in the inventory;
 * Bolt only warns (`cli_overrides`: "CLI arguments [...] might be overridden by Inventory: <file>").
 * Rivet follows that and returns the same warning.
 *
 * @example
 * ```ts
 * const { inventory: withFlags, warnings } = applyOverrides(inventory, { user: 'deploy', hostKeyCheck: false });
 * warnings; // ['CLI arguments ["user","host-key-check"] might be overridden by Inventory: inventory.yaml']
 * ```
 * @module
 */
import { UsageError } from '../../core/index.ts';
import { withWarningId } from '../../core/warning-id.ts';
import type { Inventory } from './inventory.ts';
import { deepMerge, TRANSPORT_OPTIONS, TRANSPORTS } from './schema.ts';

type Dict = Record<string, unknown>;

/** Transport flags of the CLI (C-03, C-04, C-05, C-07), camelCase. */
export interface ConfigOverrides {
  transport?: string;
  user?: string;
  password?: string;
  privateKey?: string;
  hostKeyCheck?: boolean;
  ssl?: boolean;
  sslVerify?: boolean;
  connectTimeout?: number;
  tty?: boolean;
  nativeSsh?: boolean;
  sshCommand?: string;
  copyCommand?: string;
  runAs?: string;
  sudoPassword?: string;
  sudoExecutable?: string;
  tmpdir?: string;
  cleanup?: boolean;
  /** `--max-output`: bytes (or a size such as `10MiB`) kept of each target's output. */
  maxOutput?: number | string;
}

const FLAG_KEYS: Record<Exclude<keyof ConfigOverrides, 'transport'>, string> = {
  user: 'user',
  password: 'password',
  privateKey: 'private-key',
  hostKeyCheck: 'host-key-check',
  ssl: 'ssl',
  sslVerify: 'ssl-verify',
  connectTimeout: 'connect-timeout',
  tty: 'tty',
  nativeSsh: 'native-ssh',
  sshCommand: 'ssh-command',
  copyCommand: 'copy-command',
  runAs: 'run-as',
  sudoPassword: 'sudo-password',
  sudoExecutable: 'sudo-executable',
  tmpdir: 'tmpdir',
  cleanup: 'cleanup',
  maxOutput: 'max-output',
};

/**
 * Turns CLI flags into a config layer: each option goes into every transport (ssh, winrm, local)
 * that knows it, as Bolt does. Pure.
 *
 * @example
 * ```ts
 * overridesToConfig({ user: 'u', tmpdir: '/var/tmp' });
 * // { ssh: { user: 'u', tmpdir: '/var/tmp' }, winrm: { user: 'u', tmpdir: '/var/tmp' }, local: { tmpdir: '/var/tmp' } }
 * ```
 */
export function overridesToConfig(overrides: ConfigOverrides): Dict {
  const layer: Dict = {};
  if (overrides.transport !== undefined) {
    if (!(TRANSPORTS as readonly string[]).includes(overrides.transport)) {
      throw new UsageError(`unknown transport '${overrides.transport}' for --transport; valid transports are: ${TRANSPORTS.join(', ')}`);
    }
    layer['transport'] = overrides.transport;
  }
  for (const [flag, key] of Object.entries(FLAG_KEYS) as [keyof typeof FLAG_KEYS, string][]) {
    const value = overrides[flag];
    if (value === undefined) continue;
    for (const transport of ['ssh', 'winrm', 'local'] as const) {
      if (key in TRANSPORT_OPTIONS[transport]) {
        const options = (layer[transport] ??= {}) as Dict;
        options[key] = value;
      }
    }
  }
  return layer;
}

/** The kebab-case names of the flags that are set, for the `cli_overrides` warning. */
export function overrideNames(overrides: ConfigOverrides): string[] {
  return (Object.keys(overrides) as (keyof ConfigOverrides)[])
    .filter((key) => overrides[key] !== undefined)
    .map((key) => (key === 'transport' ? 'transport' : FLAG_KEYS[key]));
}

/**
 * Merges layers, lowest precedence first (e.g. project defaults, then CLI flags). Pure.
 *
 * @example
 * ```ts
 * mergeConfigLayers({ ssh: { user: 'a', port: 22 } }, { ssh: { user: 'b' } }); // { ssh: { user: 'b', port: 22 } }
 * ```
 */
export function mergeConfigLayers(...layers: readonly Dict[]): Dict {
  return layers.reduce<Dict>((acc, layer) => deepMerge(acc, layer), {});
}

/**
 * Returns a new inventory whose targets get the CLI flags under their inventory config (inventory
 * beats CLI, I-11), plus Bolt's `cli_overrides` warning when an inventory source exists. Call it
 * before a run: in-memory plan changes of `inventory` are not carried over.
 *
 * @example
 * ```ts
 * const { inventory: inv } = applyOverrides(loadInventory({ path }), { transport: 'ssh', user: 'root' });
 * ```
 */
export function applyOverrides(inventory: Inventory, overrides: ConfigOverrides): { inventory: Inventory; warnings: string[] } {
  const layer = overridesToConfig(overrides);
  const names = overrideNames(overrides);
  const warnings =
    inventory.source !== undefined && names.length > 0
      ? [withWarningId('cli_overrides', `CLI arguments ${JSON.stringify(names)} might be overridden by Inventory: ${inventory.source}`)]
      : [];
  return { inventory: inventory.withBaseConfig(mergeConfigLayers(inventory.baseConfig, layer)), warnings };
}
