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
import { isDict, typeName } from './inventory/schema.ts';

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
