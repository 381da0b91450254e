/**
 * Project discovery (I-20) and the project file, `rivet-project.yaml` or `bolt-project.yaml`
 * (I-21, I-22).
 *
 * Discovery order: env `RIVET_PROJECT`/`BOLT_PROJECT` → `--project` → walking up from the cwd for
 * a `Boltdir/` directory or a project file → the cwd itself as an unnamed project (Bolt would use
 * `~/.puppetlabs/bolt/`; Rivet keeps everything next to where it runs).
 *
 * @example
 * ```ts
 * const project = findProject({ cwd: process.cwd(), env: process.env });
 * project.modulepath;    // ['/work/site/modules', '/work/site/.modules']
 * project.inventoryFile; // { path: '/work/site/inventory.yaml', explicit: false }
 * for (const w of project.warnings) console.warn(w);
 * ```
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConfigError, ErrorKind, UsageError } from '../core/index.ts';
import { withWarningId, withoutDisabled } from '../core/warning-id.ts';
import { YamlSource, type KeyPath } from './inventory/source.ts';
import { TRANSPORTS, isDict, typeName } from './inventory/schema.ts';
import { loadInventory, loadInventoryFile } from './inventory/load.ts';
import { projectShadowsModule, shadowedModuleDirs } from './project-shadow.ts';
import type { Inventory } from './inventory/inventory.ts';
import { planFilesOf } from './plans/files.ts';
import { PROJECT_KEYS, checkNestedKeys, checkValue } from './project-keys.ts';
import { mergeConfigLayer, readDefaults } from './defaults.ts';
import { npmModuleDirs } from './modules/npm.ts';

/** Project file names, preferred first. */
export const PROJECT_FILES = ['rivet-project.yaml', 'bolt-project.yaml'] as const;
/** Bolt's embedded project directory name. */
export const BOLTDIR = 'Boltdir';
/** Project names (I-22). */
export const PROJECT_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Bolt's id of the warning for a project whose plans and tasks are ignored for want of a name. */
export const MISSING_PROJECT_NAME = 'missing_project_name';

/**
 * A valid project name made from any text, such as a directory name: accents dropped, lowercase,
 * every run of other characters one `_`, no leading digits or underscores; `fallback` when nothing
 * is left.
 *
 * @example
 * ```ts
 * projectNameFor('My-Site 2'); // 'my_site_2'
 * projectNameFor('2048');      // 'my_project'
 * ```
 */
export function projectNameFor(text: string, fallback = 'my_project'): string {
  const name = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '');
  return name === '' ? fallback : name;
}

/** The validated project file. Keys are as written (kebab-case); unknown keys are dropped. */
export interface ProjectConfig {
  name?: string;
  modulepath?: string | string[];
  modules?: (string | Record<string, unknown>)[];
  concurrency?: number;
  'compile-concurrency'?: number;
  format?: 'human' | 'json' | 'rainbow';
  color?: boolean;
  stream?: boolean;
  /** Type-check plans before `rivet plan run` runs them (`--typecheck`). */
  typecheck?: boolean;
  spinner?: boolean;
  'save-rerun'?: boolean;
  rerunfile?: string;
  inventoryfile?: string;
  plans?: string[];
  tasks?: string[];
  policies?: string[];
  'disable-warnings'?: string[];
  /** Postgres URL of durable runs (`rivet plan run --durable`), see docs/durable.md. */
  durable?: string;
  future?: Record<string, unknown>;
  log?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where the inventory comes from: a file, or YAML content from an env var (I-10). */
export type ProjectInventory = { path: string; explicit: boolean; givenBy?: string } | { text: string; name: string };

/** A discovered project. All paths are absolute. */
export interface Project {
  dir: string;
  name: string | undefined;
  /** The project file read, if any. */
  file: string | undefined;
  /** How the project was found. */
  origin: 'env' | 'flag' | 'found' | 'cwd';
  config: ProjectConfig;
  inventoryFile: ProjectInventory;
  /**
   * User modulepath (default `<dir>/modules`), then `<dir>/.modules` (always), then the
   * directories of npm-installed Rivet modules (`modules/npm.ts`).
   */
  modulepath: string[];
  downloadsDir: string;
  rerunFile: string;
  /** `inventory-config` of bolt-defaults.yaml (I-23): transport config below the inventory's. */
  defaultsInventoryConfig: Record<string, unknown>;
  warnings: string[];
}

export interface FindProjectOptions {
  cwd: string;
  /** `--project PATH` */
  projectFlag?: string;
  /** `--inventoryfile PATH` (relative to the cwd) */
  inventoryFlag?: string;
  /** `--modulepath a:b` (relative to the cwd); replaces the project's modulepath. */
  modulepathFlag?: string | readonly string[];
  /** Environment (allow-listed reads only: RIVET_/BOLT_PROJECT, RIVET_/BOLT_INVENTORY, HOME and RIVET_DEFAULTS_DIRS for bolt-defaults.yaml). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where bolt-defaults.yaml is looked for, lowest precedence first (default: Bolt's system and user directories). */
  defaultsDirs?: readonly string[];
}

const TRANSPORT_KEYS = new Set<string>(['transport', 'inventory-config', ...TRANSPORTS]);

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads and validates a project file. Type errors are ConfigErrors naming file:line and the key;
 * unknown keys and transport config only produce warnings.
 *
 * @example
 * ```ts
 * const { config, warnings } = readProjectFile('/site/bolt-project.yaml');
 * ```
 */
export function readProjectFile(file: string, text?: string): { config: ProjectConfig; warnings: string[] } {
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(ErrorKind.Project, `cannot read project file: ${(error as Error).message}`, { file }, { cause: error });
    }
  }
  const src = YamlSource.fromText(body, file, ErrorKind.Project);
  const data = src.data ?? {};
  const fail = (path: KeyPath, msg: string): never => {
    throw src.fail(path, msg, ErrorKind.Project);
  };
  if (!isDict(data)) fail([], `the project file must be a map, not ${typeName(data)}`);
  const map = data as Record<string, unknown>;
  const warnings: string[] = [];
  const at = (key: string): string => {
    const line = src.lineOf([key]);
    return `${file}${line === undefined ? '' : `:${line}`}`;
  };
  const config: ProjectConfig = {};
  for (const [key, value] of Object.entries(map)) {
    if (TRANSPORT_KEYS.has(key)) {
      warnings.push(withWarningId('project_transport_config', `${at(key)}: ${key}: transport config in the project file is ignored (I-22); put it in inventory.yaml under 'config'`));
      continue;
    }
    const check = PROJECT_KEYS[key];
    if (check === undefined) {
      warnings.push(withWarningId('unknown_option', `${at(key)}: ${key}: unknown key '${key}' in the project file is ignored`));
      continue;
    }
    if (value === null || value === undefined) continue;
    const why = checkValue(check, value);
    if (why) fail([key], why);
    config[key] = value;
  }

  if (config.name !== undefined && !PROJECT_NAME_PATTERN.test(config.name)) {
    fail(['name'], `invalid project name '${config.name}': project names must match ${PROJECT_NAME_PATTERN.source}`);
  }
  (config.modules ?? []).forEach((mod, i) => {
    if (typeof mod === 'string') return;
    if (!isDict(mod)) fail(['modules', i], `a module must be a string or a map, not ${typeName(mod)}`);
    const m = mod as Record<string, unknown>;
    if (typeof m['name'] !== 'string' && typeof m['git'] !== 'string') fail(['modules', i], "a module needs a 'name' or a 'git' URL");
    if (m['git'] !== undefined && typeof m['ref'] !== 'string') fail(['modules', i, 'git'], "a git module needs a 'ref'");
    for (const key of Object.keys(m)) {
      if (!['name', 'version_requirement', 'resolve', 'git', 'ref'].includes(key)) {
        fail(['modules', i, key], `unknown key '${key}' in a module; valid keys are: git, name, ref, resolve, version_requirement`);
      }
    }
  });
  warnings.push(...checkNestedKeys(config as Record<string, unknown>, fail, at));
  return { config, warnings };
}

function projectDirFrom(value: string, cwd: string, what: string): string {
  const dir = resolve(cwd, value);
  if (!isDir(dir)) throw new UsageError(`${what}: could not find project directory '${dir}'`);
  return dir;
}

/** Walks up from `start` for `Boltdir/` or a project file. */
function walkUp(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (isDir(join(dir, BOLTDIR))) return join(dir, BOLTDIR);
    if (PROJECT_FILES.some((name) => isFile(join(dir, name)))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function splitPathList(value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? value.split(delimiter) : [...value];
  return list.filter((p) => p !== '');
}

/**
 * Finds the project, reads its project file and resolves the inventory source and modulepath.
 *
 * @example
 * ```ts
 * findProject({ cwd: '/site/sub', env: {} }).dir;                      // '/site' if /site/bolt-project.yaml exists
 * findProject({ cwd: '/x', projectFlag: '../site', env: {} }).origin;  // 'flag'
 * ```
 */
export function findProject(options: FindProjectOptions): Project {
  const env = options.env ?? {};
  const cwd = resolve(options.cwd);
  const warnings: string[] = [];

  let dir: string;
  let origin: Project['origin'];
  const rivetProject = env['RIVET_PROJECT'];
  const boltProject = env['BOLT_PROJECT'];
  if (rivetProject && boltProject && resolve(cwd, rivetProject) !== resolve(cwd, boltProject)) {
    warnings.push(`both RIVET_PROJECT and BOLT_PROJECT are set; using RIVET_PROJECT (${rivetProject})`);
  }
  const envProject = rivetProject || boltProject;
  if (envProject) {
    dir = projectDirFrom(envProject, cwd, rivetProject ? 'RIVET_PROJECT' : 'BOLT_PROJECT');
    origin = 'env';
    if (options.projectFlag !== undefined) warnings.push(`--project ${options.projectFlag} is ignored because ${rivetProject ? 'RIVET_PROJECT' : 'BOLT_PROJECT'} is set`);
  } else if (options.projectFlag !== undefined) {
    dir = projectDirFrom(options.projectFlag, cwd, '--project');
    origin = 'flag';
  } else {
    const found = walkUp(cwd);
    dir = found ?? cwd;
    origin = found ? 'found' : 'cwd';
  }

  const present = PROJECT_FILES.map((name) => join(dir, name)).filter(isFile);
  const file = present[0];
  if (present.length > 1) warnings.push(`both rivet-project.yaml and bolt-project.yaml are in ${dir}; using rivet-project.yaml`);
  let config: ProjectConfig = {};
  if (file) {
    const read = readProjectFile(file);
    config = read.config;
    warnings.push(...read.warnings);
  }
  // bolt-defaults.yaml (I-23): below the project file; disable-warnings lists are joined.
  const defaults = readDefaults(env, options.defaultsDirs);
  warnings.push(...defaults.warnings);
  if (defaults.files.length > 0) config = mergeConfigLayer(defaults.config, config as Record<string, unknown>) as ProjectConfig;

  if (file !== undefined && config.name === undefined && !(config['disable-warnings'] ?? []).includes(MISSING_PROJECT_NAME)) {
    const warning = missingNameWarning(dir, file);
    if (warning !== undefined) warnings.push(withWarningId(MISSING_PROJECT_NAME, warning));
  }

  const inventoryFile = resolveInventory(options, env, dir, config, cwd, file);

  const userModulepath = options.modulepathFlag !== undefined
    ? splitPathList(options.modulepathFlag).map((p) => resolve(cwd, p))
    : config.modulepath !== undefined
      ? splitPathList(config.modulepath).map((p) => resolve(dir, p))
      : [join(dir, 'modules')];
  const managed = join(dir, '.modules');
  const npm = npmModuleDirs(dir);
  warnings.push(...npm.warnings);
  const modulepath = [...userModulepath.filter((p) => p !== managed), managed, ...npm.dirs];
  const shadowed = shadowedModuleDirs(config.name, modulepath);
  if (config.name !== undefined && shadowed.length > 0) warnings.push(withWarningId('project_shadows_module', projectShadowsModule(config.name, shadowed)));

  return {
    dir,
    name: config.name,
    file,
    origin,
    config,
    inventoryFile,
    modulepath,
    downloadsDir: join(dir, 'downloads'),
    rerunFile: config.rerunfile === undefined ? join(dir, '.rerun.json') : resolve(dir, config.rerunfile),
    defaultsInventoryConfig: defaults.inventoryConfig,
    // Bolt's disable-warnings (C-15): a warning whose [ID: x] is listed is not shown.
    warnings: withoutDisabled(warnings, config['disable-warnings']),
  };
}

/**
 * The warning for a project file without `name:` in a project that has plans or tasks of its own:
 * they are ignored, since their names start with the project's (Bolt's `missing_project_name`).
 */
function missingNameWarning(dir: string, file: string): string | undefined {
  const plans = planFilesOf(dir).map((p) => relative(dir, p).split(sep).join('/'));
  const tasksDir = join(dir, 'tasks');
  let tasks = false;
  try {
    tasks = isDir(tasksDir) && readdirSync(tasksDir).some((f) => !f.startsWith('.'));
  } catch {
    // unreadable: nothing to warn about
  }
  if (plans.length === 0 && !tasks) return undefined;
  const shown = plans.length > 3 ? [...plans.slice(0, 3), `${plans.length - 3} more`] : plans;
  const what = [plans.length > 0 ? `plans (${shown.join(', ')})` : '', tasks ? 'tasks (tasks/)' : ''].filter((w) => w !== '').join(' and ');
  const suggested = projectNameFor(basename(dir) === BOLTDIR ? basename(dirname(dir)) : basename(dir));
  return `${file}: the project has no name, so its ${what} are ignored: add 'name: ${suggested}' to run them as ${suggested}::<name>`;
}

function resolveInventory(
  options: FindProjectOptions,
  env: Readonly<Record<string, string | undefined>>,
  dir: string,
  config: ProjectConfig,
  cwd: string,
  projectFile: string | undefined,
): ProjectInventory {
  const envName = env['RIVET_INVENTORY'] !== undefined ? 'RIVET_INVENTORY' : env['BOLT_INVENTORY'] !== undefined ? 'BOLT_INVENTORY' : undefined;
  if (envName !== undefined) {
    if (options.inventoryFlag !== undefined) {
      throw new UsageError(`cannot use --inventoryfile when ${envName} is set (${envName} holds the inventory itself)`);
    }
    return { text: env[envName] ?? '', name: envName };
  }
  if (options.inventoryFlag !== undefined) return { path: resolve(cwd, options.inventoryFlag), explicit: true };
  if (config.inventoryfile !== undefined) {
    const path = isAbsolute(config.inventoryfile) ? config.inventoryfile : resolve(dir, config.inventoryfile);
    return { path, explicit: true, givenBy: `'inventoryfile' in ${projectFile ?? 'the project file'}` };
  }
  return { path: join(dir, 'inventory.yaml'), explicit: false };
}

/**
 * Loads the project's inventory: env content, the explicit file (missing → error naming the
 * path), or `<project>/inventory.yaml` (missing → empty inventory).
 *
 * @example
 * ```ts
 * const inventory = loadProjectInventory(findProject({ cwd: process.cwd(), env: process.env }));
 * ```
 */
export function loadProjectInventory(project: Pick<Project, 'inventoryFile'> & Partial<Pick<Project, 'dir'>>): Inventory {
  const source = project.inventoryFile;
  const options = project.dir === undefined ? {} : { baseDir: project.dir };
  if ('text' in source) return loadInventory(source, options);
  return loadInventoryFile(source.path, { ...options, explicit: source.explicit, givenBy: source.givenBy });
}
