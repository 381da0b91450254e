/**
 * The `local` transport: runs on the machine Rivet runs on, as child processes (X-12). Work as the
 * current user takes {@link LocalConnection}'s direct path (one process per command, files and
 * temp dirs with `fs`); run-as goes through the same {@link PosixConnection} as SSH, so env,
 * stdin, run-as and temp dirs behave the same; no command is ever assembled from data (no shell
 * injection).
 *
 * @example
 * ```ts
 * const conn = await new LocalTransport().connect(localhost, { signal });
 * ```
 * @module
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import { RivetError, ErrorKind } from '../../core/errors.ts';
import type { Target } from '../../core/target.ts';
import type { ConnectOptions, Connection, ExitStatus, OperationOptions, RemoteProcess, Transport } from '../transport.ts';
import type { PosixConnection } from '../posix/connection.ts';
import { LocalConnection } from './connection.ts';
import { canceledCopy, copyPath } from './copy.ts';
import { loadPosixConnection } from './lazy.ts';
import type { PosixPrimitives, PutPathOptions, SpawnOptions } from '../posix/primitives.ts';

export class LocalPrimitives implements PosixPrimitives {
  readonly transportName = 'local';
  readonly execRunsLoginShell = false;
  readonly loginUser: string | undefined = safeUserName();
  readonly #children = new Set<RemoteProcess>();
  #closed = false;

  constructor(readonly target: Target) {}

  async spawn(command: string, options: SpawnOptions): Promise<RemoteProcess> {
    if (this.#closed) throw new RivetError(ErrorKind.Connect, `The local connection for ${this.target.name} is closed`, { issueCode: 'CONNECT_ERROR', target: this.target.name });
    if (options.signal.aborted) throw new RivetError(ErrorKind.Canceled, 'Canceled', { target: this.target.name });
    // Own process group (detached), so a kill reaches everything the command started.
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: 127, signal: null }));
    });
    const proc: RemoteProcess = {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      kill: (signal = 'SIGTERM') => {
        if (child.pid === undefined || child.exitCode !== null) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          child.kill(signal);
        }
      },
    };
    this.#children.add(proc);
    void exited.then(() => this.#children.delete(proc));
    if (options.input !== undefined) {
      child.stdin.on('error', () => {}); // The command may exit without reading its stdin (T-24).
      child.stdin.end(options.input);
    }
    return proc;
  }

  async putPath(localPath: string, remotePath: string, options: PutPathOptions): Promise<void> {
    if (options.privateParent) {
      // A new private staging dir, as the exec protocol's `mkdir -m 700` (the umask applies: set it exactly).
      await mkdir(dirname(remotePath), { mode: 0o700 });
      await chmod(dirname(remotePath), 0o700);
    }
    await rm(remotePath, { recursive: true, force: true });
    // verbatimSymlinks: a link is copied as the same link (not made absolute, never followed).
    await copyPath(localPath, remotePath, options.signal, { verbatimSymlinks: true }).catch((error: unknown) => {
      throw options.signal.aborted ? canceledCopy(this.target.name, `upload ${localPath} to ${remotePath}`) : error;
    });
  }

  async getPath(remotePath: string, localPath: string, options: OperationOptions): Promise<void> {
    await rm(localPath, { recursive: true, force: true });
    await copyPath(remotePath, localPath, options.signal).catch((error: unknown) => {
      throw options.signal.aborted ? canceledCopy(this.target.name, `download ${remotePath} to ${localPath}`) : error;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const child of this.#children) child.kill('SIGTERM');
  }
}

export class LocalTransport implements Transport {
  readonly name = 'local' as const;

  async connect(target: Target, _options: ConnectOptions): Promise<Connection> {
    const primitives = new LocalPrimitives(target);
    const posix = async (): Promise<PosixConnection> => new (await loadPosixConnection()).PosixConnection(primitives);
    return new LocalConnection(primitives, posix);
  }
}

function safeUserName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
