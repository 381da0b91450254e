/**
 * The one Transport interface. A {@link Transport} connects to a target and returns a
 * {@link Connection}; the runtime keeps one connection per target for the whole run and reuses it
 * for every step.
 *
 * A connection offers what every transport must: run a command (with stdin, env, run-as, timeout),
 * upload and download files or directories, close. Every operation takes an AbortSignal.
 *
 * POSIX transports (local, ssh) implement only three primitives (`spawn`, `putPath`, `getPath`)
 * by extending {@link PosixConnection} in `./posix/connection.ts`, which builds everything else on
 * them, identically for all of them.
 *
 * @example
 * ```ts
 * const conn = await transport.connect(target, { signal });
 * const res = await conn.run('uname -a', { signal, env: { LANG: 'C' } });
 * console.log(res.exitCode, res.stdout.toString());
 * await conn.close();
 * ```
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { RivetError } from '../core/errors.ts';
import type { Target, TransportName } from '../core/target.ts';

export interface ExitStatus {
  /** The exit code, or null when the process died of a signal or the exit was never reported. */
  code: number | null;
  signal: string | null;
  /**
   * Set when the exit was never reported because the connection was lost (kind
   * `rivet/connection-lost`): the command's outcome is unknown.
   */
  lost?: RivetError | undefined;
}

/** A process started on a target by {@link Connection.spawn}. */
export interface RemoteProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles when the process has exited (not when its streams close). Never rejects. */
  readonly exited: Promise<ExitStatus>;
  /** Best-effort: sends a signal to the process (ssh: a channel signal request). */
  kill(signal?: NodeJS.Signals): void;
  /**
   * The caller is done with the process (its exit and the output it wants are taken, or it gave
   * up): frees what the process holds on the connection. ssh: closes the channel, so the server
   * frees the session even when a process left running still holds its stdout/stderr.
   */
  release?(): void;
}

/** How to become another user for a step (`run-as`, X-02/X-03). */
export interface RunAs {
  user: string;
  /** The sudo password (falls back to the connection password). Sent on stdin only when asked. */
  password?: string | undefined;
  /** `run-as-command`: argv prefix; the user is appended. Default: sudo with Rivet's options. */
  command?: readonly string[] | undefined;
  /** `sudo-executable` (default `sudo`). */
  sudoExecutable?: string | undefined;
}

export interface OperationOptions {
  signal: AbortSignal;
}

export interface RunOptions extends OperationOptions {
  /** Environment variables for the command. Travel on stdin, never on a command line. */
  env?: Readonly<Record<string, string>> | undefined;
  /** Bytes for the command's stdin, which is then closed. */
  stdin?: string | Buffer | undefined;
  runAs?: RunAs | undefined;
  /**
   * Kill the remote process and its process group after this long (TERM, then KILL after a grace
   * period, through a second exec: see `posix/protocol.ts`).
   */
  timeoutMs?: number | undefined;
  /** Called with output as it arrives (for `--stream`), all of it, whatever `maxOutputBytes` says. */
  onOutput?: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
  /**
   * Most bytes kept of each of stdout, stderr and the merged output (`max-output`, default 10 MiB);
   * the rest is dropped and a marker line says how much.
   */
  maxOutputBytes?: number | undefined;
}

/** A file to run from a private temp dir on the target (scripts and tasks). */
export interface RunFileOptions extends RunOptions {
  /** The file's content and the name it gets in the temp dir. */
  file: { name: string; content: Buffer };
  args?: readonly string[] | undefined;
  /** argv prefix to run it with (`interpreters`); default: the file itself (shebang). */
  interpreter?: readonly string[] | undefined;
  /** Parent of the private temp dir (`tmpdir`, default /tmp). */
  tmpdir?: string | undefined;
  /** Remove the temp dir afterwards (`cleanup`, default true). */
  cleanup?: boolean | undefined;
  /**
   * input_method `powershell` (WinRM only): stdin is the JSON of the task's parameters, and those
   * the `.ps1` declares in `param()` are splatted into it.
   */
  splatParams?: boolean | undefined;
}

/**
 * A tree of files to unpack into a private temp dir, then one of them to run (tasks with `files`,
 * T-19): exactly two exec requests, one to unpack, one to run.
 */
export interface RunBundleOptions extends Omit<RunOptions, 'env' | 'stdin'> {
  /** A tar archive of the tree. */
  archive: Buffer;
  /** The path of the executable inside the tree (`<module>/tasks/<name>`). */
  entry: string;
  args?: readonly string[] | undefined;
  interpreter?: readonly string[] | undefined;
  tmpdir?: string | undefined;
  cleanup?: boolean | undefined;
  /** As {@link RunFileOptions.splatParams}. */
  splatParams?: boolean | undefined;
  /**
   * The env and stdin of the run, which may depend on where the tree was unpacked. May be async
   * (a connection in a worker thread asks the main thread for it).
   */
  input: (installDir: string) => BundleInput | Promise<BundleInput>;
}

/** What {@link RunBundleOptions.input} gives: the run's env and stdin. */
export interface BundleInput {
  env?: Readonly<Record<string, string>> | undefined;
  stdin?: string | Buffer | undefined;
}

/** The one result shape of a run, success or not. */
export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  /** stdout and stderr interleaved in arrival order. */
  merged: Buffer;
  /** null when killed by a signal, timed out or canceled. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
  /** Bytes of output dropped past `maxOutputBytes` (absent or 0 when all was kept). */
  droppedBytes?: { stdout: number; stderr: number } | undefined;
  /**
   * Set when the run timed out or was canceled: true only when Rivet confirmed that the process
   * and its whole process group are gone (and the temp dir removed); false when it could not.
   */
  killed?: boolean | undefined;
}

export interface TransferOptions extends OperationOptions {
  runAs?: RunAs | undefined;
  tmpdir?: string | undefined;
}

export interface Connection {
  readonly target: Target;
  /** Features this connection gives the target (`shell`, `powershell`), for task implementations. */
  readonly features: readonly string[];
  /** Runs a shell command line on the target. Non-zero exits are results, not errors. */
  run(command: string, options: RunOptions): Promise<RunResult>;
  /** Copies a file to a private temp dir and runs it there (with args, env, stdin, run-as). */
  runFile(options: RunFileOptions): Promise<RunResult>;
  /** Unpacks a tree of files into a private temp dir and runs one of them (two exec requests). */
  runBundle(options: RunBundleOptions): Promise<RunResult>;
  /** Copies a local file or directory (recursively) to `remotePath` on the target. */
  upload(localPath: string, remotePath: string, options: TransferOptions): Promise<void>;
  /** Copies a remote file or directory to `localPath` (which is replaced). */
  download(remotePath: string, localPath: string, options: TransferOptions): Promise<void>;
  /** Closes the connection politely (ssh: a disconnect the server acknowledges). Idempotent. */
  close(): Promise<void>;
  /**
   * Drops the connection at once without waiting for the other side (its sockets destroyed); a
   * pending {@link close} then settles. The pool calls it when a close has not finished after its
   * grace. Transports whose close never waits need not have it.
   */
  destroy?(): void;
}

export interface ConnectOptions extends OperationOptions {
  /** Overrides the target's `connect-timeout` (milliseconds). */
  connectTimeoutMs?: number | undefined;
  /**
   * Runs a later handshake of this connection under the same pacing as its first one (the pool's
   * bounds on handshakes in flight). ssh: the fresh connection that takes the place of one whose
   * sessions are all held by processes left running on the target. Without it, such a handshake
   * starts at once.
   */
  paceHandshake?: HandshakePacer | undefined;
}

/**
 * Runs `handshake` when its turn comes, and resolves with what it gives. Rejects (kind
 * `rivet/canceled`) when `signal` aborts before the turn came, or when the run has ended. The
 * connect timeout is the caller's: it starts inside `handshake`, so not while it waits.
 *
 * @example
 * ```ts
 * const open = (): Promise<Socket> => openConnection(signal);
 * const fresh = await (options.paceHandshake ? options.paceHandshake(open, signal) : open());
 * ```
 */
export type HandshakePacer = <T>(handshake: () => Promise<T>, signal: AbortSignal) => Promise<T>;

export interface Transport {
  readonly name: TransportName;
  /**
   * Opens a connection. Failures are RivetErrors of kind `puppetlabs.tasks/connect-error` with
   * issue code `CONNECT_ERROR`, `AUTH_ERROR` or `HOST_KEY_ERROR`.
   */
  connect(target: Target, options: ConnectOptions): Promise<Connection>;
}
