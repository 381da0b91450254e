/**
 * Finding tasks on a modulepath (T-01..T-09, T-18, T-20).
 *
 * A task is a file in the top level of `<module>/tasks/` whose basename matches
 * `^[a-z][a-z0-9_]*$`; `<name>.json` is its metadata, any other file an executable; `.md` and
 * `.conf` files are ignored. `init` names the module's own task. The first module with a name on
 * the modulepath wins.
 *
 * @example
 * ```ts
 * const tasks = await discoverTasks(['modules'], { projectDir: '.', projectName: 'site' });
 * const deploy = tasks.get('demo::deploy');
 * const one = await loadTask('demo::deploy', ['modules']);
 * ```
 * @module
 */
import { boltPackagedHint } from './bolt-packaged.ts';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, RivetError, isRivetError } from '../../core/index.ts';
import type { ParseTypeOptions } from '../../core/puppet-types/index.ts';
import { closeNames } from '../../core/puppet-types/suggest.ts';
import { projectShadowsModule, shadowedModuleDirs } from '../project-shadow.ts';
import { TaskErrorKind, checkFileReference, readTaskMetadata, type TaskMetadata, type TaskWarning } from './metadata.ts';

/** A file that belongs to a task: `name` as Bolt reports it, `path` on disk. */
export interface TaskFile {
  /** Executables: the file name (`init.sh`). Extra files: `<module>/<mount>/<path>`. */
  name: string;
  path: string;
}

/** A task as found on disk, with checked metadata. */
export interface TaskDefinition {
  /** `<module>` or `<module>::<name>`. */
  name: string;
  module: string;
  moduleDir: string;
  metadata: TaskMetadata;
  /** The metadata JSON as written (for `task show`). */
  rawMetadata: Record<string, unknown>;
  metadataFile?: string;
  /** The implementations: without `implementations` the one executable, else one per entry. */
  executables: TaskFile[];
  /** Extra files from top-level and implementation `files` (directories expanded). */
  files: TaskFile[];
  private: boolean;
  warnings: TaskWarning[];
}

export interface DiscoverOptions extends ParseTypeOptions {
  /** A Bolt project: `<projectDir>/tasks` are tasks of module `projectName` (T-08). */
  projectDir?: string;
  projectName?: string;
  /** A directory of modules searched before everything else (Rivet's bolt-modules, T-09). */
  builtinModulesDir?: string;
  /** Called for each task that fails to load; by default broken tasks are skipped silently. */
  onError?: (taskName: string, error: RivetError) => void;
}

const TASK_NAME = /^[a-z][a-z0-9_]*$/;
const FORBIDDEN_EXTENSIONS = ['.md', '.conf'];

/** One module on the modulepath. */
export interface ModuleRef {
  name: string;
  dir: string;
}

/**
 * The directories searched, in order (T-09): builtin modules, the user modulepath (default
 * `<project>/modules`), `<project>/.modules`.
 *
 * @example
 * ```ts
 * fullModulepath([], { projectDir: '/p' }); // ['/p/modules', '/p/.modules']
 * ```
 */
export function fullModulepath(modulepath: readonly string[], options: DiscoverOptions = {}): string[] {
  const dirs: string[] = [];
  if (options.builtinModulesDir !== undefined) dirs.push(resolve(options.builtinModulesDir));
  const user = modulepath.length === 0 && options.projectDir !== undefined ? [join(options.projectDir, 'modules')] : modulepath;
  dirs.push(...user.map((d) => resolve(d)));
  if (options.projectDir !== undefined) dirs.push(resolve(options.projectDir, '.modules'));
  return [...new Set(dirs)];
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return [];
  }
}

/**
 * Every module visible on the modulepath, first occurrence of each name only. The project (if
 * named) comes right after the builtin modules.
 *
 * @example
 * ```ts
 * await listModules(['modules']); // [{ name: 'demo', dir: '/abs/modules/demo' }, ...]
 * ```
 */
export async function listModules(modulepath: readonly string[], options: DiscoverOptions = {}): Promise<ModuleRef[]> {
  const found = new Map<string, ModuleRef>();
  const dirs = fullModulepath(modulepath, options);
  const builtin = options.builtinModulesDir === undefined ? [] : [dirs.shift() as string];
  const add = async (dir: string) => {
    for (const name of await listDir(dir)) {
      if (!TASK_NAME.test(name) || found.has(name)) continue;
      const moduleDir = join(dir, name);
      if (await isDir(moduleDir)) found.set(name, { name, dir: moduleDir });
    }
  };
  for (const dir of builtin) await add(dir);
  if (options.projectDir !== undefined && options.projectName !== undefined && !found.has(options.projectName)) {
    found.set(options.projectName, { name: options.projectName, dir: resolve(options.projectDir) });
  }
  for (const dir of dirs) await add(dir);
  return [...found.values()];
}

/** Task basename of a file (`deploy.sh` → `deploy`), or undefined when the file is not a task file. */
function taskBasename(file: string): string | undefined {
  if (FORBIDDEN_EXTENSIONS.some((ext) => file.endsWith(ext))) return undefined;
  const dot = file.lastIndexOf('.');
  const base = dot > 0 ? file.slice(0, dot) : file;
  return TASK_NAME.test(base) ? base : undefined;
}

interface TasksDir {
  /** basename → files in the group */
  groups: Map<string, string[]>;
  /** every executable (non-json task file) of the module */
  executables: string[];
}

async function scanTasksDir(tasksDir: string): Promise<TasksDir> {
  const groups = new Map<string, string[]>();
  const executables: string[] = [];
  for (const file of await listDir(tasksDir)) {
    const base = taskBasename(file);
    if (base === undefined || !(await isFile(join(tasksDir, file)))) continue;
    const group = groups.get(base) ?? [];
    group.push(file);
    groups.set(base, group);
    if (!file.endsWith('.json')) executables.push(file);
  }
  return { groups, executables };
}

async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await listDir(dir)) {
    const path = join(dir, entry);
    if (await isDir(path)) out.push(...(await listFilesRecursive(path)).map((p) => `${entry}/${p}`));
    else if (await isFile(path)) out.push(entry);
  }
  return out;
}

/**
 * Resolves `files` references (T-18) against the modules on the modulepath: each must exist;
 * directories (ending in `/`) expand to every file below them.
 *
 * @throws ConfigError `puppet.tasks/invalid-metadata` or `puppet.tasks/invalid-file`.
 * @example
 * ```ts
 * await resolveFileReferences(['demo/files/lib/'], modules, 'demo/tasks/x.json');
 * ```
 */
export async function resolveFileReferences(refs: readonly string[], modules: readonly ModuleRef[], metadataFile: string): Promise<TaskFile[]> {
  const out: TaskFile[] = [];
  const seen = new Set<string>();
  for (const ref of [...new Set(refs)]) {
    const problem = checkFileReference(ref);
    if (problem !== undefined) throw new ConfigError(TaskErrorKind.InvalidMetadata, problem, { file: metadataFile, key: 'files' });
    const [moduleName, mount, ...rest] = ref.split('/') as [string, string, ...string[]];
    const mod = modules.find((m) => m.name === moduleName);
    const endpath = rest.join('/');
    if (mod === undefined) {
      throw new ConfigError(TaskErrorKind.InvalidMetadata, `Could not find module ${moduleName} containing task file ${endpath}`, { file: metadataFile, key: 'files' });
    }
    const path = join(mod.dir, mount, endpath).replace(/\/+$/, '');
    const dirRef = ref.endsWith('/');
    if (await isDir(path)) {
      if (!dirRef) {
        throw new ConfigError(TaskErrorKind.InvalidMetadata, `Directories specified in task metadata must include a trailing slash: ${ref}`, { file: metadataFile, key: 'files' });
      }
      const prefix = ref.endsWith('/') ? ref : `${ref}/`;
      for (const sub of await listFilesRecursive(path)) {
        const name = `${prefix}${sub}`;
        if (!seen.has(name)) out.push({ name, path: join(path, sub) });
        seen.add(name);
      }
    } else if (await isFile(path)) {
      if (dirRef) {
        throw new ConfigError(TaskErrorKind.InvalidMetadata, `Files specified in task metadata cannot include a trailing slash: ${ref}`, { file: metadataFile, key: 'files' });
      }
      if (!seen.has(ref)) out.push({ name: ref, path });
      seen.add(ref);
    } else {
      throw new ConfigError(TaskErrorKind.InvalidFile, `Could not find ${path} on disk`, { file: metadataFile, key: 'files' });
    }
  }
  return out;
}

async function buildTask(
  mod: ModuleRef,
  basename: string,
  groupFiles: readonly string[],
  scan: TasksDir,
  modules: readonly ModuleRef[],
  options: DiscoverOptions,
): Promise<TaskDefinition> {
  const name = basename === 'init' ? mod.name : `${mod.name}::${basename}`;
  const tasksDir = join(mod.dir, 'tasks');
  const metaName = groupFiles.find((f) => f === `${basename}.json`);
  const metadataFile = metaName === undefined ? undefined : join(tasksDir, metaName);
  const parsed = metadataFile === undefined ? { metadata: {}, raw: {}, warnings: [] } : await readTaskMetadata(metadataFile, { ...options, taskName: name });
  const { metadata } = parsed;
  const shown = metadataFile ?? tasksDir;
  let executables: TaskFile[];
  if (metadata.implementations !== undefined) {
    executables = metadata.implementations.map((impl) => {
      if (!scan.executables.includes(impl.name)) {
        throw new ConfigError(TaskErrorKind.MissingImplementation, `Task metadata for task ${name} specifies missing implementation ${impl.name}`, { file: shown, key: 'implementations' }, { details: { missing: [impl.name] } });
      }
      return { name: impl.name, path: join(tasksDir, impl.name) };
    });
  } else {
    const own = groupFiles.filter((f) => f !== metaName);
    if (own.length === 0) {
      throw new RivetError(TaskErrorKind.NoImplementation, `No source besides task metadata was found in directory ${tasksDir} for task ${name}`, { details: { task: name } });
    }
    if (own.length > 1) {
      throw new RivetError(
        TaskErrorKind.MultipleImplementations,
        `Multiple executables were found in directory ${tasksDir} for task ${name}; define 'implementations' in metadata to differentiate between them`,
        { details: { task: name, executables: own } },
      );
    }
    executables = own.map((f) => ({ name: f, path: join(tasksDir, f) }));
  }
  const refs = [...(metadata.files ?? []), ...(metadata.implementations ?? []).flatMap((i) => i.files ?? [])];
  const files = refs.length === 0 ? [] : await resolveFileReferences(refs, modules, shown);
  const def: TaskDefinition = {
    name,
    module: mod.name,
    moduleDir: mod.dir,
    metadata,
    rawMetadata: parsed.raw,
    executables,
    files,
    private: metadata.private === true,
    warnings: parsed.warnings,
  };
  if (metadataFile !== undefined) def.metadataFile = metadataFile;
  return def;
}

function asRivetError(error: unknown): RivetError {
  if (isRivetError(error)) return error;
  return new RivetError(TaskErrorKind.InvalidMetadata, (error as Error).message ?? String(error), { cause: error });
}

/**
 * Every task on the modulepath, by name. Tasks that fail to load are left out and passed to
 * `options.onError`.
 *
 * @example
 * ```ts
 * const tasks = await discoverTasks(['test/fixtures/modules']);
 * [...tasks.keys()]; // ['demo', 'demo::deploy', ...]
 * ```
 */
export async function discoverTasks(modulepath: readonly string[], options: DiscoverOptions = {}): Promise<Map<string, TaskDefinition>> {
  const modules = await listModules(modulepath, options);
  const tasks = new Map<string, TaskDefinition>();
  for (const mod of modules) {
    const scan = await scanTasksDir(join(mod.dir, 'tasks'));
    for (const [basename, group] of scan.groups) {
      const name = basename === 'init' ? mod.name : `${mod.name}::${basename}`;
      try {
        tasks.set(name, await buildTask(mod, basename, group, scan, modules, options));
      } catch (error) {
        options.onError?.(name, asRivetError(error));
      }
    }
  }
  return new Map([...tasks.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Loads one task by name, reading only its own module's `tasks/` directory.
 *
 * @throws RivetError `bolt/unknown-task` when there is no such task, or the task's load error.
 * @example
 * ```ts
 * const task = await loadTask('demo::deploy', ['modules']);
 * task.executables[0]?.path;
 * ```
 */
export async function loadTask(name: string, modulepath: readonly string[], options: DiscoverOptions = {}): Promise<TaskDefinition> {
  const parts = name.split('::');
  const unknown = async (): Promise<RivetError> => {
    const names = [...(await discoverTasks(modulepath, options)).keys()];
    const close = closeNames(name, names);
    const hint = close.length > 0 ? ` Did you mean: ${close.join(', ')}?` : '';
    // A project named like a module hides it (Bolt's PAL#detect_project_conflict): say so again here.
    const shadowed = parts[0] === options.projectName ? shadowedModules(parts[0] as string, modulepath, options) : [];
    const why = shadowed.length > 0 ? ` ${projectShadowsModule(parts[0] as string, shadowed)}.` : '';
    // I-25: a module Bolt ships and Rivet does not, when no such module is on the modulepath.
    const packaged = (await listModules(modulepath, options)).some((m) => m.name === parts[0]) ? '' : boltPackagedHint(parts[0] as string);
    return new RivetError(TaskErrorKind.UnknownTask, `Could not find a task named '${name}'.${hint} For a list of available tasks, run 'rivet task show'.${why}${packaged}`, {
      details: { name, ...(close.length > 0 ? { did_you_mean: close } : {}), ...(shadowed.length > 0 ? { shadowed_modules: shadowed } : {}) },
    });
  };
  if (parts.length > 2 || !parts.every((p) => TASK_NAME.test(p))) throw await unknown();
  const [moduleName, basename = 'init'] = parts as [string, string?];
  const modules = await listModules(modulepath, options);
  const mod = modules.find((m) => m.name === moduleName);
  if (mod === undefined) throw await unknown();
  const scan = await scanTasksDir(join(mod.dir, 'tasks'));
  const group = scan.groups.get(basename);
  if (group === undefined) throw await unknown();
  return buildTask(mod, basename, group, scan, modules, options);
}

function shadowedModules(projectName: string, modulepath: readonly string[], options: DiscoverOptions): string[] {
  const projectDir = options.projectDir === undefined ? undefined : resolve(options.projectDir);
  return shadowedModuleDirs(projectName, fullModulepath(modulepath, options)).filter((dir) => dir !== projectDir);
}

/** `task show` without a name (C-11, T-20): `[name, description]` pairs, private tasks hidden. */
export interface TaskList {
  tasks: [string, string | null][];
  modulepath: string[];
}

/** A {@link TaskList} and which of its tasks come from the built-in modules directory. */
export interface TaskListing extends TaskList {
  builtin: string[];
}

/**
 * The task list for `task show` (C-11): sorted, private tasks hidden (T-20).
 *
 * @example
 * ```ts
 * const { tasks } = await listTasks(['modules']); // [['demo', 'Demo task'], ['demo::deploy', null]]
 * const { builtin } = await listTasks(['modules', BUILTIN_MODULES_DIR], { builtinDir: BUILTIN_MODULES_DIR }); // ['facts', 'package', 'service']
 * ```
 */
export async function listTasks(modulepath: readonly string[], options: DiscoverOptions & { builtinDir?: string } = {}): Promise<TaskListing> {
  const visible = [...(await discoverTasks(modulepath, options)).values()].filter((t) => !t.private);
  const builtinDir = options.builtinDir === undefined ? undefined : resolve(options.builtinDir);
  const isBuiltin = (t: TaskDefinition): boolean => builtinDir !== undefined && (t.moduleDir === builtinDir || t.moduleDir.startsWith(`${builtinDir}/`));
  return {
    tasks: visible.map((t) => [t.name, t.metadata.description ?? null]),
    modulepath: fullModulepath(modulepath, options),
    builtin: visible.filter(isBuiltin).map((t) => t.name),
  };
}

/** `task show <name>` JSON (C-11): `{name, files, metadata, module_dir}`. */
export function taskShowData(task: TaskDefinition, options: { builtinModulesDir?: string } = {}): Record<string, unknown> {
  const builtin = options.builtinModulesDir !== undefined && resolve(task.moduleDir).startsWith(resolve(options.builtinModulesDir));
  return {
    name: task.name,
    files: [...task.executables, ...task.files].map((f) => ({ name: f.name, path: f.path })),
    metadata: task.rawMetadata,
    module_dir: builtin ? 'built-in module' : task.moduleDir,
  };
}
