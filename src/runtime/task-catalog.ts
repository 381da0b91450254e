/**
 * The tasks of a run: found on the modulepath once, their executables read once, their file
 * bundles packed once, however many targets and steps use them.
 *
 * @example
 * ```ts
 * const catalog = new TaskCatalog({ modulepath: ['/p/modules'], projectDir: '/p', projectName: 'site' });
 * const task = await catalog.load('site::verify');
 * ```
 * @module
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RivetError, isRivetError } from '../core/errors.ts';
import { loadTar, loadTaskDiscovery } from './lazy.ts';
import type { DiscoverOptions, TaskDefinition, TaskListing } from './tasks/discovery.ts';
import type { SelectedImplementation } from './tasks/implementation.ts';
import { taskModulepath } from './tasks/modulepath.ts';

/** Rivet's own modules (`facts`, `package`, `service`): last on the modulepath, after `.modules`, like Bolt's packaged modules (T-09). */
export const BUILTIN_MODULES_DIR = fileURLToPath(new URL('../../builtin-modules', import.meta.url));

export interface TaskCatalogOptions {
  modulepath: readonly string[];
  projectDir?: string | undefined;
  projectName?: string | undefined;
}

export class TaskCatalog {
  readonly modulepath: readonly string[];
  readonly #discover: DiscoverOptions;
  readonly #tasks = new Map<string, Promise<TaskDefinition>>();
  readonly #files = new Map<string, Promise<Buffer>>();
  readonly #bundles = new Map<string, Promise<Buffer>>();

  constructor(options: TaskCatalogOptions) {
    this.modulepath = taskModulepath(options.modulepath, options.projectDir, BUILTIN_MODULES_DIR);
    this.#discover = {};
    if (options.projectDir !== undefined) this.#discover.projectDir = options.projectDir;
    if (options.projectName !== undefined) this.#discover.projectName = options.projectName;
  }

  /** The task with this name (an error naming the task and how to list tasks when it is unknown). */
  load(name: string): Promise<TaskDefinition> {
    let task = this.#tasks.get(name);
    if (task === undefined) {
      task = loadTaskDiscovery().then(({ loadTask }) => loadTask(name, this.modulepath, this.#discover));
      this.#tasks.set(name, task);
      task.catch(() => this.#tasks.delete(name));
    }
    return task;
  }

  /**
   * {@link load} for running the task: invalid metadata or files fail with `bolt/pal-error`, as
   * in Bolt, whose PAL wraps Puppet's task errors (`puppet.tasks/...`) with
   * `PALError.from_error` (`lib/bolt/pal.rb`). The message and details are kept.
   */
  async loadToRun(name: string): Promise<TaskDefinition> {
    try {
      return await this.load(name);
    } catch (error) {
      if (!isRivetError(error) || !error.kind.startsWith('puppet.tasks/')) throw error;
      throw new RivetError('bolt/pal-error', error.message, { details: error.details, cause: error });
    }
  }

  /**
   * Every visible task with its description (C-11, T-20: private tasks hidden), and which of
   * them are Rivet's built-in tasks (a project module of the same name wins over those).
   */
  async list(): Promise<TaskListing> {
    const { listTasks } = await loadTaskDiscovery();
    return listTasks(this.modulepath, { ...this.#discover, builtinDir: BUILTIN_MODULES_DIR });
  }

  /** Every task, private ones included. */
  async all(): Promise<Map<string, TaskDefinition>> {
    const { discoverTasks } = await loadTaskDiscovery();
    return discoverTasks(this.modulepath, this.#discover);
  }

  /** The bytes of a local file, read once per run. */
  read(path: string): Promise<Buffer> {
    let content = this.#files.get(path);
    if (content === undefined) {
      content = readFile(path);
      this.#files.set(path, content);
    }
    return content;
  }

  /**
   * A tar archive of the implementation's files in Bolt's `_installdir` layout (T-19):
   * `<module>/<mount>/<path>` for each file and `<module>/tasks/<executable>`.
   */
  bundle(task: TaskDefinition, implementation: SelectedImplementation): Promise<Buffer> {
    const key = `${task.name}\0${implementation.path}`;
    let archive = this.#bundles.get(key);
    if (archive === undefined) {
      archive = packBundle(implementation);
      this.#bundles.set(key, archive);
    }
    return archive;
  }
}


/** True for a task from Rivet's own modules (`facts`, `package`, `service`). */
export function isBuiltinTask(task: Pick<TaskDefinition, 'moduleDir'>): boolean {
  return task.moduleDir.startsWith(`${BUILTIN_MODULES_DIR}/`) || task.moduleDir === BUILTIN_MODULES_DIR;
}

async function packBundle(implementation: SelectedImplementation): Promise<Buffer> {
  const staging = await mkdtemp(join(tmpdir(), 'rivet-bundle-'));
  try {
    const entries = [...implementation.files, { name: implementation.installPath, path: implementation.path }];
    for (const entry of entries) {
      const dest = join(staging, entry.name);
      await mkdir(dirname(dest), { recursive: true });
      await cp(entry.path, dest, { recursive: true });
    }
    const chunks: Buffer[] = [];
    const top = await readdir(staging);
    const tar = await loadTar(); // only tasks with `files` need it: not loaded at start-up
    for await (const chunk of tar.c({ cwd: staging, portable: true }, top) as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
