/**
 * Bolt's `bolt-defaults.yaml` (I-23, `lib/bolt/config.rb` `load_bolt_defaults_yaml`): settings for
 * every project, read from `/etc/puppetlabs/bolt/bolt-defaults.yaml` (system) and then
 * `~/.puppetlabs/etc/bolt/bolt-defaults.yaml` (user, which wins). The project file beats both;
 * `disable-warnings` lists are joined. As in Bolt:
 * - the keys are `analytics color compile-concurrency concurrency disable-warnings format
 *   inventory-config log module-install plugin-cache plugin-hooks plugins puppetdb
 *   puppetdb-instances save-rerun spinner stream`, each checked as in the project file (a bad
 *   value is an error naming the file, line and key);
 * - an unknown key is a warning (`unknown_option`), a project-only key (`name`, `modulepath`, ...)
 *   a warning (`unsupported_project_config`) and a transport key at the top (`ssh`, `transport`,
 *   ...) a warning (`unsupported_inventory_config`); all three are ignored;
 * - `inventory-config` holds transport config (`transport`, `ssh`, `winrm`, `local`, ...), checked
 *   as an inventory's `config`; it applies to every target below the inventory's own config and
 *   below CLI flags.
 *
 * @example
 * ```ts
 * const defaults = readDefaults({ HOME: '/home/ops' });
 * defaults.config.concurrency;  // 20, from ~/.puppetlabs/etc/bolt/bolt-defaults.yaml
 * defaults.inventoryConfig;     // { ssh: { user: 'deploy' } }
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ConfigError, ErrorKind } from '../core/index.ts';
import { withWarningId } from '../core/warning-id.ts';
import { loadInventory } from './inventory/load.ts';
import { mergeConfigLayers } from './inventory/overrides.ts';
import { TRANSPORTS, isDict, typeName } from './inventory/schema.ts';
import { YamlSource } from './inventory/source.ts';
import { PROJECT_KEYS, checkNestedKeys, checkValue } from './project-keys.ts';

export const DEFAULTS_FILE = 'bolt-defaults.yaml';

/** Bolt's `DEFAULTS_OPTIONS`. */
export const DEFAULTS_KEYS = [
  'analytics',
  'color',
  'compile-concurrency',
  'concurrency',
  'disable-warnings',
  'format',
  'inventory-config',
  'log',
  'module-install',
  'plugin-cache',
  'plugin-hooks',
  'plugins',
  'puppetdb',
  'puppetdb-instances',
  'save-rerun',
  'spinner',
  'stream',
] as const;

/** What the defaults files say, merged (user over system). */
export interface Defaults {
  /** Project-level settings, as in a project file. */
  config: Record<string, unknown>;
  /** `inventory-config`: transport config for every target, below the inventory's. */
  inventoryConfig: Record<string, unknown>;
  /** The files read, system first. */
  files: string[];
  warnings: string[];
}

/**
 * The directories searched, lowest precedence first (Bolt's `Config.system_path`,
 * `Config.user_path`). `RIVET_DEFAULTS_DIRS` (a path list, lowest precedence first; empty for
 * none) replaces both: a test suite, or a machine with Bolt's own files that Rivet should not
 * read, sets it.
 *
 * @example
 * ```ts
 * defaultsDirs({ HOME: '/home/ops' });          // ['/etc/puppetlabs/bolt', '/home/ops/.puppetlabs/etc/bolt']
 * defaultsDirs({ RIVET_DEFAULTS_DIRS: '' });    // []
 * ```
 */
export function defaultsDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const override = env['RIVET_DEFAULTS_DIRS'];
  if (override !== undefined) return override.split(delimiter).filter((dir) => dir !== '');
  const home = env['HOME'];
  return ['/etc/puppetlabs/bolt', ...(home ? [join(home, '.puppetlabs', 'etc', 'bolt')] : [])];
}

/** Keys whose map values are merged one level deep across layers (Bolt's `merge_config_layers`). */
const SHALLOW_MERGED = new Set(['apply-settings', 'log', 'plugin-hooks', 'puppetdb', 'puppetdb-instances']);

/**
 * `upper` over `lower` as Bolt's `merge_config_layers` does it: `disable-warnings` lists are
 * joined, `plugins` merged per plugin, `log`, `plugin-hooks`, `puppetdb`... merged one level deep,
 * `analytics` is off if either says so, and other values are replaced.
 *
 * @example
 * ```ts
 * mergeConfigLayer({ log: { console: { level: 'debug' } } }, { log: { 'x.log': 'disable' } });
 * // { log: { console: { level: 'debug' }, 'x.log': 'disable' } }
 * ```
 */
export function mergeConfigLayer(lower: Record<string, unknown>, upper: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...lower };
  for (const [key, value] of Object.entries(upper)) {
    const below = merged[key];
    if (below === undefined) merged[key] = value;
    else if (key === 'disable-warnings') merged[key] = [...(below as string[]), ...(value as string[])];
    else if (key === 'analytics') merged[key] = below === true && value === true;
    else if (key === 'plugins' && isDict(below) && isDict(value)) {
      const plugins: Record<string, unknown> = { ...below };
      for (const [name, conf] of Object.entries(value)) plugins[name] = isDict(plugins[name]) && isDict(conf) ? { ...plugins[name], ...conf } : conf;
      merged[key] = plugins;
    } else if (SHALLOW_MERGED.has(key) && isDict(below) && isDict(value)) merged[key] = { ...below, ...value };
    else merged[key] = value;
  }
  return merged;
}

/** Reads and merges the defaults files that exist (see the module doc). */
export function readDefaults(env: Readonly<Record<string, string | undefined>>, dirs: readonly string[] = defaultsDirs(env)): Defaults {
  const merged: Defaults = { config: {}, inventoryConfig: {}, files: [], warnings: [] };
  for (const dir of dirs) {
    const file = join(dir, DEFAULTS_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw new ConfigError(ErrorKind.Project, `cannot read ${file}: ${(error as Error).message}`, { file }, { cause: error });
    }
    const one = readDefaultsFile(file, text);
    merged.files.push(file);
    merged.warnings.push(...one.warnings);
    merged.config = mergeConfigLayer(merged.config, one.config);
    // Transport config is deep-merged, as in Bolt: the user file's `ssh: {user}` keeps the system file's `ssh: {port}`.
    merged.inventoryConfig = mergeConfigLayers(merged.inventoryConfig, one.inventoryConfig);
  }
  return merged;
}

/** One defaults file: checked values, `inventory-config` apart, and the warnings. */
export function readDefaultsFile(file: string, text: string): Omit<Defaults, 'files'> {
  const src = YamlSource.fromText(text, file, ErrorKind.Project);
  const data = src.data ?? {};
  if (!isDict(data)) throw src.fail([], `${DEFAULTS_FILE} must be a map, not ${typeName(data)}`, ErrorKind.Project);
  const at = (key: string): string => {
    const line = src.lineOf([key]);
    return `${file}${line === undefined ? '' : `:${line}`}`;
  };
  const config: Record<string, unknown> = {};
  let inventoryConfig: Record<string, unknown> = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key === 'transport' || (TRANSPORTS as readonly string[]).includes(key)) {
      warnings.push(withWarningId('unsupported_inventory_config', `${at(key)}: ${key}: transport config belongs under 'inventory-config' in ${DEFAULTS_FILE}, or in inventory.yaml; ignored`));
      continue;
    }
    if (!(DEFAULTS_KEYS as readonly string[]).includes(key)) {
      const id = key in PROJECT_KEYS ? 'unsupported_project_config' : 'unknown_option';
      const why = id === 'unknown_option' ? `unknown option '${key}'` : `'${key}' is project configuration: set it in the project file`;
      warnings.push(withWarningId(id, `${at(key)}: ${key}: ${why}; ignored`));
      continue;
    }
    if (value === null || value === undefined) continue;
    if (key === 'inventory-config') {
      if (!isDict(value)) throw src.fail([key], `must be a map of transport config, not ${typeName(value)}`, ErrorKind.Project);
      if ('_plugin' in value) throw src.fail([key, '_plugin'], 'plugins are not supported here', ErrorKind.Project);
      // Checked as an inventory's `config` (unknown transports and options are errors).
      loadInventory({ data: { config: value }, name: `${at(key)} inventory-config` });
      inventoryConfig = value as Record<string, unknown>;
      continue;
    }
    const why = checkValue(PROJECT_KEYS[key]!, value);
    if (why !== undefined) throw src.fail([key], why, ErrorKind.Project);
    config[key] = value;
  }
  // module-install and log are checked inside, as in the project file.
  warnings.push(...checkNestedKeys(config, (path, msg) => { throw src.fail(path, msg, ErrorKind.Project); }, at));
  return { config, inventoryConfig, warnings };
}
