/**
 * The entry of an SSH worker thread (see {@link ThreadedTransport}): it owns the ssh2 connections
 * of the targets the main thread gives it, and runs {@link Connection} methods on them as the main
 * thread asks. Everything else (inventory, queue, results, events) stays in the main thread.
 *
 * Live output flows back in `output` messages, bounded by a byte window shared with the main
 * thread: past it, this thread blocks (Atomics.wait) until the main thread has handled enough, so
 * its sockets stop being read and the servers are held back by TCP, as in one thread.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ErrorKind, RivetError } from '../../core/errors.ts';
import { safeName, type Target } from '../../core/target.ts';
import type { SshEnvironment } from '../ssh/environment.ts';
import { SshTransport } from '../ssh/transport.ts';
import type { BundleInput, Connection, HandshakePacer, RunBundleOptions, RunFileOptions, RunOptions, RunResult, TransferOptions } from '../transport.ts';
import {
  fromWireError,
  fromWireTarget,
  mapOptionBytes,
  packBytes,
  packRunResult,
  toBuffer,
  toWireError,
  type FromWorker,
  type ToWorker,
} from './protocol.ts';

/** What the main thread passes in `workerData`. */
export interface WorkerInit {
  resolveEnv: SshEnvironment | undefined;
  /** Int32Array[1] over a SharedArrayBuffer: output bytes posted and not yet handled by the main thread. */
  unacked: SharedArrayBuffer;
  /** Most output bytes in flight before this thread waits. */
  windowBytes: number;
}

const port = parentPort;
if (port === null) throw new Error('src/transports/threads/worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const unacked = new Int32Array(init.unacked);
const transport = new SshTransport(init.resolveEnv === undefined ? {} : { resolveEnv: init.resolveEnv });
const connections = new Map<number, Connection>();
const controllers = new Map<number, AbortController>();
/** Per connection with a close in flight: settles that close (a `destroy` calls it). */
const closing = new Map<number, () => void>();
const inputs = new Map<number, { resolve: (value: BundleInput) => void; reject: (error: Error) => void }>();
/** Handshake turns asked of the main thread's pool and not answered yet. */
const turns = new Map<number, { go: () => void; refuse: (error: Error) => void }>();
let nextTurn = 1;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** Blocks while the main thread has more than the window of output to handle. */
function waitForWindow(): void {
  for (;;) {
    const inFlight = Atomics.load(unacked, 0);
    if (inFlight <= init.windowBytes) return;
    Atomics.wait(unacked, 0, inFlight, 1000);
  }
}

function output(id: number, stream: 'stdout' | 'stderr', chunk: Buffer): void {
  const transfer: ArrayBuffer[] = [];
  Atomics.add(unacked, 0, chunk.byteLength);
  post({ t: 'output', id, stream, chunk: packBytes(chunk, transfer) }, transfer);
  waitForWindow();
}

async function settle(id: number, work: (signal: AbortSignal) => Promise<{ value: unknown; transfer?: ArrayBuffer[] }>, aborted = false): Promise<void> {
  const controller = new AbortController();
  if (aborted) controller.abort();
  controllers.set(id, controller);
  try {
    const { value, transfer } = await work(controller.signal);
    post({ t: 'done', id, ok: true, value }, transfer);
  } catch (error) {
    post({ t: 'done', id, ok: false, error: toWireError(error) });
  } finally {
    controllers.delete(id);
  }
}

/**
 * The main thread's handshake pacing for connection `conn`, over messages: `turn` asks for a
 * turn, `turn-go` or `turn-refused` answers, `turn-done` gives it back (after the handshake, or
 * when `signal` aborted first).
 */
function pacer(conn: number, target: Target): HandshakePacer {
  return async (handshake, signal) => {
    const turn = nextTurn++;
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        turns.delete(turn);
        post({ t: 'turn-done', turn });
        reject(new RivetError(ErrorKind.Canceled, `Canceled before it finished on ${safeName(target)}`, { target: target.name }));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const settled = (): void => {
        turns.delete(turn);
        signal.removeEventListener('abort', onAbort);
      };
      turns.set(turn, {
        go: () => {
          settled();
          resolve();
        },
        refuse: (error) => {
          settled();
          reject(error);
        },
      });
      post({ t: 'turn', turn, conn });
    });
    try {
      return await handshake();
    } finally {
      post({ t: 'turn-done', turn });
    }
  };
}

function connection(conn: number): Connection {
  const found = connections.get(conn);
  if (found === undefined) throw new Error(`worker thread: no connection ${conn}`);
  return found;
}

const result = (run: RunResult): { value: RunResult; transfer: ArrayBuffer[] } => {
  const transfer: ArrayBuffer[] = [];
  return { value: packRunResult(run, transfer), transfer };
};

async function call(message: Extract<ToWorker, { t: 'call' }>, signal: AbortSignal): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  const c = connection(message.conn);
  const onOutput = message.stream ? (stream: 'stdout' | 'stderr', chunk: Buffer) => output(message.id, stream, chunk) : undefined;
  const options = (index: number): Record<string, unknown> => ({ ...mapOptionBytes(message.args[index] as Record<string, unknown>, toBuffer), signal, onOutput });
  switch (message.method) {
    case 'run':
      return result(await c.run(message.args[0] as string, options(1) as unknown as RunOptions));
    case 'runFile':
      return result(await c.runFile(options(0) as unknown as RunFileOptions));
    case 'runBundle': {
      const input = (installDir: string): Promise<BundleInput> =>
        new Promise<BundleInput>((resolve, reject) => {
          inputs.set(message.id, { resolve, reject });
          post({ t: 'input', id: message.id, installDir });
        });
      return result(await c.runBundle({ ...(options(0) as unknown as RunBundleOptions), input }));
    }
    case 'upload':
      await c.upload(message.args[0] as string, message.args[1] as string, options(2) as unknown as TransferOptions);
      return { value: undefined };
    case 'download':
      await c.download(message.args[0] as string, message.args[1] as string, options(2) as unknown as TransferOptions);
      return { value: undefined };
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'connect':
      void settle(
        message.id,
        async (signal) => {
          const target = fromWireTarget(message.target);
          const paceHandshake = message.paced ? pacer(message.conn, target) : undefined;
          const c = await transport.connect(target, { signal, connectTimeoutMs: message.connectTimeoutMs, paceHandshake });
          connections.set(message.conn, c);
          return { value: { features: [...c.features] } };
        },
        message.aborted,
      );
      break;
    case 'call':
      void settle(message.id, (signal) => call(message, signal), message.aborted);
      break;
    case 'abort':
      controllers.get(message.id)?.abort();
      break;
    case 'close':
      void settle(message.id, async () => {
        const c = connections.get(message.conn);
        if (c === undefined) return { value: undefined };
        // Settled early by a `destroy` (the close itself may wait on a server that never answers).
        const destroyed = new Promise<void>((resolve) => closing.set(message.conn, resolve));
        try {
          await Promise.race([c.close(), destroyed]);
        } finally {
          closing.delete(message.conn);
          connections.delete(message.conn);
        }
        return { value: undefined };
      });
      break;
    case 'destroy': {
      const c = connections.get(message.conn);
      connections.delete(message.conn);
      c?.destroy?.();
      closing.get(message.conn)?.();
      break;
    }
    case 'turn-go':
      // Unknown: the wait was given up (`turn-done` is on its way to the main thread).
      turns.get(message.turn)?.go();
      break;
    case 'turn-refused':
      turns.get(message.turn)?.refuse(fromWireError(message.error));
      break;
    case 'input-reply': {
      const waiting = inputs.get(message.id);
      inputs.delete(message.id);
      if (message.ok) waiting?.resolve(mapOptionBytes(message.value as Record<string, unknown>, toBuffer) as BundleInput);
      else waiting?.reject(fromWireError(message.error));
      break;
    }
  }
});
