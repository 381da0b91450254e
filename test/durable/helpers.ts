/**
 * Shared set-up of the durable-run tests: projects whose inventory points N targets
 * (127.0.0.2, 127.0.0.3, ...) at the test sshd or names groups of local targets, a world-writable
 * marker directory the targets append to, `rivet` and Node child processes (controllers and
 * applications that can be SIGKILLed), and the Postgres server, project and processes of a
 * `describe` block ({@link durableFixture}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { makeProject } from '../cli/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';
import type { SshdServer } from '../harness/sshd.ts';

export const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/rivet.mjs', import.meta.url));

/** `127.0.0.2` ... for `count` targets. */
export function addresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
}

/** A marker directory every test user may append to. */
export async function markerDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-durable-markers-'));
  await chmod(dir, 0o1777);
  return dir;
}

/** A project named `demo` (ESM, so plans are TypeScript modules) with `inventory` and the given extra files. */
function demoProject(inventory: string, files: Record<string, string>): Promise<string> {
  return makeProject({ 'package.json': '{ "type": "module" }\n', 'rivet-project.yaml': 'name: demo\n', 'inventory.yaml': inventory, ...files });
}

/** A project with `count` SSH targets in group `all` and the given extra files. */
export function sshProject(server: SshdServer, count: number, files: Record<string, string>): Promise<string> {
  return demoProject(['targets:', ...addresses(count).map((a) => `  - ${a}`), ...sshConfigLines(server, { 'connect-timeout': 120 }), ''].join('\n'), files);
}

/**
 * A project whose inventory has one group per entry of `groups` (name: its targets), all on the
 * local transport, and the given extra files (plans, tasks).
 *
 * @example
 * ```ts
 * const dir = await localProject({ four: ['l1', 'l2', 'l3', 'l4'] }, { 'plans/two.ts': source });
 * ```
 */
export function localProject(groups: Readonly<Record<string, readonly string[]>>, files: Record<string, string>): Promise<string> {
  const inventory = ['groups:', ...Object.entries(groups).flatMap(([name, targets]) => [`  - name: ${name}`, `    targets: [${targets.join(', ')}]`, '    config:', '      transport: local']), ''];
  return demoProject(inventory.join('\n'), files);
}

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/** `node bin/rivet.mjs ARGS` in `cwd`, output collected. */
export function spawnRivet(args: string[], cwd: string, env: Record<string, string> = {}): Spawned {
  return spawnNode(BIN, args, cwd, env);
}

/** `node SCRIPT ARGS` in `cwd` (PATH, HOME and `env` only), output collected; with `stdin`, the test writes to `child.stdin`. */
export function spawnNode(script: string, args: string[], cwd: string, env: Record<string, string> = {}, options: { stdin?: boolean } = {}): Spawned {
  const child = spawn(process.execPath, [script, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', RIVET_DEFAULTS_DIRS: '', ...env },
    stdio: [options.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** The run id a durable run announced in its JSONL output (`{"type":"durable_run","runId":...}`). */
export function runIdOf(run: Spawned): string {
  return jsonLines(run.stdout()).find((e) => e['type'] === 'durable_run')!['runId'] as string;
}

/** Polls `check` (every 100 ms, at most `tries` times: a bound on attempts, not a time budget). */
export async function until(what: string, check: () => boolean | Promise<boolean>, tries = 3000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The JSONL lines of a run's stdout. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Starts `rivet worker ARGS` and resolves once it printed that it is taking batches; if it exits
 * first, rejects at once with its stderr (a worker that cannot start must not leave a controller
 * waiting for it).
 */
export async function startWorker(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Spawned> {
  const worker = spawnRivet(['worker', ...args], cwd, env);
  let exited = false;
  void worker.exit.then(() => (exited = true));
  await until('the worker to take batches', () => {
    if (exited) throw new Error(`rivet worker ${args.join(' ')} exited before it took batches:\n${worker.stderr()}`);
    return worker.stderr().includes('is taking batches');
  });
  return worker;
}

/**
 * The controller's exit code; if one of `workers` exits first, the controller is killed and this
 * rejects at once with that worker's stderr (instead of the controller waiting for its batches).
 */
export async function controllerExit(controller: Spawned, workers: readonly Spawned[]): Promise<number | null> {
  const workerDied = workers.map((w) =>
    w.exit.then((code) => {
      throw new Error(`a rivet worker exited (code ${code}) before the controller:\n${w.stderr()}\n--- controller stderr ---\n${controller.stderr()}`);
    }),
  );
  try {
    return await Promise.race([controller.exit, ...workerDied]);
  } catch (error) {
    if (controller.child.exitCode === null) controller.child.kill('SIGKILL');
    throw error;
  } finally {
    for (const p of workerDied) p.catch(() => {});
  }
}

/** SIGTERM, then the worker's exit (bounded: `rivet worker --stop-timeout`). */
export async function stopWorker(worker: Spawned): Promise<number | null> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return worker.exit;
}

/** The `rivet` processes of a {@link durableFixture}, started in its project. */
export interface DurableFixture {
  /** `rivet ARGS` in the project, with the fixture's environment and `env`. */
  controller(args: string[], env?: Record<string, string>): Spawned;
  /** `rivet worker ARGS` in the project, resolved once it takes batches (see {@link startWorker}). */
  worker(args: string[], env?: Record<string, string>): Promise<Spawned>;
  /** `node SCRIPT ARGS` in the project (an application of the runtime API), as {@link spawnNode}. */
  node(script: string, args: string[], options?: { stdin?: boolean }): Spawned;
}

/**
 * The set-up of a `describe` block of durable tests: before all its tests, a fresh Postgres
 * server and the project `project` makes (handed to `ready`); after all of them, every process
 * started through the fixture that is still running is SIGKILLed, the server stopped and the
 * project removed. Call it in the `describe` callback.
 *
 * @example
 * ```ts
 * let pg: PostgresServer;
 * let dir: string;
 * const { controller, worker } = durableFixture(project, { RIVET_DURABLE_KEY: 'k' }, (set) => ({ pg, dir } = set));
 * ```
 */
export function durableFixture(project: () => Promise<string>, env: Record<string, string>, ready: (set: { pg: PostgresServer; dir: string }) => void): DurableFixture {
  let pg: PostgresServer | undefined;
  let dir: string | undefined;
  const spawned: Spawned[] = [];
  beforeAll(async () => {
    const [server, made] = await Promise.allSettled([startPostgres(), project()]);
    if (server.status === 'fulfilled') pg = server.value;
    if (made.status === 'fulfilled') dir = made.value;
    if (server.status === 'rejected') throw server.reason;
    if (made.status === 'rejected') throw made.reason;
    ready({ pg: pg!, dir: dir! });
  }, 300_000);
  afterAll(async () => {
    for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await pg?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  const where = (): string => {
    if (dir === undefined) throw new Error('durableFixture: its project is made in beforeAll; start processes in tests');
    return dir;
  };
  return {
    controller(args, extra = {}) {
      const p = spawnRivet(args, where(), { ...env, ...extra });
      spawned.push(p);
      return p;
    },
    async worker(args, extra = {}) {
      const w = await startWorker(args, where(), { ...env, ...extra });
      spawned.push(w);
      return w;
    },
    node(script, args, options = {}) {
      const p = spawnNode(script, args, where(), env, options);
      spawned.push(p);
      return p;
    },
  };
}
