/**
 * A {@link Runtime} is one run of Rivet: a project, its inventory, one connection pool and one
 * executor (one concurrency limit). The CLI makes one per invocation, plans run inside one, and
 * applications make as many as they like: there is no global state.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'rivetops/runtime';
 * await using runtime = await createRuntime({ projectDir: '.' });
 * const set = await runtime.runCommand('uptime', 'web');
 * console.log(set.ok);
 * ```
 * @module
 */
import { EventBus } from '../core/events.ts';
import type { ResultSet } from '../core/result.ts';
import type { ShellCommand } from '../core/shell.ts';
import type { Target } from '../core/target.ts';
import { LocalTransport } from '../transports/local/index.ts';
import type { Transport } from '../transports/transport.ts';
import { Executor } from './executor.ts';
import type { Inventory, TargetSpec } from './inventory/index.ts';
import { loadSshTransport, loadTaskStep, loadWinrmTransport } from './lazy.ts';
import { ConnectionPool } from './pool.ts';
import { parseThreadsSetting, SshThreadRouter, type ThreadsSetting } from './ssh-threads.ts';
import type { TaskParams, TaskStepOptions } from './steps/task.ts';
import { TaskCatalog } from './task-catalog.ts';
import {
  downloadStep,
  runCommandStep,
  runScriptStep,
  uploadStep,
  type CommonStepOptions,
  type ScriptStepOptions,
} from './steps/basic.ts';

export interface RuntimeInit {
  inventory: Inventory;
  /** The project directory (relative paths, `downloads/`). */
  projectDir: string;
  /** Absolute module directories, in lookup order (for tasks, `<projectDir>/.modules` and then Rivet's built-in modules are appended). */
  modulepath?: readonly string[] | undefined;
  /** The project's name: its own `tasks/` and `plans/` belong to a module of that name (T-08). */
  projectName?: string | undefined;
  /** Where downloads go (default `<projectDir>/downloads`). */
  downloadsDir?: string | undefined;
  concurrency?: number | undefined;
  /** Most connections open at once (default: the concurrency); past it the least recently used idle one is closed. */
  connectionLimit?: number | undefined;
  /**
   * Keep a target's connection open after a step for the next one (default true, as plans and
   * applications want); false closes it once the step is done on that target (ad-hoc commands).
   */
  keepConnections?: boolean | undefined;
  /** Transports by name; defaults to local, ssh and winrm. */
  transports?: Readonly<Record<string, Transport>> | undefined;
  /**
   * SSH connections in worker threads (issue 13): `'auto'` (default) turns them on for a step
   * with at least 200 SSH targets on a machine with more than one CPU; a number N uses N threads
   * for every SSH connection; `0` or `'off'` never. Applies to Rivet's own SSH transport (not to
   * an `ssh` given in `transports`). See `ssh-threads.ts`.
   */
  threads?: ThreadsSetting | undefined;
  /** Aborting it cancels every step (Ctrl-C). */
  signal?: AbortSignal | undefined;
  events?: EventBus | undefined;
}

export class Runtime implements AsyncDisposable {
  readonly inventory: Inventory;
  readonly projectDir: string;
  readonly modulepath: readonly string[];
  readonly downloadsDir: string;
  readonly events: EventBus;
  readonly executor: Executor;
  readonly pool: ConnectionPool;
  readonly tasks: TaskCatalog;
  readonly #sshThreads: SshThreadRouter | undefined;

  constructor(init: RuntimeInit) {
    this.inventory = init.inventory;
    this.projectDir = init.projectDir;
    this.modulepath = init.modulepath ?? [];
    this.tasks = new TaskCatalog({ modulepath: this.modulepath, projectDir: init.projectDir, projectName: init.projectName });
    this.downloadsDir = init.downloadsDir ?? `${init.projectDir}/downloads`;
    this.events = init.events ?? new EventBus();
    const concurrency = init.concurrency ?? 100;
    // An invalid concurrency is reported by the executor, in its own words.
    const limit = init.connectionLimit ?? (Number.isInteger(concurrency) && concurrency >= 1 ? concurrency : undefined);
    const transports = { ...(init.transports ?? defaultTransports()) };
    if (init.transports?.['ssh'] === undefined && transports['ssh'] !== undefined) {
      const setting = parseThreadsSetting(init.threads ?? 'auto');
      this.#sshThreads = new SshThreadRouter(transports['ssh'], setting, Number.isInteger(concurrency) && concurrency >= 1 ? concurrency : 100);
      transports['ssh'] = this.#sshThreads;
    }
    this.pool = new ConnectionPool(transports, { events: this.events, limit, keepIdle: init.keepConnections });
    const router = this.#sshThreads;
    this.executor = new Executor({
      pool: this.pool,
      concurrency: init.concurrency,
      events: this.events,
      signal: init.signal,
      ...(router === undefined ? {} : { onStep: (targets: readonly Target[]) => router.noteStep(targets) }),
    });
  }

  /** The router of SSH connections to worker threads, when Rivet's own SSH transport is used. */
  get sshThreads(): SshThreadRouter | undefined {
    return this.#sshThreads;
  }

  /** Resolves a target spec through the inventory (P-22). */
  getTargets(spec: TargetSpec): Target[] {
    const targets = this.inventory.getTargets(spec);
    for (const target of targets) this.events.protectTarget(target);
    return targets;
  }

  runCommand(command: string | ShellCommand, targets: TargetSpec, options: CommonStepOptions = {}): Promise<ResultSet> {
    return runCommandStep(this.executor, command, this.getTargets(targets), options);
  }

  runScript(script: string, targets: TargetSpec, options: ScriptStepOptions = {}): Promise<ResultSet> {
    return runScriptStep(this.executor, script, this.getTargets(targets), options);
  }

  uploadFile(source: string, destination: string, targets: TargetSpec, options: CommonStepOptions = {}): Promise<ResultSet> {
    return uploadStep(this.executor, source, destination, this.getTargets(targets), options);
  }

  /**
   * Downloads from targets (P-06, C-16): into `<downloadsDir>/<destination>/<target>/` as a plan's
   * `downloadFile` does, or with `cwd` set (the CLI) into `<destination>/<target>/` where the
   * destination may be absolute or relative to `cwd`.
   */
  downloadFile(source: string, destination: string, targets: TargetSpec, options: CommonStepOptions & { cwd?: string | undefined } = {}): Promise<ResultSet> {
    const { cwd, ...rest } = options;
    const root = cwd === undefined ? { downloadsDir: this.downloadsDir } : { cwd };
    return downloadStep(this.executor, source, destination, this.getTargets(targets), { ...rest, ...root });
  }

  /** Runs a Bolt task with the same parameters on every target (P-01). */
  async runTask(task: string, targets: TargetSpec, params: Readonly<Record<string, unknown>> = {}, options: TaskStepOptions = {}): Promise<ResultSet> {
    const { runTaskStep } = await loadTaskStep();
    return runTaskStep(this.executor, this.tasks, task, this.getTargets(targets), params, options);
  }

  /** Runs a Bolt task with parameters computed per target (P-02). */
  async runTaskWith(task: string, targets: TargetSpec, params: Extract<TaskParams, (...args: never[]) => unknown>, options: TaskStepOptions = {}): Promise<ResultSet> {
    const { runTaskStep } = await loadTaskStep();
    return runTaskStep(this.executor, this.tasks, task, this.getTargets(targets), params, options);
  }

  /** Closes every connection of the run (and stops its SSH worker threads). */
  async close(): Promise<void> {
    await this.pool.closeAll();
    await this.#sshThreads?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}


/** One SSH and one WinRM transport per process (SSH's file cache included), made by the first connect. */
let sshTransport: Promise<Transport> | undefined;
let winrmTransport: Promise<Transport> | undefined;

/** Local, SSH and WinRM. SSH and WinRM are loaded on first use only (keeps `rivet --help` fast). */
export function defaultTransports(): Record<string, Transport> {
  return {
    local: new LocalTransport(),
    ssh: {
      name: 'ssh',
      async connect(target, options) {
        // Concurrent first connects share one instance (and so one read of ~/.ssh files).
        sshTransport ??= loadSshTransport().then(({ SshTransport }) => new SshTransport());
        return (await sshTransport).connect(target, options);
      },
    },
    winrm: {
      name: 'winrm',
      async connect(target, options) {
        winrmTransport ??= loadWinrmTransport().then(({ WinrmTransport }) => new WinrmTransport());
        return (await winrmTransport).connect(target, options);
      },
    },
  };
}
