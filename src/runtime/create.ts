/**
 * Making a {@link Runtime}: from a project directory (discovery, project file, inventory, CLI
 * overrides), or from inline options for applications that have no project on disk.
 *
 * @example
 * ```ts
 * // From the project found from the current directory:
 * const runtime = await createRuntime({ cwd: process.cwd() });
 * // Inline, for an application:
 * const app = await createRuntime({ cwd: '/srv/app', inventory: { targets: ['ssh://deploy@10.0.0.5'] } });
 * ```
 * @module
 */
import { withoutDisabled } from '../core/warning-id.ts';
import { EventBus } from '../core/events.ts';
import type { Transport } from '../transports/transport.ts';
import { applyOverrides, loadInventory, mergeConfigLayers, type ConfigOverrides, type Inventory } from './inventory/index.ts';
import { findProject, loadProjectInventory, type Project } from './project.ts';
import { Runtime } from './runtime.ts';
import type { ThreadsSetting } from './ssh-threads.ts';

export interface CreateRuntimeOptions {
  /** Where project discovery starts and relative paths resolve (default `process.cwd()`). */
  cwd?: string | undefined;
  /** Environment for `RIVET_PROJECT`, `RIVET_INVENTORY`, ... (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** `--project`. */
  projectFlag?: string | undefined;
  /** `--inventoryfile`. */
  inventoryFile?: string | undefined;
  /** `--modulepath`. */
  modulepath?: string | undefined;
  /** An inventory given as data (an inventory.yaml v2 object) instead of the project's file. */
  inventory?: unknown;
  /** Connection flags (`--user`, `--run-as`, ...): below inventory config, as in Bolt (I-11). */
  overrides?: ConfigOverrides | undefined;
  /** Default: the project's `concurrency`, else 100. */
  concurrency?: number | undefined;
  /** Most connections open at once (default: the concurrency). */
  connectionLimit?: number | undefined;
  /** False closes each target's connection after its step (the CLI's ad-hoc commands); default true. */
  keepConnections?: boolean | undefined;
  signal?: AbortSignal | undefined;
  events?: EventBus | undefined;
  transports?: Readonly<Record<string, Transport>> | undefined;
  /** SSH connections in worker threads: `'auto'` (default), a count, or `0`/`'off'` (see {@link RuntimeInit.threads}). */
  threads?: ThreadsSetting | undefined;
}

export interface CreatedRuntime extends Runtime {
  readonly project: Project;
  /** Warnings from the project file and the overrides, for the caller to show. */
  readonly warnings: readonly string[];
}

export async function createRuntime(options: CreateRuntimeOptions = {}): Promise<CreatedRuntime> {
  const cwd = options.cwd ?? process.cwd();
  const env = (options.env ?? process.env) as Record<string, string | undefined>;
  const project = findProject({
    cwd,
    env: env as Record<string, string>,
    ...(options.projectFlag !== undefined ? { projectFlag: options.projectFlag } : {}),
    ...(options.inventoryFile !== undefined ? { inventoryFlag: options.inventoryFile } : {}),
    ...(options.modulepath !== undefined ? { modulepathFlag: options.modulepath } : {}),
  });
  const warnings = [...project.warnings];
  let inventory: Inventory =
    options.inventory !== undefined ? loadInventory({ data: options.inventory, name: '(inline inventory)' }, { baseDir: project.dir }) : loadProjectInventory(project);
  warnings.push(...inventory.warnings);
  // bolt-defaults.yaml's inventory-config (I-23): under the inventory's own config and the CLI flags.
  if (Object.keys(project.defaultsInventoryConfig).length > 0) inventory = inventory.withBaseConfig(mergeConfigLayers(project.defaultsInventoryConfig, inventory.baseConfig));
  if (options.overrides && Object.keys(options.overrides).length > 0) {
    const applied = applyOverrides(inventory, options.overrides);
    inventory = applied.inventory;
    warnings.push(...applied.warnings);
  }
  const runtime = new Runtime({
    inventory,
    projectDir: project.dir,
    modulepath: project.modulepath,
    projectName: project.name,
    downloadsDir: project.downloadsDir,
    concurrency: options.concurrency ?? (typeof project.config.concurrency === 'number' ? project.config.concurrency : undefined),
    connectionLimit: options.connectionLimit,
    keepConnections: options.keepConnections,
    signal: options.signal,
    events: options.events,
    transports: options.transports,
    threads: options.threads,
  });
  // Bolt's disable-warnings (C-15): a warning whose [ID: x] is listed is not shown.
  return Object.assign(runtime, { project, warnings: withoutDisabled(warnings, project.config['disable-warnings']) }) as CreatedRuntime;
}
