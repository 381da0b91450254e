/**
 * Reading `inventory.yaml` (I-01..I-10) from a path, YAML text or already-parsed data.
 *
 * An empty or missing file is an empty inventory; whether a missing *explicit* file
 * (`--inventoryfile`) is an error is the caller's choice: use {@link loadInventoryFile} with
 * `explicit: true`.
 *
 * @example
 * ```ts
 * const inv = loadInventory({ path: 'inventory.yaml' });
 * const fromEnv = loadInventory({ text: process.env.RIVET_INVENTORY ?? '', name: 'RIVET_INVENTORY' });
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ErrorKind } from '../../core/index.ts';
import { Inventory, type InventoryOptions } from './inventory.ts';
import { buildModel } from './schema.ts';
import { YamlSource } from './source.ts';

/** Where an inventory comes from. */
export type InventorySource = { path: string } | { text: string; name: string } | { data: unknown; name: string };

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * Loads and validates an inventory. Throws a ConfigError naming file:line and the key path for
 * any problem; a missing file gives an empty inventory.
 *
 * @example
 * ```ts
 * loadInventory({ text: 'targets: [web1]', name: 'inline' }).getTargets('all').length; // 1
 * ```
 */
export function loadInventory(source: InventorySource, options: InventoryOptions = {}): Inventory {
  let src: YamlSource;
  if ('path' in source) {
    let text: string | undefined;
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (error) {
      if (!isMissing(error)) {
        throw new ConfigError(ErrorKind.Inventory, `cannot read inventory: ${(error as Error).message}`, { file: source.path }, { cause: error });
      }
    }
    // A missing file has no source, as in Bolt (no `file` in `inventory show`, no cli_overrides warning).
    src = text === undefined ? YamlSource.fromData({}, undefined) : YamlSource.fromText(text, source.path, ErrorKind.Inventory);
  } else if ('text' in source) {
    src = YamlSource.fromText(source.text, source.name, ErrorKind.Inventory);
  } else {
    src = YamlSource.fromData(source.data, source.name);
  }
  return new Inventory(buildModel(src), options);
}

/**
 * Loads an inventory file. With `explicit: true` (the user passed `--inventoryfile`), a missing
 * file is an error naming the path; otherwise it is an empty inventory.
 *
 * @example
 * ```ts
 * loadInventoryFile('/nope.yaml', { explicit: true }); // throws "/nope.yaml: the inventory file given with --inventoryfile does not exist"
 * ```
 */
export function loadInventoryFile(path: string, options: InventoryOptions & { explicit?: boolean; givenBy?: string | undefined } = {}): Inventory {
  const { explicit, givenBy, ...inventoryOptions } = options;
  if (explicit) assertInventoryFileExists(path, givenBy);
  return loadInventory({ path }, inventoryOptions);
}

/**
 * Throws a ConfigError naming the path, and what named it (`givenBy`, default `--inventoryfile`),
 * when an explicitly given inventory file is missing.
 */
export function assertInventoryFileExists(path: string, givenBy = '--inventoryfile'): void {
  try {
    readFileSync(path);
  } catch (error) {
    if (isMissing(error)) {
      throw new ConfigError(ErrorKind.Inventory, `the inventory file given with ${givenBy} does not exist`, { file: path }, { cause: error });
    }
    throw new ConfigError(ErrorKind.Inventory, `cannot read inventory: ${(error as Error).message}`, { file: path }, { cause: error });
  }
}
