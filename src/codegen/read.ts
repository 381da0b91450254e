/**
 * Codegen phase 1, read: every task's checked metadata on a modulepath, exactly as the runtime
 * will find it.
 *
 * This is the one import from codegen into the runtime, and it is to the runtime's pure task
 * discovery (`src/runtime/tasks/discovery.ts`, `metadata.ts` and `modulepath.ts`: reads files, no
 * transports, no execution), so that the types describe the tasks `runTask` will really run: same modulepath
 * order, same shadowing, same metadata checks. Plans are found by file name only (never imported).
 *
 * @example
 * ```ts
 * const { tasks, errors } = await readTasks({ projectDir: '.', modulepath: ['modules'], builtinModulesDir });
 * const one = readMetadataText('golden::enum', '{"parameters": {"a": {"type": "Enum[x, y]"}}}');
 * ```
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { RivetError } from '../core/errors.ts';
import { allowListMatcher, filterByAllowList } from '../runtime/allow-list.ts';
import { discoverTasks, fullModulepath, listModules } from '../runtime/tasks/discovery.ts';
import { parseTaskMetadata, type TaskMetadata } from '../runtime/tasks/metadata.ts';
import { taskModulepath } from '../runtime/tasks/modulepath.ts';

/** Where a project's tasks and plans come from. */
export interface ReadOptions {
  /** The project directory (paths in the output are shown relative to it). */
  projectDir: string;
  /** The project's name: its own `tasks/` and `plans/` belong to this module (T-08). */
  projectName?: string | undefined;
  /** The user modulepath, absolute or relative to the cwd (`Project.modulepath`). */
  modulepath: readonly string[];
  /** Rivet's built-in modules, searched after the modulepath (`BUILTIN_MODULES_DIR`). */
  builtinModulesDir?: string | undefined;
  /** The project's `tasks:` allow-list: only these names and globs are typed (Bolt's `filter_content`). */
  allowedTasks?: readonly string[] | undefined;
  /** The project's `plans:` allow-list. */
  allowedPlans?: readonly string[] | undefined;
}

/** One task as read. */
export interface TaskSource {
  name: string;
  metadata: TaskMetadata;
  /** The metadata file relative to the project (`builtin-modules/...` for built-ins), if any. */
  file: string | undefined;
}

/** One plan file. */
export interface PlanSource {
  name: string;
  /** Absolute path. */
  path: string;
  /** A Bolt plan's (`.pp`, `.yaml`) parameters, read from the file: it has no `definePlan` to import. */
  boltParams?: { name: string; type: string; hasDefault: boolean }[];
}

export interface ReadResult {
  tasks: TaskSource[];
  plans: PlanSource[];
  /** Tasks that failed to load (they are left out of the types; `--check` reports them). */
  errors: { task: string; error: RivetError }[];
  /** Every directory whose metadata or plans the result depends on (for `--watch`). */
  dirs: string[];
}

function shown(projectDir: string, builtinDir: string | undefined, file: string): string {
  const abs = resolve(file);
  if (builtinDir !== undefined && abs.startsWith(resolve(builtinDir) + sep)) return `builtin-modules/${relative(builtinDir, abs).split(sep).join('/')}`;
  return relative(resolve(projectDir), abs).split(sep).join('/');
}

/** The modulepath the runtime searches: the user's, `.modules`, then the built-ins (`TaskCatalog`'s {@link taskModulepath}). */
export function runtimeModulepath(options: ReadOptions): string[] {
  if (options.builtinModulesDir === undefined) return [...options.modulepath];
  return taskModulepath(options.modulepath, options.projectDir, options.builtinModulesDir);
}

const SEGMENT = /^[a-z][a-z0-9_]*$/;
const PLAN_FILE = /\.(ts|mts|pp|yaml|yml)$/;
const BOLT_PLAN_FILE = /\.(pp|yaml|yml)$/;
/** When a plan name has several files, TypeScript wins, then Puppet, then YAML (as the runtime's discovery). */
const RANK: Record<string, number> = { ts: 0, mts: 1, pp: 2, yaml: 3, yml: 4 };
const byStemThenKind = (a: string, b: string): number => {
  const sa = a.replace(PLAN_FILE, '');
  const sb = b.replace(PLAN_FILE, '');
  if (sa !== sb) return sa < sb ? -1 : 1;
  return (RANK[/\.([a-z]+)$/.exec(a)?.[1] ?? ''] ?? 9) - (RANK[/\.([a-z]+)$/.exec(b)?.[1] ?? ''] ?? 9);
};
const NOT_PLANS = /\.(d|gen|test|spec)\.(ts|mts)$/;

async function walkPlans(dir: string, segments: string[], out: { segments: string[]; path: string }[]): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort(byStemThenKind);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) continue;
    if (info.isDirectory()) await walkPlans(path, [...segments, name], out);
    else if (PLAN_FILE.test(name) && !NOT_PLANS.test(name)) out.push({ segments: [...segments, name.replace(PLAN_FILE, '')], path });
  }
}

/**
 * TypeScript plans (P-39): `<project>::<path>` under the project's `plans/`, `<module>::<path>`
 * under `<module>/plans/` on the modulepath, `init.ts` = the module name; first of a name wins.
 * The same rules as the plan runtime's discovery, without importing anything.
 */
export async function readPlans(options: ReadOptions): Promise<PlanSource[]> {
  const out = new Map<string, PlanSource>();
  const modules: { name: string; dir: string }[] = [];
  if (options.projectName !== undefined) modules.push({ name: options.projectName, dir: resolve(options.projectDir) });
  modules.push(...(await listModules(options.modulepath)));
  for (const mod of modules) {
    const files: { segments: string[]; path: string }[] = [];
    await walkPlans(join(mod.dir, 'plans'), [], files);
    for (const f of files) {
      if (!f.segments.every((s) => SEGMENT.test(s))) continue;
      const name = f.segments.length === 1 && f.segments[0] === 'init' ? mod.name : [mod.name, ...f.segments].join('::');
      if (out.has(name)) continue;
      if (BOLT_PLAN_FILE.test(f.path)) {
        // A Bolt plan that does not parse is left out of the types (running it names the error).
        const { boltPlanParams } = await import('../plan-convert/index.ts');
        const params = await boltPlanParams(f.path).catch(() => undefined);
        if (params !== undefined) out.set(name, { name, path: f.path, boltParams: params });
        continue;
      }
      out.set(name, { name, path: f.path });
    }
  }
  const sorted = [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return filterByAllowList(sorted, options.allowedPlans, (p) => p.name);
}

/**
 * Every task (private ones too) on the runtime's modulepath, and the project's plans.
 *
 * @example
 * ```ts
 * const { tasks } = await readTasks({ projectDir: '/p', projectName: 'site', modulepath: ['/p/modules'] });
 * tasks.map((t) => t.name); // ['facts', 'package', 'service', 'site::health']
 * ```
 */
export async function readTasks(options: ReadOptions): Promise<ReadResult> {
  const errors: ReadResult['errors'] = [];
  const modulepath = runtimeModulepath(options);
  const discover = { projectDir: options.projectDir, ...(options.projectName === undefined ? {} : { projectName: options.projectName }) };
  const allowed = allowListMatcher(options.allowedTasks);
  const found = await discoverTasks(modulepath, { ...discover, onError: (task, error) => allowed(task) && errors.push({ task, error }) });
  const tasks = [...found.values()].filter((t) => allowed(t.name)).map((t) => ({
    name: t.name,
    metadata: t.metadata,
    file: t.metadataFile === undefined ? undefined : shown(options.projectDir, options.builtinModulesDir, t.metadataFile),
  }));
  const plans = await readPlans(options);
  const dirs = [...fullModulepath(modulepath, discover), resolve(options.projectDir, 'tasks'), resolve(options.projectDir, 'plans')];
  return { tasks, plans, errors, dirs: [...new Set(dirs)] };
}

/**
 * One task from metadata text (golden tests, editors): parsed and checked like a file on disk.
 *
 * @throws ConfigError as {@link parseTaskMetadata} does.
 */
export function readMetadataText(name: string, text: string, file = `${name.replace('::', '/tasks/')}.json`): TaskSource {
  return { name, metadata: parseTaskMetadata(text, file, { taskName: name }).metadata, file };
}
