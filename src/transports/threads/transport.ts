/**
 * The SSH transport spread over worker threads (issue 13, "every core"): each connection lives in
 * one worker thread for its whole life, where ssh2's handshakes, crypto and the exec protocol run;
 * the main thread keeps a small proxy {@link Connection} per target. The runtime above does not
 * change: its one queue (the concurrency limit), its connection pool, results and events stay in
 * the main thread, and every unit of work still starts there, so the limit holds over all threads.
 *
 * - **Placement**: a new connection goes to the thread with the fewest connections (threads start
 *   on first use); every step on that connection runs in that thread.
 * - **Handshake pacing**: a connection's later handshake (the fresh SSH connection that replaces
 *   one whose sessions are all held) asks this thread for a turn in the `paceHandshake` given to
 *   `connect` (the pool's queues), holds it while the handshake runs, and gives it back; a thread
 *   that dies gives back its turns.
 * - **Cancel**: the AbortSignal of each call is forwarded; the worker aborts its own signal and the
 *   connection kills the remote processes as it does in one thread.
 * - **Output**: `onOutput` chunks come back as messages, bounded by a byte window (default 8 MiB
 *   per thread) past which the worker waits for the main thread.
 * - **A thread that dies** (crash, out of memory, {@link terminateThread}) fails its calls in flight
 *   at once (`rivet/connection-lost`, or a connect error while connecting), and later calls on its
 *   connections; the next new connection starts a fresh thread.
 *
 * @example
 * ```ts
 * const ssh = new ThreadedTransport({ threads: 4 });
 * const runtime = new Runtime({ inventory, projectDir, transports: { local: new LocalTransport(), ssh } });
 * // ... steps ...
 * await runtime.close();
 * await ssh.close(); // stops the threads
 * ```
 * @module
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import { safeName, type Target } from '../../core/target.ts';
import type { SshEnvironment } from '../ssh/environment.ts';
import type {
  BundleInput,
  ConnectOptions,
  Connection,
  HandshakePacer,
  RunBundleOptions,
  RunFileOptions,
  RunOptions,
  RunResult,
  Transport,
  TransferOptions,
} from '../transport.ts';
import {
  fromWireError,
  mapOptionBytes,
  packBytes,
  toBuffer,
  toWireError,
  toWireTarget,
  unpackRunResult,
  type CallMethod,
  type Connected,
  type FromWorker,
  type ToWorker,
} from './protocol.ts';
import type { WorkerInit } from './worker.ts';

/** Default byte window of live output in flight from one thread. */
export const DEFAULT_OUTPUT_WINDOW = 8 * 1024 * 1024;

export interface ThreadedTransportOptions {
  /** How many worker threads (at least 1). */
  threads: number;
  /** Where `~`, `$HOME`, `SSH_AUTH_SOCK` and the local user come from (tests inject these). */
  resolveEnv?: SshEnvironment | undefined;
  /** Live output bytes in flight per thread before the thread waits (default 8 MiB). */
  outputWindowBytes?: number | undefined;
}

interface Pending {
  target: Target;
  connecting: boolean;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onOutput?: ((stream: 'stdout' | 'stderr', chunk: Buffer) => void) | undefined;
  input?: ((installDir: string) => BundleInput | Promise<BundleInput>) | undefined;
}

/** One worker thread and what is in flight on it. */
class Thread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  readonly unacked: Int32Array;
  /** Connections placed here (open or opening). */
  connections = 0;
  /** Set once the thread is gone: why. */
  dead: string | undefined;
  /** The pool's handshake pacing of each connection placed here that has one. */
  readonly pacers = new Map<number, HandshakePacer>();
  /** Handshake turns asked by this thread: how to stop waiting for one, or to give it back. */
  readonly #turns = new Map<number, { stop: AbortController; giveBack: (() => void) | undefined }>();
  #exited: Promise<void>;

  constructor(
    readonly index: number,
    options: ThreadedTransportOptions,
    onGone: (thread: Thread) => void,
  ) {
    const shared = new SharedArrayBuffer(4);
    this.unacked = new Int32Array(shared);
    const init: WorkerInit = { resolveEnv: options.resolveEnv, unacked: shared, windowBytes: options.outputWindowBytes ?? DEFAULT_OUTPUT_WINDOW };
    const entry = workerEntry();
    this.worker = new Worker(entry.code, { eval: entry.eval, workerData: init, name: `rivet-ssh-${index}` });
    this.worker.unref();
    let error: Error | undefined;
    this.worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.worker.on('error', (e: Error) => (error = e));
    this.worker.on('messageerror', (e: Error) => (error = e));
    this.#exited = new Promise((resolve) => {
      this.worker.once('exit', (code: number) => {
        this.dead = error !== undefined ? `it failed: ${error.message}` : `it exited with code ${code}`;
        const pending = [...this.pending.values()];
        this.pending.clear();
        this.worker.unref();
        for (const p of pending) p.reject(threadGone(p.target, this, p.connecting));
        for (const turn of this.#turns.values()) this.#endTurn(turn);
        this.#turns.clear();
        this.pacers.clear();
        onGone(this);
        resolve();
      });
    });
  }

  /** Posts a request and settles with its `done` reply; the thread is kept referenced while anything is pending. */
  request(message: ToWorker & { id: number }, pending: Omit<Pending, 'resolve' | 'reject'>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.dead !== undefined) return Promise.reject(threadGone(pending.target, this, pending.connecting));
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { ...pending, resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      try {
        this.worker.postMessage(message, transfer);
      } catch (error) {
        this.#settled(message.id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  post(message: ToWorker): void {
    if (this.dead === undefined) this.worker.postMessage(message);
  }

  #settled(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    return p;
  }

  #onMessage(message: FromWorker): void {
    switch (message.t) {
      case 'done': {
        const p = this.#settled(message.id);
        if (message.ok) p?.resolve(message.value);
        else p?.reject(fromWireError(message.error));
        break;
      }
      case 'output': {
        try {
          this.pending.get(message.id)?.onOutput?.(message.stream, toBuffer(message.chunk));
        } finally {
          Atomics.sub(this.unacked, 0, message.chunk.byteLength);
          Atomics.notify(this.unacked, 0);
        }
        break;
      }
      case 'turn':
        this.#takeTurn(message.turn, message.conn);
        break;
      case 'turn-done': {
        const turn = this.#turns.get(message.turn);
        this.#turns.delete(message.turn);
        if (turn !== undefined) this.#endTurn(turn);
        break;
      }
      case 'input': {
        const p = this.pending.get(message.id);
        void (async () => {
          try {
            if (p?.input === undefined) throw new Error('no input for this call');
            const transfer: ArrayBuffer[] = [];
            const value = mapOptionBytes({ ...(await p.input(message.installDir)) } as Record<string, unknown>, (b) => packBytes(b, transfer)) as BundleInput;
            if (this.dead === undefined) this.worker.postMessage({ t: 'input-reply', id: message.id, ok: true, value } satisfies ToWorker, transfer);
          } catch (error) {
            this.post({ t: 'input-reply', id: message.id, ok: false, error: toWireError(error) });
          }
        })();
        break;
      }
    }
  }

  /**
   * Waits for a handshake turn in the connection's pacing (the pool's queues, in this thread) for
   * the worker: `turn-go` when it comes, and the turn is held until the worker's `turn-done`.
   */
  #takeTurn(id: number, conn: number): void {
    const turn = { stop: new AbortController(), giveBack: undefined as (() => void) | undefined };
    this.#turns.set(id, turn);
    const pace: HandshakePacer = this.pacers.get(conn) ?? ((handshake) => handshake());
    pace(
      () =>
        new Promise<void>((resolve) => {
          turn.giveBack = resolve;
          this.post({ t: 'turn-go', turn: id });
        }),
      turn.stop.signal,
    ).catch((error: unknown) => {
      this.#turns.delete(id);
      this.post({ t: 'turn-refused', turn: id, error: toWireError(error) });
    });
  }

  /** A turn the worker is done with: given back, or its wait stopped. */
  #endTurn(turn: { stop: AbortController; giveBack: (() => void) | undefined }): void {
    if (turn.giveBack !== undefined) turn.giveBack();
    else turn.stop.abort();
  }

  async terminate(): Promise<void> {
    if (this.dead === undefined) await this.worker.terminate();
    await this.#exited;
  }
}

/**
 * How to start the worker: `worker.js` next to this file (the build), or, when running from the
 * sources (vitest, `npx tsx`), `worker.ts` imported through tsx's `tsImport` (Node 20 applies no
 * `--import` loader to a worker's own entry).
 */
function workerEntry(): { code: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { code: new URL('./worker.js', import.meta.url), eval: false };
  const entry = new URL('./worker.ts', import.meta.url).href;
  // The ESM build of tsx's API (require.resolve finds its CommonJS twin).
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
  return { code, eval: true };
}

function threadGone(target: Target, thread: Thread, connecting: boolean): RivetError {
  const why = `the worker thread ${thread.index} holding its connection stopped (${thread.dead ?? 'stopped'})`;
  if (connecting) {
    return new RivetError(ErrorKind.Connect, `Failed to connect to ${safeName(target)}: ${why}`, { issueCode: 'CONNECT_ERROR', target: target.name, details: { thread: thread.index } });
  }
  return new RivetError(ErrorKind.ConnectionLost, `Lost the connection to ${safeName(target)}: ${why}; the outcome of the command is unknown`, {
    target: target.name,
    details: { thread: thread.index },
  });
}

export class ThreadedTransport implements Transport {
  readonly name = 'ssh' as const;
  readonly #options: ThreadedTransportOptions;
  readonly #threads: (Thread | undefined)[];
  #nextId = 1;
  #closed = false;

  constructor(options: ThreadedTransportOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RivetError(ErrorKind.Usage, `threads must be a whole number of at least 1, got ${String(options.threads)}`);
    }
    this.#options = options;
    this.#threads = Array.from({ length: options.threads }, () => undefined);
  }

  /** How many threads this transport spreads connections over. */
  get threads(): number {
    return this.#threads.length;
  }

  /** Connections (open or opening) per thread slot, for diagnostics and tests. */
  connectionsPerThread(): number[] {
    return this.#threads.map((t) => t?.connections ?? 0);
  }

  async connect(target: Target, options: ConnectOptions): Promise<Connection> {
    if (this.#closed) throw new RivetError(ErrorKind.Canceled, 'The SSH worker threads are closed', { target: target.name });
    const thread = this.#place();
    thread.connections++;
    const conn = this.#nextId++;
    if (options.paceHandshake !== undefined) thread.pacers.set(conn, options.paceHandshake);
    try {
      const connected = (await this.#call(thread, target, options.signal, true, (id, aborted) => ({
        t: 'connect',
        id,
        conn,
        target: toWireTarget(target),
        connectTimeoutMs: options.connectTimeoutMs,
        aborted,
        paced: options.paceHandshake !== undefined,
      }))) as Connected;
      return new ThreadedConnection(target, connected.features, {
        invoke: (method, leading, callOptions) => this.#invoke(thread, conn, target, method, leading, callOptions),
        close: () => this.#closeConnection(thread, conn, target),
        destroy: (closing) => {
          thread.pacers.delete(conn);
          thread.post({ t: 'destroy', conn });
          // A close in flight gives its slot back when the destroy settles it.
          if (!closing) thread.connections--;
        },
      });
    } catch (error) {
      thread.connections--;
      thread.pacers.delete(conn);
      throw error;
    }
  }

  /** The thread with the fewest connections; a slot without a (live) thread gets a new one. */
  #place(): Thread {
    let best = 0;
    for (let i = 1; i < this.#threads.length; i++) {
      if ((this.#threads[i]?.connections ?? 0) < (this.#threads[best]?.connections ?? 0)) best = i;
    }
    let thread = this.#threads[best];
    if (thread === undefined) {
      thread = new Thread(best, this.#options, (gone) => {
        if (this.#threads[gone.index] === gone) this.#threads[gone.index] = undefined;
      });
      this.#threads[best] = thread;
    }
    return thread;
  }

  /** One request with its signal forwarded as an `abort` message. */
  #call(
    thread: Thread,
    target: Target,
    signal: AbortSignal,
    connecting: boolean,
    message: (id: number, aborted: boolean) => ToWorker & { id: number },
    extra: { onOutput?: Pending['onOutput']; input?: Pending['input'] } = {},
    transfer: ArrayBuffer[] = [],
  ): Promise<unknown> {
    const id = this.#nextId++;
    const onAbort = (): void => thread.post({ t: 'abort', id });
    signal.addEventListener('abort', onAbort, { once: true });
    return thread.request(message(id, signal.aborted), { target, connecting, ...extra }, transfer).finally(() => signal.removeEventListener('abort', onAbort));
  }

  /** Runs one Connection method in the connection's thread. */
  #invoke(thread: Thread, conn: number, target: Target, method: CallMethod, leading: unknown[], options: RunOptions | TransferOptions | RunBundleOptions): Promise<unknown> {
    const { signal, onOutput, input, ...rest } = options as RunOptions & { input?: RunBundleOptions['input'] };
    const transfer: ArrayBuffer[] = [];
    const args = [...leading, mapOptionBytes(rest as Record<string, unknown>, (b) => packBytes(b, transfer))];
    return this.#call(thread, target, signal, false, (id, aborted) => ({ t: 'call', id, conn, method, args, stream: onOutput !== undefined, aborted }), { onOutput, input }, transfer);
  }

  /** Closes one connection in its thread. */
  async #closeConnection(thread: Thread, conn: number, target: Target): Promise<void> {
    try {
      await thread.request({ t: 'close', id: this.#nextId++, conn }, { target, connecting: false });
    } catch {
      // A thread that is gone took its connection with it.
    } finally {
      thread.connections--;
      thread.pacers.delete(conn);
    }
  }

  /**
   * Stops one thread at once, as a crash would (tests and diagnostics): its calls in flight fail,
   * its connections are gone.
   */
  async terminateThread(index: number): Promise<void> {
    await this.#threads[index]?.terminate();
  }

  /** Stops every thread (close the connections first: `runtime.close()`). Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.map((t) => t?.terminate()));
  }
}

/** What a proxy connection asks of its transport. */
interface Link {
  invoke(method: CallMethod, leading: unknown[], options: RunOptions | TransferOptions | RunBundleOptions): Promise<unknown>;
  close(): Promise<void>;
  /** Drops the connection in its thread at once; `closing`: a close was already asked for (it then settles). */
  destroy(closing: boolean): void;
}

/** The main thread's side of a connection that lives in a worker thread. */
class ThreadedConnection implements Connection {
  #closed: Promise<void> | undefined;
  #destroyed = false;

  constructor(
    readonly target: Target,
    readonly features: readonly string[],
    private readonly link: Link,
  ) {}

  async run(command: string, options: RunOptions): Promise<RunResult> {
    return unpackRunResult((await this.link.invoke('run', [command], options)) as RunResult);
  }

  async runFile(options: RunFileOptions): Promise<RunResult> {
    return unpackRunResult((await this.link.invoke('runFile', [], options)) as RunResult);
  }

  async runBundle(options: RunBundleOptions): Promise<RunResult> {
    return unpackRunResult((await this.link.invoke('runBundle', [], options)) as RunResult);
  }

  async upload(localPath: string, remotePath: string, options: TransferOptions): Promise<void> {
    await this.link.invoke('upload', [localPath, remotePath], options);
  }

  async download(remotePath: string, localPath: string, options: TransferOptions): Promise<void> {
    await this.link.invoke('download', [remotePath, localPath], options);
  }

  close(): Promise<void> {
    return (this.#closed ??= this.link.close());
  }

  /**
   * Drops the connection at once: its sockets in the worker thread are destroyed and a close in
   * flight settles (the pool calls this when a close outlasts its grace). A later close does nothing.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.link.destroy(this.#closed !== undefined);
    this.#closed ??= Promise.resolve();
  }
}
