/**
 * {@link PosixConnection}: the whole {@link Connection} for POSIX targets, built on a transport's
 * three primitives. Local and SSH differ only in how they spawn a process and copy files; env,
 * stdin, run-as via sudo, temp dirs, timeouts, cancellation and the no-SFTP fallback are here,
 * once.
 *
 * @example
 * ```ts
 * const conn = new PosixConnection(new LocalPrimitives(target));
 * const r = await conn.run('id -un', { signal, runAs: { user: 'app' } });
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { ErrorKind, RivetError, isRivetError } from '../../core/errors.ts';
import type { Target } from '../../core/target.ts';
import type {
  Connection,
  RemoteProcess,
  RunAs,
  RunBundleOptions,
  RunFileOptions,
  RunOptions,
  RunResult,
  TransferOptions,
} from '../transport.ts';
import { MarkerLine } from './marker-line.ts';
import { ExecProtocol, SETUP_FAILURE_EXIT, canInline, parsePgid, writeFileSnippet, type BodyShell, type ScriptParts } from './protocol.ts';
import { TransferUnavailableError, type PosixPrimitives } from './primitives.ts';
import { shellQuote } from '../../core/shell.ts';
import { DEFAULT_KILL_GRACE_MS, KILL_EXEC_MS, RunOutput, STREAM_DRAIN_MS, canceledResult, confirmGroupKill, delay, ended, invocationLine, onStopRequest } from './process-helpers.ts';

/** A script whose body is the user's work: its shell follows Bolt's rule (see {@link ExecProtocol}). */
type ExecParts = Omit<ScriptParts, 'shell'> & { shell?: BodyShell | 'user' };

interface ExecOptions extends RunOptions {
  /** Streamed stdin (used for uploads); takes the place of `stdin`. */
  stdinStream?: Readable | undefined;
  /** Where stdout goes instead of being collected (used for downloads). */
  stdoutSink?: Writable | undefined;
  /** The private temp dir the work uses: a kill removes it too. */
  tempDir?: string | undefined;
  /** False for the kill exec itself: stopping it sends channel signals only. */
  groupKill?: boolean | undefined;
}

export interface PosixConnectionOptions {
  killGraceMs?: number;
}

export class PosixConnection implements Connection {
  readonly features: readonly string[] = ['shell'];
  readonly #primitives: PosixPrimitives;
  readonly #killGraceMs: number;

  constructor(primitives: PosixPrimitives, options: PosixConnectionOptions = {}) {
    this.#primitives = primitives;
    this.#killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  get target(): Target {
    return this.#primitives.target;
  }

  /** The transport's primitives (for transport-specific tests and diagnostics). */
  get primitives(): PosixPrimitives {
    return this.#primitives;
  }

  run(command: string, options: RunOptions): Promise<RunResult> {
    return this.#exec({ body: command, shell: 'user' }, options);
  }

  async runFile(options: RunFileOptions): Promise<RunResult> {
    const name = basename(options.file.name);
    if (name === '' || name === '.' || name === '..') throw new RivetError(ErrorKind.TaskFile, `Invalid file name '${options.file.name}'`);
    const tmpdir = options.tmpdir ?? '/tmp';
    const dir = privateDirPath(tmpdir);
    const pathExpr = shellQuote(`${dir}/${name}`);
    const invocation = invocationLine(pathExpr, options);
    const teardown = options.cleanup === false ? undefined : CLEANUP_SNIPPET;
    const tempDir = options.cleanup === false ? undefined : dir;
    const makeDir = makeDirSnippet(tmpdir, dir);

    if (canInline(options.file.content)) {
      const setup = Buffer.concat([Buffer.from(`${makeDir}\n`), writeFileSnippet(pathExpr, options.file.content, '700')]);
      return this.#exec({ setup, body: invocation, teardown, shell: 'user' }, { ...options, tempDir });
    }
    // Too large (or binary with NUL bytes) to travel inside the script: a first exec makes the
    // directory and streams the file into it, the second runs it.
    const prepare = await this.#exec(
      {
        setup: `${makeDir}\ncat > ${pathExpr} || __rivet_fail WRITE_ERROR "Could not write the file"\nchmod 700 ${pathExpr} || __rivet_fail CHMOD_ERROR "Could not make the file executable"`,
        body: 'true',
      },
      { signal: options.signal, runAs: options.runAs, stdin: options.file.content, tempDir },
    );
    if (prepare.canceled || prepare.timedOut) return prepare;
    if (prepare.exitCode !== 0) {
      throw new RivetError(ErrorKind.TaskFile, `Could not copy ${name} to ${tmpdir}: ${prepare.stderr.toString().trim()}`, { issueCode: 'WRITE_ERROR', target: this.target.name });
    }
    return this.#secondExec({ setup: `__rivet_d=${shellQuote(dir)}`, body: invocation, teardown, shell: 'user' }, { ...options, tempDir });
  }

  async runBundle(options: RunBundleOptions): Promise<RunResult> {
    const entry = options.entry.split('/').filter((p) => p !== '' && p !== '.');
    if (entry.length === 0 || entry.includes('..')) throw new RivetError(ErrorKind.TaskFile, `Invalid entry '${options.entry}'`);
    const tmpdir = options.tmpdir ?? '/tmp';
    const dir = privateDirPath(tmpdir);
    const tempDir = options.cleanup === false ? undefined : dir;
    const unpack = await this.#exec(
      {
        setup: `${makeDirSnippet(tmpdir, dir)}\ntar -xf - -C "$__rivet_d" || { rm -rf "$__rivet_d"; __rivet_fail WRITE_ERROR "Could not unpack the task files into $__rivet_d"; }`,
        body: 'true',
      },
      { signal: options.signal, runAs: options.runAs, stdin: options.archive, tempDir },
    );
    if (unpack.canceled || unpack.timedOut) return unpack;
    if (unpack.exitCode !== 0) {
      throw new RivetError(ErrorKind.TaskFile, `Could not copy the task files to ${tmpdir}: ${unpack.stderr.toString().trim()}`, { issueCode: 'WRITE_ERROR', target: this.target.name });
    }
    const input = await options.input(dir);
    const pathExpr = shellQuote(`${dir}/${entry.join('/')}`);
    const invocation = invocationLine(pathExpr, options);
    const teardown = options.cleanup === false ? undefined : CLEANUP_SNIPPET;
    return this.#secondExec(
      { setup: `__rivet_d=${shellQuote(dir)}\nchmod u+x ${pathExpr} 2>/dev/null`, body: invocation, teardown, shell: 'user' },
      { ...options, env: input.env, stdin: input.stdin, tempDir },
    );
  }

  /**
   * The run that follows a first exec which filled the temp dir. Canceled in between, it does not
   * start, and the temp dir is removed (so a Ctrl-C during a task's upload leaves nothing behind).
   */
  async #secondExec(parts: ExecParts, options: ExecOptions): Promise<RunResult> {
    if (options.signal.aborted && options.tempDir !== undefined) {
      const signal = AbortSignal.timeout(KILL_EXEC_MS);
      await this.#exec({ body: `rm -rf -- ${shellQuote(options.tempDir)}`, shell: 'sh' }, { signal, runAs: options.runAs, groupKill: false }).catch(() => undefined);
    }
    return this.#exec(parts, options);
  }

  /**
   * Bolt's upload (`lib/bolt/shell/bash.rb` `upload`): the file or directory goes to a private
   * temp dir under its own name, then `mv -f <temp>/<name> <destination>`. So, as with `mv`, a
   * file or directory uploaded onto an existing directory lands inside it
   * (`<destination>/<name>`), a file replaces a file, and a missing parent is an `MV_ERROR`, not
   * created. Without run-as the bytes go over the direct channel (SFTP, fs) and one exec moves
   * them; with run-as (or no SFTP) one exec receives them on stdin and moves them.
   */
  async upload(localPath: string, remotePath: string, options: TransferOptions): Promise<void> {
    const info = await stat(localPath).catch((error: NodeJS.ErrnoException) => {
      throw new RivetError(ErrorKind.TaskFile, `The source '${localPath}' cannot be read: ${error.code ?? error.message}`, { issueCode: 'WRITE_ERROR' });
    });
    const name = basename(localPath);
    const tmpdir = options.tmpdir ?? '/tmp';
    const dir = privateDirPath(tmpdir);
    const staged = `${dir}/${name}`;
    const move =
      `__rivet_e=$(mv -f -- ${shellQuote(staged)} ${shellQuote(remotePath)} 2>&1) || ` +
      `{ rm -rf -- "$__rivet_d"; __rivet_fail MV_ERROR ${shellQuote(`Could not move temporary file '${staged}' to ${remotePath}: `)}"$(printf '%s' "$__rivet_e" | tr '\n' ' ')"; }\n` +
      'rm -rf -- "$__rivet_d"';
    const sent = await this.#tryDirect('upload', remotePath, options, () => this.#primitives.putPath(localPath, staged, { ...options, privateParent: true })).catch(async (error: unknown) => {
      // A copy that failed halfway leaves part of the temp dir on the target: remove it (best effort).
      await this.#exec({ body: `rm -rf -- ${shellQuote(dir)}` }, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      throw error;
    });
    const result = sent
      ? await this.#exec({ setup: `__rivet_d=${shellQuote(dir)}\n${move}`, body: 'true' }, { signal: options.signal })
      : await this.#receiveAndMove({ localPath, isDirectory: info.isDirectory(), mode: info.mode, tmpdir, dir, staged, move }, options);
    if (result.exitCode !== 0) {
      throw this.#stoppedTransfer(`upload to ${remotePath}`, result, options.signal) ??
        new RivetError(ErrorKind.TaskFile, `Upload to ${remotePath} failed: ${result.stderr.toString().trim() || `exit code ${result.exitCode}`}`, { issueCode: 'WRITE_ERROR', target: this.target.name });
    }
  }

  /** One exec that makes the private temp dir, receives the file or tar on stdin and moves it. */
  async #receiveAndMove(
    { localPath, isDirectory, mode, tmpdir, dir, staged, move }: { localPath: string; isDirectory: boolean; mode: number; tmpdir: string; dir: string; staged: string; move: string },
    options: TransferOptions,
  ): Promise<RunResult> {
    const receive = isDirectory
      ? `mkdir -- ${shellQuote(staged)} && tar -xf - -C ${shellQuote(staged)}`
      : `cat > ${shellQuote(staged)} && chmod ${(mode & 0o7777).toString(8)} ${shellQuote(staged)}`;
    const stdinStream = isDirectory
      ? Readable.from((await loadTar()).c({ cwd: localPath, portable: true }, ['.']) as unknown as AsyncIterable<Buffer>)
      : createReadStream(localPath);
    return this.#exec(
      {
        setup: `${makeDirSnippet(tmpdir, dir)}\n__rivet_e=$(${receive} 2>&1) || { rm -rf -- "$__rivet_d"; __rivet_fail WRITE_ERROR "Could not write ${staged.replaceAll('"', '')}: $__rivet_e"; }\n${move}`,
        body: 'true',
      },
      // tempDir: a timeout or cancel kills the receiver and removes the partial copy with it.
      { signal: options.signal, runAs: options.runAs, stdinStream, tempDir: dir },
    );
  }

  /**
   * Copies into a staging dir next to `localPath`, then renames it into place: a download that
   * fails, times out or is canceled part-way leaves no partial file at `localPath` (and an
   * earlier download there untouched).
   */
  async download(remotePath: string, localPath: string, options: TransferOptions): Promise<void> {
    const staging = await mkdtemp(join(dirname(localPath), '.rivet-download-'));
    try {
      const direct = join(staging, 'direct');
      if (await this.#tryDirect('download', remotePath, options, () => this.#primitives.getPath(remotePath, direct, options))) {
        await rm(localPath, { recursive: true, force: true });
        await rename(direct, localPath);
        return;
      }
      const unpack = (await loadTar()).x({ cwd: staging });
      // tar's streams are minipass streams: subscribe before any data flows, or 'close' is missed.
      const extracted = new Promise<void>((resolveExtract, rejectExtract) => {
        unpack.on('close', () => resolveExtract());
        unpack.on('error', rejectExtract);
      });
      extracted.catch(() => {}); // Awaited below; a failed remote tar throws first.

      const body = `cd -- "$(dirname -- ${shellQuote(remotePath)})" && tar -cf - -- "$(basename -- ${shellQuote(remotePath)})"`;
      const result = await this.#exec({ body }, { signal: options.signal, runAs: options.runAs, stdoutSink: unpack as unknown as Writable });
      if (result.exitCode !== 0) {
        throw this.#stoppedTransfer(`download of ${remotePath}`, result, options.signal) ??
          new RivetError(ErrorKind.TaskFile, `Download of ${remotePath} failed: ${result.stderr.toString().trim() || `exit code ${result.exitCode}`}`, { issueCode: 'COPY_ERROR', target: this.target.name });
      }
      await extracted;
      await rm(localPath, { recursive: true, force: true });
      await rename(join(staging, basename(remotePath)), localPath);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * The error of an exec transfer stopped by its signal (kind `rivet/canceled`, issue code
   * `CANCELED`, as the direct channel's), or undefined when it was not stopped. The runtime turns
   * it into `rivet/timeout` when the step's timeout was what aborted the signal.
   */
  #stoppedTransfer(what: string, result: RunResult, signal: AbortSignal): RivetError | undefined {
    if (!result.canceled && !result.timedOut && !signal.aborted) return undefined;
    const target = this.target.name;
    return new RivetError(ErrorKind.Canceled, `${this.#primitives.transportName} ${target}: ${what} canceled`, {
      target,
      issueCode: 'CANCELED',
      details: { killed: result.killed === true },
    });
  }

  close(): Promise<void> {
    return this.#primitives.close();
  }

  destroy(): void {
    this.#primitives.destroy?.();
  }

  /** Run-as equal to the login user is ignored (T-41); the password falls back to the target's. */
  #effectiveRunAs(runAs: RunAs | undefined): RunAs | undefined {
    if (runAs === undefined || runAs.user === '' || runAs.user === this.#primitives.loginUser) return undefined;
    return { ...runAs, password: runAs.password ?? this.target.password };
  }

  /**
   * Without run-as, transfers go over the transport's direct channel (SFTP, fs). True when done;
   * false when it is not available (or run-as is asked for) and the data must stream through exec.
   */
  async #tryDirect(verb: 'upload' | 'download', path: string, options: TransferOptions, direct: () => Promise<void>): Promise<boolean> {
    if (this.#effectiveRunAs(options.runAs) !== undefined) return false;
    try {
      await direct();
      return true;
    } catch (error) {
      if (error instanceof TransferUnavailableError) return false;
      throw this.#transferError(error, verb, path);
    }
  }

  #transferError(error: unknown, verb: string, path: string): RivetError {
    if (isRivetError(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new RivetError(ErrorKind.TaskFile, `Could not ${verb} ${path}: ${message}`, {
      issueCode: verb === 'upload' ? 'WRITE_ERROR' : 'COPY_ERROR',
      target: this.target.name,
      cause: error,
    });
  }

  /**
   * Bolt's shell for the user's work (`lib/bolt/shell/bash.rb` `execute`): the login shell when the
   * transport hands the command straight to its exec request (ssh) and Bolt adds no wrapper; `sh`
   * when Bolt wraps it in `sudo ... sh -c` (run-as) or `/usr/bin/env ... sh -c` (env vars).
   */
  #userShell(runAs: RunAs | undefined, env: RunOptions['env']): BodyShell {
    if (!this.#primitives.execRunsLoginShell) return 'sh';
    return runAs !== undefined || Object.keys(env ?? {}).length > 0 ? 'sh' : 'login';
  }

  async #exec(parts: ExecParts, options: ExecOptions): Promise<RunResult> {
    const started = performance.now();
    const runAs = this.#effectiveRunAs(options.runAs);
    const protocol = new ExecProtocol();
    const shell = parts.shell === 'user' ? this.#userShell(runAs, options.env) : parts.shell;
    const script: ScriptParts = { ...parts, shell, env: options.env, cdHome: runAs !== undefined };
    // A script without data (a command: no env, no stdin, no run-as) travels on the exec request
    // itself, with stdin closed at once. Without run-as or streamed stdin, all of stdin (the
    // script, then the command's stdin) is known now and the transport sends it with the start of
    // the process (ssh: behind the exec request). Either way a step on an open connection is 2
    // round trips. With run-as, the script waits for sudo's go-ahead.
    const carried = runAs === undefined && !options.stdinStream && (options.stdin === undefined || options.stdin.length === 0) && ExecProtocol.canCarry(script);
    const header = carried ? undefined : protocol.header(script);
    const input = carried ? EMPTY : runAs === undefined && !options.stdinStream ? withStdin(header!, options.stdin) : undefined;
    if (options.signal.aborted) return canceledResult(started);
    const proc = await this.#primitives.spawn(carried ? protocol.inlineCommandLine(script) : protocol.commandLine(runAs), { signal: options.signal, input });
    return new Promise<RunResult>((resolve, reject) => {
      const output = new RunOutput(options.maxOutputBytes);
      let ready = runAs === undefined;
      /** Stderr before the ready marker (sudo's prompts and messages), as bytes: the rest after the marker passes on unchanged. */
      let preReady = Buffer.alloc(0);
      let promptsSeen = 0;
      let passwordSent = false;
      let timedOut = false;
      let canceled = false;
      /** Set once stopping started: resolves true when the kill was confirmed. */
      let confirmation: Promise<boolean> | undefined;
      const timers: NodeJS.Timeout[] = [];

      proc.stdin.on('error', () => {
        // The command may exit without reading its stdin (T-24): not an error.
      });
      const writeInput = (): void => {
        if (input !== undefined) return; // sent by spawn
        if (header === undefined) return void proc.stdin.end();
        proc.stdin.write(header);
        if (options.stdinStream) {
          options.stdinStream.on('error', (error) => {
            proc.stdin.destroy(error);
            terminate();
          });
          options.stdinStream.pipe(proc.stdin);
        } else {
          proc.stdin.end(options.stdin);
        }
      };

      proc.stdout.on('data', (chunk: Buffer) => {
        if (options.stdoutSink) {
          if (!options.stdoutSink.write(chunk)) {
            proc.stdout.pause();
            options.stdoutSink.once('drain', () => proc.stdout.resume());
          }
          return;
        }
        output.push('stdout', chunk);
        options.onOutput?.('stdout', chunk);
      });

      const takeStderr = (chunk: Buffer): void => {
        output.push('stderr', chunk);
        if (options.onOutput && !chunk.includes(protocol.failPrefix)) options.onOutput('stderr', chunk);
      };
      const pgidLine = new MarkerLine(protocol.pgidPrefix);
      const onStderr = (chunk: Buffer): void => {
        if (ready) return takeStderr(chunk);
        preReady = Buffer.concat([preReady, chunk]);
        const markerAt = preReady.indexOf(`${protocol.readyMarker}\n`);
        if (markerAt >= 0) {
          ready = true;
          const rest = preReady.subarray(markerAt + Buffer.byteLength(protocol.readyMarker) + 1);
          if (rest.length > 0) takeStderr(rest);
          // Stopped while sudo was still asking: the work never starts (the bootstrap reads EOF).
          if (confirmation) proc.stdin.end();
          else writeInput();
          return;
        }
        const prompts = preReady.toString('utf8').split(protocol.prompt).length - 1;
        if (prompts > promptsSeen) {
          promptsSeen = prompts;
          if (runAs?.password !== undefined && !passwordSent) {
            passwordSent = true;
            proc.stdin.write(`${runAs.password}\n`);
          } else {
            // No password, or sudo asks again because it was wrong: let sudo fail now.
            proc.stdin.end();
          }
        }
      };
      let pgidReported!: (pgid: number | undefined) => void;
      const pgid = new Promise<number | undefined>((resolvePgid) => (pgidReported = resolvePgid));
      void proc.exited.then(() => pgidReported(undefined));
      proc.stderr.on('data', (chunk: Buffer) => {
        const passed = pgidLine.push(chunk);
        if (pgidLine.value !== undefined) pgidReported(parsePgid(pgidLine.value));
        if (passed.length > 0) onStderr(passed);
      });

      // Stopping (timeout, cancel): a channel signal where the server honours it, and a kill exec
      // on the process group, which also works where it does not (root logins on OpenSSH).
      let stopRequested!: () => void;
      const stopping = new Promise<void>((resolveStop) => (stopRequested = resolveStop));
      let exited = false;
      void proc.exited.then(() => (exited = true));
      const terminate = (): void => {
        if (confirmation || exited) return;
        proc.kill('SIGTERM');
        timers.push(setTimeout(() => proc.kill('SIGKILL'), this.#killGraceMs));
        confirmation = options.groupKill === false ? exitedWithin(proc, this.#killGraceMs * 2) : this.#killGroup(proc, pgid, runAs, options.tempDir);
        stopRequested();
      };
      const release = onStopRequest(options.signal, options.timeoutMs, (reason) => {
        if (exited) return;
        if (reason === 'canceled') canceled = true;
        else timedOut = true;
        terminate();
      });
      if (ready) writeInput();

      void (async () => {
        try {
          const status = await Promise.race([
            proc.exited,
            stopping.then(async () => {
              await confirmation;
              return Promise.race([proc.exited, delay(STREAM_DRAIN_MS).then(() => null)]);
            }),
          ]);
          const killed = confirmation === undefined ? undefined : await confirmation;
          await Promise.race([Promise.all([ended(proc.stdout), ended(proc.stderr)]), delay(STREAM_DRAIN_MS)]);
          const rest = pgidLine.flush();
          if (rest.length > 0) onStderr(rest);
          if (status?.lost && !timedOut && !canceled) return reject(status.lost);
          const result: RunResult = {
            ...output.result(),
            exitCode: status?.code ?? null,
            signal: status?.signal ?? null,
            durationMs: performance.now() - started,
            timedOut,
            canceled,
            ...(killed === undefined ? {} : { killed }),
          };
          if (!ready && !timedOut && !canceled) return reject(escalationError(preReady.toString('utf8'), protocol.prompt, runAs, this.target.name, passwordSent));
          if (result.exitCode === SETUP_FAILURE_EXIT) {
            const failure = setupFailure(result.stderr.toString('utf8'), protocol.failPrefix, this.target.name);
            if (failure) return reject(failure);
          }
          resolve(result);
        } catch (error) {
          reject(error);
        } finally {
          release();
          for (const timer of timers) clearTimeout(timer);
          if (options.stdoutSink) options.stdoutSink.end();
          // Done with the process: ssh closes its channel, which frees the server's session even
          // when a process left running (a setsid daemon, a background job) still holds the output.
          proc.release?.();
        }
      })();
    });
  }

  /**
   * Kills process group `pgid` (the exec's bootstrap reported it) through a second exec on this
   * connection, as the same user (run-as included): TERM, then KILL after the grace period, then
   * removes `tempDir`. Resolves true only when that exec confirmed the group is gone. A group id
   * not reported yet (a slow login shell, sudo) is waited for, as the work starts after it; without
   * one (the process ended first, or the target has neither /proc nor `ps`), true when the
   * process ended.
   */
  async #killGroup(proc: RemoteProcess, reported: Promise<number | undefined>, runAs: RunAs | undefined, tempDir: string | undefined): Promise<boolean> {
    const pgid = await Promise.race([reported, delay(KILL_EXEC_MS).then(() => undefined)]);
    if (pgid === undefined) return exitedWithin(proc, this.#killGraceMs * 2);
    return confirmGroupKill(pgid, this.#killGraceMs, tempDir, async (script, signal) => (await this.#exec({ body: script, shell: 'sh' }, { signal, runAs, groupKill: false })).exitCode);
  }
}

/** True when the process exits within `ms`. */
async function exitedWithin(proc: RemoteProcess, ms: number): Promise<boolean> {
  return Promise.race([proc.exited.then(() => true), delay(ms).then(() => false)]);
}

const CLEANUP_SNIPPET = 'if [ -n "${__rivet_d:-}" ]; then rm -rf "$__rivet_d"; fi';

/** A fresh private temp dir path under `tmpdir` (random, so `mkdir` fails rather than reuse one). */
function privateDirPath(tmpdir: string): string {
  return `${tmpdir.replace(/\/+$/, '')}/rivet.${randomBytes(8).toString('hex')}`;
}

/** Shell code making the private temp dir `dir` (mode 700) as `$__rivet_d`, or failing with TMPDIR_ERROR. */
function makeDirSnippet(tmpdir: string, dir: string): string {
  return (
    `__rivet_d=${shellQuote(dir)}; __rivet_e=$(mkdir -m 700 -- "$__rivet_d" 2>&1) || ` +
    `{ __rivet_d=; __rivet_fail TMPDIR_ERROR "Could not create a temporary directory in ${tmpdir.replaceAll('"', '')}: $__rivet_e"; }`
  );
}

const EMPTY = Buffer.alloc(0);

/** The script's header followed by the command's own stdin. */
function withStdin(header: Buffer, stdin: string | Buffer | undefined): Buffer {
  if (stdin === undefined || stdin.length === 0) return header;
  return Buffer.concat([header, typeof stdin === 'string' ? Buffer.from(stdin) : stdin]);
}

/** Bolt's escalation errors (X-03): NO_PASSWORD, BAD_PASSWORD, SUDO_DENIED. */
function escalationError(stderr: string, prompt: string, runAs: RunAs | undefined, target: string, passwordSent: boolean): RivetError {
  const text = stderr.split(prompt).join('').trim();
  const user = runAs?.user ?? '?';
  const details = { user, stderr: text };
  if (/not in the sudoers|not allowed to (execute|run)|may not run sudo/i.test(text)) {
    return new RivetError(ErrorKind.Escalate, `Sudo denied: the login user may not run commands as '${user}' on ${target}: ${text}`, { issueCode: 'SUDO_DENIED', target, details });
  }
  if (passwordSent && /incorrect password|try again/i.test(text)) {
    return new RivetError(ErrorKind.Escalate, `Sudo password for running as '${user}' on ${target} was not accepted`, { issueCode: 'BAD_PASSWORD', target, details });
  }
  if (/password is required|no password was provided|incorrect password/i.test(text) || !passwordSent) {
    if (/password/i.test(text) || text === '') {
      return new RivetError(ErrorKind.Escalate, `Sudo needs a password to run as '${user}' on ${target}: set sudo-password (or --sudo-password-prompt)`, { issueCode: 'NO_PASSWORD', target, details });
    }
  }
  return new RivetError(ErrorKind.Escalate, `Could not run as '${user}' on ${target}: ${text || 'the run-as command exited before starting'}`, { issueCode: 'SUDO_DENIED', target, details });
}

function setupFailure(stderr: string, prefix: string, target: string): RivetError | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith(prefix));
  if (line === undefined) return undefined;
  const rest = line.slice(prefix.length);
  const colon = rest.indexOf(':');
  const issueCode = rest.slice(0, colon);
  return new RivetError(ErrorKind.TaskFile, rest.slice(colon + 1), { issueCode, target });
}

export type { RemoteProcess };

/** tar is needed for directory transfers only: loaded on first use, not at start-up. */
function loadTar(): Promise<typeof import('tar')> {
  return import('tar');
}
