/**
 * The three primitives a POSIX transport implements. {@link PosixConnection} builds the whole
 * {@link Connection} (env, stdin, run-as via sudo, temp dirs, timeouts, uploads with run-as,
 * fallbacks) on top of them, the same way for every transport.
 *
 * @example
 * ```ts
 * class MyPrimitives implements PosixPrimitives { ... }
 * const connection = new PosixConnection(new MyPrimitives(target));
 * ```
 * @module
 */
import type { Target } from '../../core/target.ts';
import type { OperationOptions, RemoteProcess } from '../transport.ts';

export interface SpawnOptions extends OperationOptions {
  /**
   * All of the process's stdin, known when it starts: the transport sends it, then EOF, as part of
   * starting the process (ssh: right behind the exec request), and the caller writes nothing to
   * `stdin`. Without it, the caller writes stdin itself.
   */
  input?: Buffer | undefined;
}

export interface PosixPrimitives {
  readonly target: Target;
  /** The user the connection is logged in as (a `run-as` equal to it is ignored, T-41). */
  readonly loginUser: string | undefined;
  /**
   * True when `spawn`'s command line is run by the login user's shell (ssh: sshd runs the exec
   * request with `$SHELL -c`); false when Rivet starts `/bin/sh` itself (local, as Bolt's
   * `popen3`). Decides the shell a user's command runs in (see {@link PosixConnection}).
   */
  readonly execRunsLoginShell: boolean;
  /** Transport name for messages ("ssh", "local"). */
  readonly transportName: string;
  /**
   * Starts `command` (a command line for a POSIX shell) on the target. Resolves once the process
   * (ssh: the exec channel) is started. Aborting `signal` before then rejects. With `input`, that
   * is all of stdin (see {@link SpawnOptions.input}).
   */
  spawn(command: string, options: SpawnOptions): Promise<RemoteProcess>;
  /**
   * Copies a local file or directory (recursively) to `remotePath`, as the login user, creating or
   * replacing it. Throws {@link TransferUnavailableError} when the transport cannot (ssh: no SFTP
   * subsystem); the caller then streams the data through `spawn` instead.
   */
  putPath(localPath: string, remotePath: string, options: PutPathOptions): Promise<void>;
  /** Copies a remote file or directory to `localPath` (replacing it). Same fallback rule. */
  getPath(remotePath: string, localPath: string, options: OperationOptions): Promise<void>;
  /** Closes the connection; pending processes are killed. Idempotent. */
  close(): Promise<void>;
  /** Drops the connection at once (see `Connection.destroy`); a pending close then settles. */
  destroy?(): void;
}

/** Options of {@link PosixPrimitives.putPath}. */
export interface PutPathOptions extends OperationOptions {
  /**
   * `remotePath`'s parent is a new private temp dir (an upload's staging dir): create it, mode 700
   * as the exec protocol's temp dirs (`mkdir -m 700`), failing if it exists already.
   */
  privateParent?: boolean | undefined;
}

/** Thrown by putPath/getPath when the direct transfer channel is not available. */
export class TransferUnavailableError extends Error {
  override readonly name = 'TransferUnavailableError';
}
