/**
 * The keys of Bolt's project file (I-22) and how each value is checked; shared by the project file
 * (`project.ts`) and bolt-defaults.yaml (`defaults.ts`).
 *
 * @example
 * ```ts
 * checkValue(PROJECT_KEYS['concurrency']!, 0); // 'must be a positive integer, not 0'
 * ```
 * @module
 */
import { withWarningId } from '../core/warning-id.ts';
import { isDict, typeName } from './inventory/schema.ts';
import type { KeyPath } from './inventory/source.ts';

/** How a key's value is checked; an array lists the allowed strings. */
export type Check = 'string' | 'boolean' | 'positive-integer' | 'strings' | 'map' | 'modulepath' | 'modules' | readonly string[];

/** Every key a project file may hold (Bolt's `PROJECT_OPTIONS` and Rivet's additions), with its check. */
export const PROJECT_KEYS: Record<string, Check> = {
  analytics: 'boolean',
  'apply-settings': 'map',
  color: 'boolean',
  'compile-concurrency': 'positive-integer',
  concurrency: 'positive-integer',
  'disable-warnings': 'strings',
  format: ['human', 'json', 'rainbow'],
  future: 'map',
  'hiera-config': 'string',
  inventoryfile: 'string',
  log: 'map',
  'module-install': 'map',
  modulepath: 'modulepath',
  modules: 'modules',
  name: 'string',
  plans: 'strings',
  'plugin-cache': 'map',
  'plugin-hooks': 'map',
  plugins: 'map',
  policies: 'strings',
  puppetdb: 'map',
  'puppetdb-instances': 'map',
  rerunfile: 'string',
  'save-rerun': 'boolean',
  spinner: 'boolean',
  stream: 'boolean',
  typecheck: 'boolean',
  tasks: 'strings',
  'trusted-external-command': 'string',
  durable: 'string',
};

/** Why `value` fails `check`, or undefined when it passes. */
export function checkValue(check: Check, value: unknown): string | undefined {
  if (Array.isArray(check)) {
    return typeof value === 'string' && check.includes(value) ? undefined : `must be one of ${check.join(', ')}, not ${typeName(value)}`;
  }
  switch (check) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string, not ${typeName(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean, not ${typeName(value)}`;
    case 'positive-integer':
      return Number.isInteger(value) && (value as number) > 0 ? undefined : `must be a positive integer, not ${typeName(value)}`;
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? undefined : `must be an array of strings, not ${typeName(value)}`;
    case 'map':
      return isDict(value) ? undefined : `must be a map, not ${typeName(value)}`;
    case 'modulepath':
      return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))
        ? undefined
        : `must be a string or an array of strings, not ${typeName(value)}`;
    case 'modules':
      if (!Array.isArray(value)) return `must be an array, not ${typeName(value)}`;
      return undefined;
  }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'any'];

/**
 * The checks inside `module-install` and `log`, for the project file and bolt-defaults.yaml alike
 * (a misspelt `module-install` key would silently send installs to the public Forge). `fail`
 * throws the error naming the file, line and key; `at(key)` is `file:line` for a warning. Returns
 * the warnings (`log_file_ignored`).
 *
 * @example
 * ```ts
 * checkNestedKeys({ log: { 'bolt-debug.log': 'disable' } }, fail, at); // []
 * ```
 */
export function checkNestedKeys(config: Record<string, unknown>, fail: (path: KeyPath, msg: string) => never, at: (key: string) => string): string[] {
  const warnings: string[] = [];
  // module-install (Bolt's keys): a misspelt key would silently send installs to the public Forge.
  const install = config['module-install'] as Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(install ?? {})) {
    if (key === 'proxy') {
      if (typeof value !== 'string') fail(['module-install', key], `must be a URL string, not ${typeName(value)}`);
    } else if (key === 'forge') {
      if (!isDict(value)) fail(['module-install', key], `must be a map with baseurl, authorization_token and proxy, not ${typeName(value)}`);
      for (const [fkey, fvalue] of Object.entries(value as Record<string, unknown>)) {
        if (!['baseurl', 'authorization_token', 'proxy'].includes(fkey)) fail(['module-install', key, fkey], `unknown key '${fkey}' in module-install.forge; valid keys are: authorization_token, baseurl, proxy`);
        if (typeof fvalue !== 'string') fail(['module-install', key, fkey], `must be a string, not ${typeName(fvalue)}`);
      }
    } else {
      fail(['module-install', key], `unknown key '${key}' in module-install; valid keys are: forge, proxy`);
    }
  }
  for (const [dest, settings] of Object.entries((config['log'] as Record<string, unknown> | undefined) ?? {})) {
    // Bolt's `bolt-debug.log: disable` (any destination may be disabled).
    if (settings === 'disable') continue;
    if (!isDict(settings)) fail(['log', dest], `must be a map or 'disable', not ${typeName(settings)}`);
    if (dest !== 'console') {
      // C-15: Bolt writes <project>/bolt-debug.log and any `file:` destination; Rivet writes no log file.
      warnings.push(withWarningId('log_file_ignored', `${at('log')}: log.${dest}: Rivet writes no log files, so this destination is ignored; use --log-level debug, or --format jsonl for every event`));
    }
    const level = (settings as Record<string, unknown>)['level'];
    if (level !== undefined && !(typeof level === 'string' && LOG_LEVELS.includes(level))) {
      fail(['log', dest, 'level'], `must be one of ${LOG_LEVELS.join(', ')}, not ${typeName(level)}`);
    }
    const append = (settings as Record<string, unknown>)['append'];
    if (append !== undefined && typeof append !== 'boolean') fail(['log', dest, 'append'], `must be a boolean, not ${typeName(append)}`);
  }
  return warnings;
}
