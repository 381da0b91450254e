/**
 * Helpers for running Rivet's built-in tasks (builtin-modules/<mod>/tasks/init.sh)
 * directly, the way a POSIX transport does: `sh <script>` with parameters as
 * `PT_<name>` environment variables and nothing else in the environment (no PATH,
 * HOME or TTY), then parse the single JSON object on stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const MODULES_DIR = fileURLToPath(new URL('../../../builtin-modules/', import.meta.url));

export function taskScript(module: 'facts' | 'package' | 'service'): string {
  return path.join(MODULES_DIR, module, 'tasks', 'init.sh');
}

export interface TaskRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws in the test when it is not one object). */
  value: Record<string, unknown>;
}

export interface RunOptions {
  /** Shell to run the script with (default /bin/sh, which is dash on Debian). */
  shell?: string[];
  /** Extra non-PT environment (test hooks only). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Encode a parameter as Bolt's environment input method does (T-25). */
function envValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

export function runTask(
  module: 'facts' | 'package' | 'service',
  params: Record<string, unknown> = {},
  opts: RunOptions = {},
): TaskRun {
  const env: Record<string, string> = { ...opts.env };
  for (const [k, v] of Object.entries(params)) env[`PT_${k}`] = envValue(v);
  const [cmd, ...args] = opts.shell ?? ['/bin/sh'];
  const r = spawnSync(cmd!, [...args, taskScript(module)], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 120_000,
  });
  if (r.error) throw r.error;
  let value: unknown;
  try {
    value = JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `task ${module} did not print JSON (exit ${r.status}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`task ${module} printed JSON that is not an object: ${r.stdout}`);
  }
  if (r.stdout.trim().split('\n').length !== 1) {
    throw new Error(`task ${module} printed more than one line: ${r.stdout}`);
  }
  return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr, value: value as Record<string, unknown> };
}

export interface TaskError {
  kind: string;
  msg: string;
  details: Record<string, unknown>;
}

export function errorOf(run: TaskRun): TaskError {
  const e = run.value['_error'];
  if (typeof e !== 'object' || e === null) throw new Error(`expected an _error, got ${run.stdout}`);
  return e as TaskError;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
export const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-query');
export const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

/** Run a command with a clean PATH; returns exit code and output. */
export function sh(command: string, timeoutMs = 120_000): { code: number | null; out: string } {
  const r = spawnSync('/bin/sh', ['-c', command], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** The `json_escape` function text copied into one task script. */
export function jsonEscapeSource(script: string): string {
  const m = /^json_escape\(\) \{\n[\s\S]*?\n\}\n/m.exec(script);
  if (!m) throw new Error('json_escape() not found');
  return m[0];
}
