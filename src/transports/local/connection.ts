/**
 * {@link LocalConnection}: the local transport's {@link Connection}. Work that runs as the user
 * Rivet runs as needs no shell plumbing on this machine, so it takes the direct path: one child
 * process per command, script or task (`/bin/sh -c <command> sh`, its own process group, env and
 * stdin given by Node), and the temp dir, the script file, uploads and cleanup done with Node's
 * `fs`, with no `mkdir`, `chmod`, `mv` or `rm` processes. Run-as (sudo) takes {@link PosixConnection}'s
 * path unchanged, as on SSH. The results, errors (kinds, issue codes) and the shell the user's
 * command runs in are the same on both paths.
 *
 * @example
 * ```ts
 * const conn = await new LocalTransport().connect(localhost, { signal });
 * const r = await conn.run('id -un', { signal });        // one /bin/sh process
 * await conn.upload('site/www', '/srv/www', { signal });  // no process at all
 * ```
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import { ErrorKind, RivetError, UsageError } from '../../core/errors.ts';
import { shellQuote } from '../../core/shell.ts';
import type { Target } from '../../core/target.ts';
import type { PosixConnection } from '../posix/connection.ts';
import { DEFAULT_KILL_GRACE_MS, RunOutput, STREAM_DRAIN_MS, canceledResult, confirmGroupKill, delay, ended, invocationLine, onStopRequest } from '../posix/process-helpers.ts';
import { isEnvName } from '../posix/quote.ts';
import type { Connection, RunAs, RunBundleOptions, RunFileOptions, RunOptions, RunResult, TransferOptions } from '../transport.ts';
import { canceledCopy, copyPath } from './copy.ts';
import type { LocalPrimitives } from './transport.ts';

interface DirectOptions extends RunOptions {
  /** The private temp dir of the work: removed afterwards (and by a kill). */
  tempDir?: string | undefined;
}

export class LocalConnection implements Connection {
  readonly features: readonly string[] = ['shell'];
  readonly #primitives: LocalPrimitives;
  readonly #loadPosix: () => Promise<PosixConnection>;
  #posixConnection: Promise<PosixConnection> | undefined;
  readonly #children = new Set<() => void>();
  #closed = false;

  /**
   * `posix` makes the connection that serves run-as, tar bundles and downloads, on first use (its
   * module is not even loaded by a run that needs none of them); everything else runs directly.
   */
  constructor(primitives: LocalPrimitives, posix: () => Promise<PosixConnection>) {
    this.#primitives = primitives;
    this.#loadPosix = posix;
  }

  #posix(): Promise<PosixConnection> {
    this.#posixConnection ??= this.#loadPosix();
    return this.#posixConnection;
  }

  get target(): Target {
    return this.#primitives.target;
  }

  run(command: string, options: RunOptions): Promise<RunResult> {
    if (this.#needsRunAs(options.runAs)) return this.#posix().then((posix) => posix.run(command, options));
    return this.#direct(command, options);
  }

  async runFile(options: RunFileOptions): Promise<RunResult> {
    if (this.#needsRunAs(options.runAs)) return (await this.#posix()).runFile(options);
    const name = basename(options.file.name);
    if (name === '' || name === '.' || name === '..') throw new RivetError(ErrorKind.TaskFile, `Invalid file name '${options.file.name}'`);
    if (options.signal.aborted) return canceledResult(performance.now());
    const tmpdir = options.tmpdir ?? '/tmp';
    const dir = await this.#makePrivateDir(tmpdir);
    try {
      const path = join(dir, name);
      await writeFile(path, options.file.content, { mode: 0o700, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
        throw this.#fileError('WRITE_ERROR', `Could not write ${path}: ${osMessage(error)}`);
      });
      // The mode given to writeFile is masked by the umask: set it exactly, as `chmod 700` does.
      await chmod(path, 0o700).catch((error: NodeJS.ErrnoException) => {
        throw this.#fileError('CHMOD_ERROR', `Could not make ${path} executable: ${osMessage(error)}`);
      });
      return await this.#direct(invocationLine(shellQuote(path), options), { ...options, tempDir: options.cleanup === false ? undefined : dir });
    } finally {
      if (options.cleanup !== false) await rm(dir, { recursive: true, force: true });
    }
  }

  runBundle(options: RunBundleOptions): Promise<RunResult> {
    // Task files come as a tar archive, unpacked by the system's tar: the posix path (two execs).
    return this.#posix().then((posix) => posix.runBundle(options));
  }

  /**
   * Bolt's upload semantics (see {@link PosixConnection.upload}): the copy goes to a private temp
   * dir, then moves to the destination as `mv -f` would (into an existing directory, replacing a
   * file). The copy and the common moves are done with `fs`; a move `rename` cannot do as `mv`
   * would (another file system, replacing a directory, an error to report in `mv`'s words) is left
   * to `mv` itself.
   */
  async upload(localPath: string, remotePath: string, options: TransferOptions): Promise<void> {
    if (this.#needsRunAs(options.runAs)) return (await this.#posix()).upload(localPath, remotePath, options);
    const info = await stat(localPath).catch((error: NodeJS.ErrnoException) => {
      throw new RivetError(ErrorKind.TaskFile, `The source '${localPath}' cannot be read: ${error.code ?? error.message}`, { issueCode: 'WRITE_ERROR' });
    });
    const dir = await this.#makePrivateDir(options.tmpdir ?? '/tmp');
    try {
      const staged = join(dir, basename(localPath));
      await copyPath(localPath, staged, options.signal, { verbatimSymlinks: true }).catch((error: unknown) => {
        if (options.signal.aborted) throw canceledCopy(this.target.name, `upload ${localPath} to ${remotePath}`);
        throw new RivetError(ErrorKind.TaskFile, `Could not upload ${remotePath}: ${error instanceof Error ? error.message : String(error)}`, { issueCode: 'WRITE_ERROR', target: this.target.name, cause: error });
      });
      if (await renameLikeMv(staged, remotePath, info.isDirectory())) return;
      const move = `mv -f -- ${shellQuote(staged)} ${shellQuote(remotePath)}`;
      const result = await this.#direct(move, { signal: options.signal });
      if (result.exitCode !== 0) {
        const text = result.stderr.toString().trim().replaceAll('\n', ' ');
        throw new RivetError(ErrorKind.TaskFile, `Could not move temporary file '${staged}' to ${remotePath}: ${text}`, { issueCode: 'MV_ERROR', target: this.target.name });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  download(remotePath: string, localPath: string, options: TransferOptions): Promise<void> {
    return this.#posix().then((posix) => posix.download(remotePath, localPath, options));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const stop of this.#children) stop();
    // Closing the primitives is all the posix connection's close does: no need to load it for that.
    await (this.#posixConnection === undefined ? this.#primitives.close() : (await this.#posixConnection).close());
  }

  /** Run-as is needed unless no user, or the user Rivet runs as, is asked for (T-41). */
  #needsRunAs(runAs: RunAs | undefined): boolean {
    return runAs !== undefined && runAs.user !== '' && runAs.user !== this.#primitives.loginUser;
  }

  /** A fresh private directory (mode 700) under `tmpdir`, or TMPDIR_ERROR. */
  async #makePrivateDir(tmpdir: string): Promise<string> {
    const dir = `${tmpdir.replace(/\/+$/, '')}/rivet.${randomBytes(8).toString('hex')}`;
    try {
      await mkdir(dir, { mode: 0o700 });
      await chmod(dir, 0o700);
    } catch (error) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw this.#fileError('TMPDIR_ERROR', `Could not create a temporary directory in ${tmpdir}: mkdir: cannot create directory '${dir}': ${osMessage(error as NodeJS.ErrnoException)}`);
    }
    return dir;
  }

  #fileError(issueCode: string, message: string): RivetError {
    return new RivetError(ErrorKind.TaskFile, message, { issueCode, target: this.target.name });
  }

  /**
   * Runs `command` with `/bin/sh -c` in its own process group: env and stdin from `options`,
   * bounded output, timeout and cancel (TERM then KILL to the group, confirmed by
   * {@link killScript}, which also removes the temp dir).
   */
  async #direct(command: string, options: DirectOptions): Promise<RunResult> {
    const started = performance.now();
    if (this.#closed) throw new RivetError(ErrorKind.Connect, `The local connection for ${this.target.name} is closed`, { issueCode: 'CONNECT_ERROR', target: this.target.name });
    const env = childEnv(options.env);
    if (options.signal.aborted) return canceledResult(started);
    // `sh` as $0, as `sh -c` in a shell, so errors read `sh: 1: ...` (Bolt's local popen3).
    const child = spawn('/bin/sh', ['-c', command, 'sh'], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env });
    const output = new RunOutput(options.maxOutputBytes);
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].on('data', (chunk: Buffer) => {
        output.push(stream, chunk);
        options.onOutput?.(stream, chunk);
      });
    }
    child.stdin.on('error', () => {
      // The command may exit without reading its stdin (T-24): not an error.
    });
    child.stdin.end(options.stdin);

    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: 127, signal: null }));
    });
    let timedOut = false;
    let canceled = false;
    let confirmation: Promise<boolean> | undefined;
    const terminate = (): void => {
      if (confirmation || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      confirmation = confirmGroupKill(child.pid, DEFAULT_KILL_GRACE_MS, options.tempDir, runWithSh);
    };
    const release = onStopRequest(options.signal, options.timeoutMs, (reason) => {
      if (reason === 'canceled') canceled = true;
      else timedOut = true;
      terminate();
    });
    const stop = (): void => terminate();
    this.#children.add(stop);
    try {
      const status = await exited;
      const killed = confirmation === undefined ? undefined : await confirmation;
      await Promise.race([Promise.all([ended(child.stdout), ended(child.stderr)]), delay(STREAM_DRAIN_MS)]);
      // A shell killed by a signal: 128+N, as the shell that waits for it reports (and Bolt shows).
      const signalNumber = status.signal === null ? undefined : constants.signals[status.signal];
      return {
        ...output.result(),
        exitCode: signalNumber === undefined ? status.code : 128 + signalNumber,
        signal: null,
        durationMs: performance.now() - started,
        timedOut,
        canceled,
        ...(killed === undefined ? {} : { killed }),
      };
    } finally {
      this.#children.delete(stop);
      release();
    }
  }
}

/** The environment of a child: Rivet's own plus `env` (validated as the posix path does). */
function childEnv(env: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv | undefined {
  if (env === undefined || Object.keys(env).length === 0) return undefined;
  for (const [name, value] of Object.entries(env)) {
    if (!isEnvName(name)) throw new UsageError(`Invalid environment variable name '${name}'`);
    if (value.includes('\0')) throw new UsageError(`Environment variable '${name}' contains a NUL byte`);
  }
  return { ...process.env, ...env };
}

/** Runs `script` in a local `/bin/sh` (KILLed when `signal` aborts): its exit code, null when aborted. */
function runWithSh(script: string, signal: AbortSignal): Promise<number | null> {
  return new Promise((resolve) => {
    const shell = spawn('/bin/sh', ['-c', script], { stdio: 'ignore', signal, killSignal: 'SIGKILL' });
    shell.once('error', () => resolve(null));
    shell.once('exit', (code) => resolve(code));
  });
}

/**
 * `mv -f staged dest` with `rename`, when that is what `mv` would do: into `dest` when it is a
 * directory (or a link to one), else onto `dest`, which must not exist or be a non-directory that a
 * file replaces. False (nothing moved) for every other case, left to `mv`.
 */
async function renameLikeMv(staged: string, dest: string, isDirectory: boolean): Promise<boolean> {
  const destInfo = await stat(dest).catch(() => undefined);
  const final = destInfo?.isDirectory() ? join(dest, basename(staged)) : dest;
  const existing = await lstat(final).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : undefined));
  if (existing === undefined) return false;
  if (existing !== null && (isDirectory || existing.isDirectory())) return false;
  try {
    await rename(staged, final);
    return true;
  } catch {
    return false;
  }
}

/** An fs error as the C library words it ("No such file or directory"), as `mkdir` would print it. */
function osMessage(error: NodeJS.ErrnoException): string {
  const text = /^[A-Z0-9]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
