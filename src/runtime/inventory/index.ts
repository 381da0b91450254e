/**
 * Inventory v2, target specs and CLI config overrides.
 *
 * @example
 * ```ts
 * import { loadInventory, applyOverrides } from './runtime/inventory/index.ts';
 * const { inventory } = applyOverrides(loadInventory({ path: 'inventory.yaml' }), { user: 'root' });
 * for (const t of inventory.getTargets('web*', { cli: true })) console.log(t.name, t.host, t.port);
 * ```
 * @module
 */
export { loadInventory, loadInventoryFile, assertInventoryFileExists, type InventorySource } from './load.ts';
export {
  Inventory,
  REDACTED,
  defaultPort,
  displayName,
  type TargetSpec,
  type TargetRef,
  type TargetDetail,
  type InventoryShow,
  type InventoryOptions,
} from './inventory.ts';
export { applyOverrides, overridesToConfig, mergeConfigLayers, overrideNames, type ConfigOverrides } from './overrides.ts';
export { splitTargetSpec, expandTargetArgs, type TargetArgSources } from './target-spec.ts';
export { parseTargetUri, safeUri, hasScheme, type TargetUri } from './uri.ts';
export { globToRegExp, isGlob } from './glob.ts';
export { TRANSPORTS, TRANSPORT_OPTIONS, NAME_PATTERN } from './schema.ts';
export { YamlSource, formatPath, type KeyPath } from './source.ts';
