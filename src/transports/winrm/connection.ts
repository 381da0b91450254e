/**
 * A {@link Connection} to a Windows target over WinRM. Every operation is one WinRS command in a
 * fresh cmd shell running the PowerShell bootstrap (`bootstrap.ts`): commands (through cmd.exe),
 * scripts and tasks (from a private temp dir), uploads and downloads. A timeout or cancel runs a
 * second command that kills the process tree (`taskkill /T`) and confirms it, then signals
 * terminate and deletes the shell.
 *
 * @example
 * ```ts
 * const conn = await new WinrmTransport().connect(target, { signal });
 * const r = await conn.run('ver', { signal });
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import type { Target } from '../../core/target.ts';
import { BoundedCapture, DEFAULT_MAX_OUTPUT_BYTES } from '../posix/capture.ts';
import type { Connection, RunBundleOptions, RunFileOptions, RunOptions, RunResult, TransferOptions } from '../transport.ts';
import { bootstrapCommandLine, frame, type FramedFile, type Header, type Program } from './bootstrap.ts';
import type { WsmanHttp } from './http.ts';
import type { Winrs } from './shell.ts';

/** The longest first stderr line read as the bootstrap's `RIVET_PID:<pid>:<dir>` line. */
const MAX_PID_LINE = 64 * 1024;

const SETUP_FAILURE_EXIT = 125;
const KILL_TIMEOUT_MS = 60_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What one bootstrap run needs beyond the header. */
interface BootstrapRun {
  header: Header;
  payload: Buffer[];
  stdin?: string | Buffer | undefined;
  options: Omit<RunOptions, 'env' | 'stdin'>;
  /** The temp dir to remove when a killed run could not. */
  tempDir?: string | undefined;
  /** Keep all of stdout (downloads, unpack): no max-output bound. */
  unboundedStdout?: boolean;
}

export class WinrmConnection implements Connection {
  readonly features: readonly string[] = ['powershell'];

  constructor(
    readonly target: Target,
    private readonly winrs: Winrs,
    private readonly http: WsmanHttp,
  ) {}

  async run(command: string, options: RunOptions): Promise<RunResult> {
    this.#noRunAs(options);
    return this.#bootstrap({
      header: { op: 'run', token: token(), cleanup: false, files: [], program: { kind: 'cmd', command }, env: this.#env(options.env) },
      payload: [],
      stdin: options.stdin,
      options,
    });
  }

  async runFile(options: RunFileOptions): Promise<RunResult> {
    this.#noRunAs(options);
    const name = basename(options.file.name.replaceAll('\\', '/'));
    if (name === '' || name === '.' || name === '..') throw new RivetError(ErrorKind.TaskFile, `Invalid file name '${options.file.name}'`, { target: this.target.name });
    return this.#bootstrap({
      header: {
        op: 'run',
        token: token(),
        tmpdir: options.tmpdir,
        cleanup: options.cleanup !== false,
        files: [{ path: name, size: options.file.content.length, mode: 0o700 }],
        program: this.#program(name, options),
        env: this.#env(options.env),
      },
      payload: [options.file.content],
      stdin: options.stdin,
      options,
    });
  }

  /** Two commands, as on POSIX targets: one unpacks the tree (and says where), one runs the entry. */
  async runBundle(options: RunBundleOptions): Promise<RunResult> {
    this.#noRunAs(options);
    const entry = options.entry.replace(/^\/+/, '');
    if (entry.length === 0 || entry.split('/').includes('..')) throw new RivetError(ErrorKind.TaskFile, `Invalid entry '${options.entry}'`, { target: this.target.name });
    const tree = await untar(options.archive);
    const unpack = await this.#bootstrap({
      header: { op: 'unpack', token: token(), tmpdir: options.tmpdir, files: tree.files, dirs: tree.dirs },
      payload: tree.contents,
      options: { signal: options.signal },
      unboundedStdout: true,
    });
    if (unpack.exitCode !== 0) throw new RivetError(ErrorKind.TaskFile, `Could not copy the task files to the target: ${unpack.stderr.toString().trim()}`, { issueCode: 'WRITE_ERROR', target: this.target.name });
    const dir = unpack.stdout.toString('utf8');
    const input = await options.input(dir);
    return this.#bootstrap({
      header: { op: 'run', token: token(), dir, cleanup: options.cleanup !== false, files: [], program: this.#program(entry, options), env: this.#env(input.env) },
      payload: [],
      stdin: input.stdin,
      options,
      tempDir: dir,
    });
  }

  /**
   * Bolt's upload semantics: the file or directory goes to a private temp dir under its own name,
   * then moves to the destination: onto an existing directory it lands inside, a missing parent
   * is an `MV_ERROR`. The bytes travel on stdin in Send chunks within MaxEnvelopeSize.
   */
  async upload(localPath: string, remotePath: string, options: TransferOptions): Promise<void> {
    this.#noRunAs(options);
    const info = await lstat(localPath).catch((error: NodeJS.ErrnoException) => {
      throw new RivetError(ErrorKind.TaskFile, `The source '${localPath}' cannot be read: ${error.code ?? error.message}`, { issueCode: 'WRITE_ERROR', target: this.target.name });
    });
    const name = basename(localPath);
    const tree = info.isDirectory() ? await readTree(localPath) : { files: [{ path: name, size: info.size, mode: info.mode & 0o7777 }], dirs: [], contents: [await readFile(localPath)] };
    const result = await this.#bootstrap({
      header: { op: 'put', token: token(), dest: remotePath, name, isDir: info.isDirectory(), files: tree.files, dirs: tree.dirs, tmpdir: options.tmpdir },
      payload: tree.contents,
      options: { signal: options.signal },
    });
    if (result.exitCode !== 0) {
      throw new RivetError(ErrorKind.TaskFile, `Upload to ${remotePath} failed: ${result.stderr.toString().trim() || `exit code ${result.exitCode}`}`, { issueCode: 'WRITE_ERROR', target: this.target.name });
    }
  }

  /** Copies a remote file or directory to `localPath` (replaced only once all of it arrived). */
  async download(remotePath: string, localPath: string, options: TransferOptions): Promise<void> {
    this.#noRunAs(options);
    const result = await this.#bootstrap({ header: { op: 'get', token: token(), path: remotePath }, payload: [], options: { signal: options.signal }, unboundedStdout: true });
    if (result.exitCode !== 0) {
      throw new RivetError(ErrorKind.TaskFile, `Download of ${remotePath} failed: ${result.stderr.toString().trim() || `exit code ${result.exitCode}`}`, { issueCode: 'COPY_ERROR', target: this.target.name });
    }
    await mkdir(dirname(localPath), { recursive: true });
    const staging = await mkdtemp(join(dirname(localPath), '.rivet-download-'));
    try {
      const root = join(staging, 'root');
      await writeFramedTree(result.stdout, root);
      await rm(localPath, { recursive: true, force: true });
      await rename(root, localPath);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  #program(name: string, options: { interpreter?: readonly string[] | undefined; args?: readonly string[] | undefined; splatParams?: boolean | undefined }): Program {
    if (options.splatParams) return { kind: 'splat', path: name };
    return { kind: 'file' as const, path: name, args: [...(options.args ?? [])], interpreter: options.interpreter ? [...options.interpreter] : undefined };
  }

  #env(env: Readonly<Record<string, string>> | undefined): Record<string, string> {
    for (const name of Object.keys(env ?? {})) {
      if (!ENV_NAME.test(name)) throw new RivetError(ErrorKind.Validation, `Invalid environment variable name '${name}'`, { target: this.target.name });
    }
    return { ...env };
  }

  #noRunAs(options: { runAs?: unknown }): void {
    if (options.runAs !== undefined) {
      throw new RivetError(ErrorKind.Validation, `run-as is not supported over WinRM (target ${this.target.name}); Bolt's WinRM transport has no run-as either`, { target: this.target.name });
    }
  }

  /** One bootstrap command: output captured and bounded, setup failures typed, kills confirmed. */
  async #bootstrap(run: BootstrapRun): Promise<RunResult> {
    const { options } = run;
    const started = performance.now();
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new BoundedCapture(run.unboundedStdout ? Number.MAX_SAFE_INTEGER : limit);
    const stderr = new BoundedCapture(limit);
    const merged = new BoundedCapture(limit);
    const controller = new AbortController();
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), controller.abort()), options.timeoutMs);
    const onAbort = (): void => controller.abort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    if (options.signal.aborted) controller.abort();

    let pid: number | undefined;
    let head = Buffer.alloc(0); // stderr until the PID line has been seen
    let killed: boolean | undefined;
    let remoteDir: string | undefined = run.tempDir;
    const onStderr = (chunk: Buffer): void => {
      if (pid === undefined) {
        head = Buffer.concat([head, chunk]);
        let nl = head.indexOf(0x0a);
        // The PID line is short: a first line past the bound is the command's own output, not it.
        if (nl < 0 && head.length <= MAX_PID_LINE) return;
        if (nl < 0) nl = head.length;
        const match = /^RIVET_PID:(\d+)(?::(.*?))?\r?$/.exec(head.subarray(0, nl).toString('utf8'));
        pid = match ? Number(match[1]) : -1;
        if (match?.[2]) remoteDir = match[2];
        chunk = match ? head.subarray(nl + 1) : head;
        if (chunk.length === 0) return;
      }
      stderr.push(chunk);
      merged.push(chunk);
      options.onOutput?.('stderr', chunk);
    };
    const { command, args } = bootstrapCommandLine();
    let exitCode: number | undefined;
    try {
      const stdin = Buffer.concat([frame(run.header, run.payload), typeof run.stdin === 'string' ? Buffer.from(run.stdin, 'utf8') : (run.stdin ?? Buffer.alloc(0))]);
      const result = await this.winrs.execute(command, args, {
        signal: controller.signal,
        stdin,
        consoleModeStdin: false,
        onOutput: (stream, chunk) => {
          if (stream === 'stderr') return onStderr(chunk);
          stdout.push(chunk);
          merged.push(chunk);
          options.onOutput?.('stdout', chunk);
        },
        receiveAfterAbort: () => pid === undefined,
        beforeTerminate: async () => {
          killed = await this.#kill(pid, remoteDir);
        },
      });
      exitCode = result.exitCode;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    }
    if (pid === undefined && head.length > 0) onStderr(Buffer.from('\n')); // no PID line at all: keep what came
    const errText = stderr.toBuffer().toString('utf8');
    const marker = new RegExp(`RIVET_${run.header.token}_ERROR:([A-Z_]+):(.*)`).exec(errText);
    if (exitCode === SETUP_FAILURE_EXIT && marker) {
      throw new RivetError(ErrorKind.TaskFile, marker[2]!.trim(), { issueCode: marker[1], target: this.target.name });
    }
    const aborted = exitCode === undefined;
    return {
      stdout: stdout.toBuffer(),
      stderr: stderr.toBuffer(),
      merged: merged.toBuffer(),
      exitCode: exitCode ?? null,
      signal: null,
      durationMs: Math.round(performance.now() - started),
      timedOut: aborted && timedOut,
      canceled: aborted && !timedOut,
      ...(stdout.dropped + stderr.dropped > 0 ? { droppedBytes: { stdout: stdout.dropped, stderr: stderr.dropped } } : {}),
      ...(aborted ? { killed: killed ?? false } : {}),
    };
  }

  /** A second command kills the bootstrap's process tree and confirms it is gone. */
  async #kill(pid: number | undefined, dir: string | undefined): Promise<boolean> {
    if (pid === undefined || pid <= 0) return false;
    const { command, args } = bootstrapCommandLine();
    try {
      const r = await this.winrs.execute(command, args, {
        signal: AbortSignal.timeout(KILL_TIMEOUT_MS),
        stdin: frame({ op: 'kill', token: token(), pid, dir }, []),
        consoleModeStdin: false,
      });
      return r.exitCode === 0;
    } catch {
      return false;
    }
  }
}

function token(): string {
  return randomBytes(8).toString('hex');
}

interface Tree {
  files: FramedFile[];
  dirs: string[];
  contents: Buffer[];
}

/** Files and directories under `root`, relative, '/'-separated (symlinks to files are followed). */
async function readTree(root: string): Promise<Tree> {
  const tree: Tree = { files: [], dirs: [], contents: [] };
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        tree.dirs.push(path);
        await walk(path);
      } else {
        const full = join(root, path);
        const info = await lstat(full);
        const content = await readFile(full);
        tree.files.push({ path, size: content.length, mode: info.mode & 0o7777 });
        tree.contents.push(content);
      }
    }
  };
  await walk('');
  return tree;
}

/** The entries of a tar archive (task bundles) as files and dirs. */
async function untar(archive: Buffer): Promise<Tree> {
  const tar = await import('tar');
  const tree: Tree = { files: [], dirs: [], contents: [] };
  const pending: Promise<void>[] = [];
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      const path = entry.path.replace(/^\.\//, '').replace(/\/$/, '');
      if (entry.type === 'Directory') {
        if (path !== '' && path !== '.') tree.dirs.push(path);
        entry.resume();
        return;
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile') return void entry.resume();
      const chunks: Buffer[] = [];
      const index = tree.files.push({ path, size: entry.size ?? 0, mode: entry.mode ?? 0o644 }) - 1;
      pending.push(
        new Promise<void>((resolve) => {
          entry.on('data', (c: Buffer) => chunks.push(c));
          entry.on('end', () => {
            tree.contents[index] = Buffer.concat(chunks);
            resolve();
          });
        }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(archive);
  });
  await Promise.all(pending);
  return tree;
}

/** Writes the framed stream of the `get` operation (JSON line, then bytes) under `root`. */
async function writeFramedTree(data: Buffer, root: string): Promise<void> {
  let offset = 0;
  let first = true;
  while (offset < data.length) {
    const nl = data.indexOf(0x0a, offset);
    if (nl < 0) throw new Error('truncated download stream');
    const entry = JSON.parse(data.subarray(offset, nl).toString('utf8')) as { path: string; type: 'file' | 'dir'; size: number };
    offset = nl + 1;
    if (entry.path.split('/').includes('..')) throw new Error(`unsafe path in download: ${entry.path}`);
    const path = entry.path === '' ? root : join(root, ...entry.path.split('/'));
    if (entry.type === 'dir') {
      await mkdir(path, { recursive: true });
    } else {
      if (!first || entry.path !== '') await mkdir(dirname(path), { recursive: true });
      else await mkdir(dirname(root), { recursive: true });
      await writeFile(path, data.subarray(offset, offset + entry.size));
      offset += entry.size;
    }
    first = false;
  }
}
