/**
 * Shared set-up of the durable-run tests: a project whose inventory points N targets
 * (127.0.0.2, 127.0.0.3, ...) at the test sshd, a world-writable marker directory the targets
 * append to, and `rivet` child processes (controllers that can be SIGKILLed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeProject } from '../cli/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';
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

/** A project with `count` SSH targets in group `all` and the given extra files. */
export function sshProject(server: SshdServer, count: number, files: Record<string, string>): Promise<string> {
  const inventory = ['targets:', ...addresses(count).map((a) => `  - ${a}`), ...sshConfigLines(server, { 'connect-timeout': 120 }), ''].join('\n');
  return makeProject({ 'package.json': '{ "type": "module" }\n', 'rivet-project.yaml': 'name: demo\n', 'inventory.yaml': inventory, ...files });
}

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/** `node bin/rivet.mjs ARGS` in `cwd`, output collected. */
export function spawnRivet(args: string[], cwd: string, env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
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
