/**
 * The basic steps: run a command, run a script, upload, download (P-03..P-06, X-09).
 *
 * @example
 * ```ts
 * const set = await runCommandStep(executor, 'uptime', targets, { timeoutMs: 30_000 });
 * ```
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { ErrorKind, RivetError, UsageError } from '../../core/errors.ts';
import type { Result, ResultSet } from '../../core/result.ts';
import { commandFor, type ShellCommand } from '../../core/shell.ts';
import type { Target } from '../../core/target.ts';
import type { Executor } from '../executor.ts';
import { commandValue, timeoutError, warnIfTruncated } from './output.ts';
import { resolveMaxOutput } from '../output-limit.ts';
import { resolveCleanup, resolveInterpreter, resolveRunAs, resolveTmpdir, type StepRunOptions } from './options.ts';

export interface CommonStepOptions extends StepRunOptions {
  description?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Stream each target's output as events (`--stream`). */
  stream?: boolean | undefined;
  /** With `stream`: also told each chunk of live output (a durable worker forwards it to the controller). */
  onOutput?: ((target: Target, stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
  /** Told each target's result as soon as that target finishes (see `StepSpec.onTargetResult`). */
  onTargetResult?: ((result: Result) => void) | undefined;
}

/**
 * Runs a command line: a string as written, or a {@link ShellCommand} (the SDK's `sh`) rendered for
 * each target's shell. Results and events show the POSIX rendering.
 */
export function runCommandStep(executor: Executor, command: string | ShellCommand, targets: readonly Target[], options: CommonStepOptions = {}): Promise<ResultSet> {
  const shown = String(command);
  if (shown.trim() === '') throw new UsageError('The command is empty');
  return executor.runStep({
    action: 'command',
    object: shown,
    description: options.description,
    targets,
    signal: options.signal,
    onOutput: options.onOutput,
    onTargetResult: options.onTargetResult,
    work: async ({ target, connection, signal, onOutput, warn }) => {
      const maxOutputBytes = resolveMaxOutput(target);
      const run = await connection.run(commandFor(command, target), {
        signal,
        maxOutputBytes,
        env: options.env,
        runAs: resolveRunAs(target, options),
        timeoutMs: options.timeoutMs,
        onOutput: options.stream ? onOutput : undefined,
      });
      warnIfTruncated(run, target.name, maxOutputBytes, warn);
      return commandValue(run, target.name, options.timeoutMs);
    },
  });
}

export interface ScriptStepOptions extends CommonStepOptions {
  arguments?: readonly string[] | undefined;
}

export async function runScriptStep(executor: Executor, scriptPath: string, targets: readonly Target[], options: ScriptStepOptions = {}): Promise<ResultSet> {
  const content = await readLocalFile(scriptPath, 'script');
  const name = basename(scriptPath);
  return executor.runStep({
    action: 'script',
    object: scriptPath,
    description: options.description,
    targets,
    signal: options.signal,
    onOutput: options.onOutput,
    onTargetResult: options.onTargetResult,
    work: async ({ target, connection, signal, onOutput, warn }) => {
      const maxOutputBytes = resolveMaxOutput(target);
      const run = await connection.runFile({
        signal,
        maxOutputBytes,
        file: { name, content },
        args: options.arguments,
        interpreter: resolveInterpreter(target, name),
        env: options.env,
        runAs: resolveRunAs(target, options),
        timeoutMs: options.timeoutMs,
        tmpdir: resolveTmpdir(target, options),
        cleanup: resolveCleanup(target),
        onOutput: options.stream ? onOutput : undefined,
      });
      warnIfTruncated(run, target.name, maxOutputBytes, warn);
      return commandValue(run, target.name, options.timeoutMs);
    },
  });
}

export async function uploadStep(executor: Executor, source: string, destination: string, targets: readonly Target[], options: CommonStepOptions = {}): Promise<ResultSet> {
  await stat(source).catch(() => {
    throw fileError(`The source file '${source}' does not exist`, source);
  });
  if (destination === '') throw new UsageError('The upload destination is empty');
  return executor.runStep({
    action: 'upload',
    object: source,
    description: options.description,
    targets,
    signal: options.signal,
    onTargetResult: options.onTargetResult,
    work: async ({ target, connection, signal }) => {
      await withTransferTimeout(target, options.timeoutMs, signal, (transferSignal) =>
        connection.upload(source, destination, { signal: transferSignal, runAs: resolveRunAs(target, options), tmpdir: resolveTmpdir(target, options) }),
      );
      return { _output: `Uploaded '${source}' to '${target.host ?? target.name}:${destination}'` };
    },
  });
}

/**
 * Runs an upload or download under the step's timeout: the transfer's signal aborts when the step's
 * does or when `timeoutMs` (if over 0) has passed, and a transfer stopped by the timeout fails with
 * the same `rivet/timeout` error as a command's timeout (a cancel keeps its own error).
 */
async function withTransferTimeout(target: Target, timeoutMs: number | undefined, signal: AbortSignal, transfer: (signal: AbortSignal) => Promise<void>): Promise<void> {
  if (timeoutMs === undefined || timeoutMs <= 0) return transfer(signal);
  const timer = new AbortController();
  const handle = setTimeout(() => timer.abort(), timeoutMs);
  try {
    await transfer(AbortSignal.any([signal, timer.signal]));
  } catch (error) {
    if (timer.signal.aborted && !signal.aborted) throw timeoutError(target.name, timeoutMs, 'the transfer was stopped');
    throw error;
  } finally {
    clearTimeout(handle);
  }
}

/** Where a download's destination resolves: a plan's downloads directory, or the CLI's cwd. */
export type DownloadRoot = { downloadsDir: string } | { cwd: string };

/**
 * Downloads `source` from every target to `<destination>/<url-encoded target name>/<basename>`
 * (P-06, C-16). With `downloadsDir` (plans, Bolt's `download_file.rb`) the destination must be
 * relative to it, without `.` or `..`; with `cwd` (the CLI, Bolt's `Application#download_file`)
 * it may be absolute, `~/...` or relative to the cwd.
 *
 * @example
 * ```ts
 * await downloadStep(executor, '/etc/hosts', 'logs', targets, { downloadsDir: '/p/downloads' }); // /p/downloads/logs/<target>/hosts
 * await downloadStep(executor, '/etc/hosts', '/tmp/out', targets, { cwd: process.cwd() });       // /tmp/out/<target>/hosts
 * ```
 */
export async function downloadStep(
  executor: Executor,
  source: string,
  destination: string,
  targets: readonly Target[],
  options: CommonStepOptions & DownloadRoot,
): Promise<ResultSet> {
  const base = 'cwd' in options ? cliDownloadBase(options.cwd, destination) : downloadBase(options.downloadsDir, destination);
  return executor.runStep({
    action: 'download',
    object: source,
    description: options.description,
    targets,
    signal: options.signal,
    onTargetResult: options.onTargetResult,
    work: async ({ target, connection, signal }) => {
      const dir = join(base, targetDirName(target.name));
      await mkdir(dir, { recursive: true });
      const path = join(dir, basename(source.replace(/\/+$/, '')) || 'root');
      await withTransferTimeout(target, options.timeoutMs, signal, (transferSignal) =>
        connection.download(source, path, { signal: transferSignal, runAs: resolveRunAs(target, options), tmpdir: resolveTmpdir(target, options) }),
      );
      return { path, _output: `Downloaded '${target.host ?? target.name}:${source}' to '${path}'` };
    },
  });
}

/**
 * A target's name as one path component of a download directory: URL-encoded (so `/` cannot nest
 * or escape), with `.` and `..` (which encoding leaves alone) written as `%2E` and `%2E%2E`.
 *
 * @example
 * ```ts
 * targetDirName('ssh://web1:22'); // 'ssh%3A%2F%2Fweb1%3A22'
 * targetDirName('..');            // '%2E%2E'
 * ```
 */
export function targetDirName(name: string): string {
  const encoded = encodeURIComponent(name);
  return /^\.+$/.test(encoded) ? encoded.replaceAll('.', '%2E') : encoded;
}

/** The CLI's destination: `File.expand_path(destination, Dir.pwd)` (`~` is the home directory). */
export function cliDownloadBase(cwd: string, destination: string): string {
  const home = process.env['HOME'] ?? homedir();
  const expanded = destination === '~' ? home : destination.startsWith('~/') ? join(home, destination.slice(2)) : destination;
  return resolve(cwd, expanded);
}

/** A plan's destination: relative to the downloads directory, no `.` or `..` (`download_file.rb`). */
export function downloadBase(downloadsDir: string, destination: string): string {
  if (destination === '') return resolve(downloadsDir);
  if (isAbsolute(destination)) throw new UsageError(`The download destination '${destination}' must be relative to the downloads directory`);
  const parts = normalize(destination).split(/[\\/]/);
  if (destination.split(/[\\/]/).some((p) => p === '.' || p === '..') || parts.includes('..')) {
    throw new UsageError(`The download destination '${destination}' must not contain '.' or '..'`);
  }
  return resolve(downloadsDir, destination);
}

/** Bolt's error for a local file that is missing or of the wrong type (`lib/bolt/util.rb` `validate_file`). */
function fileError(msg: string, path: string): RivetError {
  return new RivetError('bolt/file-error', msg, { details: { path } });
}

async function readLocalFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fileError(`The ${what} '${path}' does not exist`, path);
    if (code === 'EISDIR') throw fileError(`The ${what} '${path}' is not a file`, path);
    throw new RivetError(ErrorKind.Generic, `Cannot read the ${what} '${path}': ${code ?? String(error)}`);
  }
}
