/**
 * Live output of durable workers: the stdout and stderr a target prints while a `rivet worker`
 * runs it reach the run's controller as `target_output` events, through Postgres LISTEN/NOTIFY on
 * a channel per run ({@link outputChannel}). Nothing is stored: a notification no controller
 * listens to is gone once sent, and a controller that is not running (or resumed later) misses
 * it; results stay durable as before.
 *
 * Bounds, so a flood of output on many targets cannot fill memory, Postgres or the controller:
 * - per target, stream and step, a worker forwards at most {@link LIVE_OUTPUT_MAX_BYTES}; past it
 *   the rest is counted and a marker line says how much was not forwarded;
 * - chunks are coalesced per target and stream for {@link COALESCE_MS} (or until a notification
 *   is full), and cut into notifications of at most {@link PAYLOAD_MAX} bytes (Postgres' limit is
 *   8000);
 * - the worker queues at most {@link SEND_BACKLOG_MAX} bytes for Postgres: past it (Postgres slow
 *   or gone) output is dropped and counted in the marker, never waited for: the target runs on
 *   (what was queued when the connection fails is dropped uncounted).
 *
 * @example
 * ```ts
 * // worker
 * const out = new OutputBatch(notifier, runId, batchId, 'worker-a');
 * runtime.runCommand('make', targets, { stream: true, onOutput: out.sink });
 * // controller
 * const stop = await listener.subscribe(runId, batchId, (key, stream, text) => emit(key, stream, text));
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import pg from 'pg';
import { safeName, type Target } from '../../core/target.ts';
import { splitCharBytes } from '../../core/utf8.ts';
import { redactUrl } from './database-errors.ts';

/** Bytes of each target's stdout (and of its stderr) a worker forwards per step. */
export const LIVE_OUTPUT_MAX_BYTES = 1024 * 1024;
/** How long a worker gathers a target's output before it sends it. */
export const COALESCE_MS = 100;
/** Longest notification payload sent (ASCII JSON; Postgres refuses 8000 bytes and more). */
export const PAYLOAD_MAX = 7900;
/** Bytes a worker holds for Postgres at most; output past it is dropped (and counted). */
export const SEND_BACKLOG_MAX = 4 * 1024 * 1024;
/** Notifications sent in one query (one transaction) at most. */
const SEND_BATCH_MAX = 64;
/** How long a worker waits for a finished target's output to be sent before it records the result. */
const FINISH_WAIT_MS = 5_000;
/** Bound of connecting and of each query. */
const DATABASE_TIMEOUT_MS = 10_000;
/** After a failed connection or query, output is dropped for this long before the next attempt. */
const RETRY_AFTER_MS = 5_000;

/** The Postgres channel of a run's live output: `rivet_output_` and a hash of the run id (a plain identifier). */
export function outputChannel(runId: string): string {
  return `rivet_output_${createHash('sha256').update(runId).digest('hex').slice(0, 24)}`;
}

/** One notification: the batch (workflow id), a sequence number (Postgres folds identical payloads of one transaction), the target key, the stream, the text. */
interface Message {
  b: string;
  n: number;
  t: string;
  s: 'out' | 'err';
  x: string;
}

/** JSON with every character past ASCII escaped: its length is its size in bytes, whatever the server's encoding. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `text` cut into payloads of at most {@link PAYLOAD_MAX} bytes (never inside a surrogate pair). */
export function payloads(message: Omit<Message, 'x' | 'n'>, text: string, next: () => number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest !== '') {
    let take = Math.min(rest.length, PAYLOAD_MAX);
    for (;;) {
      if (take < rest.length && /[\ud800-\udbff]/.test(rest[take - 1]!)) take--;
      const payload = asciiJson({ ...message, n: 0, x: rest.slice(0, take) });
      if (payload.length + 16 <= PAYLOAD_MAX || take <= 1) break;
      take = Math.max(1, Math.floor((take * (PAYLOAD_MAX - 300)) / payload.length));
    }
    out.push(asciiJson({ ...message, n: next(), x: rest.slice(0, take) }));
    rest = rest.slice(take);
  }
  return out;
}

function errorText(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message : String(error));
}

function connect(url: string, name: string): pg.Client {
  return new pg.Client({ connectionString: url, connectionTimeoutMillis: DATABASE_TIMEOUT_MS, query_timeout: DATABASE_TIMEOUT_MS, application_name: name });
}

/**
 * A worker's connection for live output: sends queued notifications in order, up to
 * {@link SEND_BATCH_MAX} per query (one transaction each), on one lazily opened connection. Never makes its callers wait:
 * {@link offer} refuses what does not fit the backlog.
 */
export class Notifier {
  readonly #url: string;
  readonly #log: (text: string) => void;
  #client: pg.Client | undefined;
  #queue: { channel: string; payload: string }[] = [];
  #queuedBytes = 0;
  #offered = 0;
  #sent = 0;
  #draining = false;
  #failedAt = -Infinity;
  #closed = false;
  readonly #waiters = new Set<{ upTo: number; resolve(): void }>();

  /** `log` gets a line (without the URL's password) when sending fails. */
  constructor(url: string, log: (text: string) => void) {
    this.#url = url;
    this.#log = log;
  }

  /** Queues a notification; false (dropped) when the backlog is full or the database failed a moment ago. */
  offer(channel: string, payload: string): boolean {
    if (this.#closed || this.#queuedBytes + payload.length > SEND_BACKLOG_MAX || performance.now() - this.#failedAt < RETRY_AFTER_MS) return false;
    this.#queue.push({ channel, payload });
    this.#queuedBytes += payload.length;
    this.#offered++;
    if (!this.#draining) void this.#drain();
    return true;
  }

  /** Settles once everything offered so far was sent (or failed), or after `timeoutMs`. */
  settled(timeoutMs = FINISH_WAIT_MS): Promise<void> {
    if (this.#sent >= this.#offered) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { upTo: this.#offered, resolve: () => (clearTimeout(timer), this.#waiters.delete(waiter), resolve()) };
      const timer = setTimeout(waiter.resolve, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, SEND_BATCH_MAX);
        try {
          const client = await this.#connected();
          // One statement, payloads as parameters (no quoting): the function scan yields the rows, and so
          // sends the notifications, in array order; one transaction delivers them in that order.
          await client.query('SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS u(c, p)', [batch.map((m) => m.channel), batch.map((m) => m.payload)]);
        } catch (error) {
          this.#fail(error);
        }
        for (const m of batch) this.#queuedBytes -= m.payload.length;
        this.#sent += batch.length;
        for (const waiter of this.#waiters) if (this.#sent >= waiter.upTo) waiter.resolve();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #connected(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    if (this.#closed) throw new Error('the worker is stopping');
    const client = connect(this.#url, 'rivet-worker-output');
    // A connection replaced after a failure may still report errors: only the current one counts.
    client.on('error', (error) => {
      if (this.#client === client) this.#fail(error);
    });
    this.#client = client;
    await client.connect();
    return client;
  }

  #fail(error: unknown): void {
    this.#failedAt = performance.now();
    this.#log(`Live output to the controller is dropped for ${RETRY_AFTER_MS / 1000} s: ${errorText(error)}`);
    // Dropped at once, not sent late: what the backlog holds is lost with the connection.
    for (const m of this.#queue) this.#queuedBytes -= m.payload.length;
    this.#sent += this.#queue.length;
    this.#queue = [];
    const client = this.#client;
    this.#client = undefined;
    void client?.end().catch(() => {});
  }

  /** Closes the connection (what is queued is dropped). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#queue = [];
    const client = this.#client;
    this.#client = undefined;
    for (const waiter of this.#waiters) waiter.resolve();
    await client?.end().catch(() => {});
  }
}

interface StreamState {
  key: string;
  stream: 'out' | 'err';
  decoder: StringDecoder;
  pending: string;
  forwarded: number;
  dropped: number;
  endsLine: boolean;
  /** The last (up to 3) bytes forwarded: where the cut at the limit finds a character's start. */
  tail: Buffer;
  /** The limit was reached: nothing more is forwarded. */
  capped: boolean;
}

/**
 * One batch's live output on a worker: {@link sink} takes each target's chunks (never waits),
 * coalesces them per target and stream, and offers them to the {@link Notifier}; {@link finish}
 * sends a target's last output (and the marker of what was not forwarded) before its result is
 * recorded, so the controller has it before the result.
 */
export class OutputBatch {
  readonly #notifier: Notifier;
  readonly #channel: string;
  readonly #batch: string;
  readonly #worker: string;
  readonly #streams = new Map<string, StreamState>();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(notifier: Notifier, runId: string, batchId: string, worker: string) {
    this.#notifier = notifier;
    this.#channel = outputChannel(runId);
    this.#batch = batchId;
    this.#worker = worker;
  }

  /**
   * For the executor's `onOutput`: keeps up to {@link LIVE_OUTPUT_MAX_BYTES} per target and stream,
   * counts the rest. Decoded as a UTF-8 stream (a character split across chunks stays whole), and
   * cut at the limit before a character the limit would split.
   */
  readonly sink = (target: Target, stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    const state = this.#state(safeName(target), stream === 'stdout' ? 'out' : 'err');
    if (state.capped) {
      state.dropped += chunk.length;
      return;
    }
    const room = LIVE_OUTPUT_MAX_BYTES - state.forwarded;
    let kept = chunk;
    if (chunk.length > room) {
      state.capped = true;
      const split = splitCharBytes(Buffer.concat([state.tail, chunk.subarray(0, room + 1)]), state.tail.length + room);
      kept = chunk.subarray(0, Math.max(0, room - split));
      // The character began in earlier chunks: its first bytes wait in the decoder, dropped with it.
      const held = split - (room - kept.length);
      if (held > 0) {
        state.decoder = new StringDecoder('utf8');
        state.forwarded -= held;
        state.dropped += held;
      }
    }
    state.forwarded += kept.length;
    state.dropped += chunk.length - kept.length;
    if (kept.length > 0) {
      state.pending += state.decoder.write(kept);
      state.tail = Buffer.from((kept.length >= 3 ? kept : Buffer.concat([state.tail, kept])).subarray(-3));
    }
    if (state.pending.length >= PAYLOAD_MAX) this.#flush(state);
    else if (state.pending !== '' && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        for (const s of this.#streams.values()) this.#flush(s);
      }, COALESCE_MS);
    }
  };

  /** Sends what is left of the target's output and its marker; settles once sent (bounded). */
  finish(key: string): Promise<void> {
    let any = false;
    const refused: { state: StreamState; payload: string }[] = [];
    for (const stream of ['out', 'err'] as const) {
      const state = this.#streams.get(`${key}\0${stream}`);
      if (state === undefined) continue;
      this.#streams.delete(`${key}\0${stream}`);
      state.pending += state.decoder.end();
      this.#flush(state);
      if (state.dropped > 0) {
        const marker = `[rivet: ${state.dropped} bytes of live output not forwarded by worker ${this.#worker}: a worker forwards at most ${LIVE_OUTPUT_MAX_BYTES} bytes of each target's stdout and stderr per step, and none while Postgres is slow to take it (the result keeps up to max-output)]\n`;
        for (const payload of payloads({ b: this.#batch, t: state.key, s: state.stream }, `${state.endsLine ? '' : '\n'}${marker}`, () => this.#seq++)) {
          if (!this.#notifier.offer(this.#channel, payload)) refused.push({ state, payload });
        }
      }
      any = true;
    }
    if (!any) return Promise.resolve();
    if (refused.length === 0) return this.#notifier.settled();
    // A marker the full backlog refused (the output that filled it is queued ahead of it) is
    // offered again once the backlog was sent (bounded by the notifier's wait), not lost.
    return this.#notifier.settled().then(() => {
      for (const { payload } of refused) this.#notifier.offer(this.#channel, payload);
      return this.#notifier.settled();
    });
  }

  /** Sends what any target left (targets whose result was not recorded through {@link finish}) and stops the timer. */
  async close(): Promise<void> {
    for (const key of new Set([...this.#streams.values()].map((s) => s.key))) await this.finish(key);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #state(key: string, stream: 'out' | 'err'): StreamState {
    const id = `${key}\0${stream}`;
    let state = this.#streams.get(id);
    if (state === undefined) this.#streams.set(id, (state = { key, stream, decoder: new StringDecoder('utf8'), pending: '', forwarded: 0, dropped: 0, endsLine: true, tail: Buffer.alloc(0), capped: false }));
    return state;
  }

  #flush(state: StreamState): void {
    if (state.pending === '') return;
    const text = state.pending;
    state.pending = '';
    state.endsLine = text.endsWith('\n');
    this.#offer(state, text);
  }

  #offer(state: StreamState, text: string): void {
    for (const payload of payloads({ b: this.#batch, t: state.key, s: state.stream }, text, () => this.#seq++)) {
      // Refused: the marker counts the output's own bytes, not the payload's (JSON envelope, escapes).
      if (!this.#notifier.offer(this.#channel, payload)) state.dropped += Buffer.byteLength((JSON.parse(payload) as Message).x);
    }
  }
}

/** What a controller does with one piece of a target's live output (`key` is the target's {@link safeName}). */
export type OutputHandler = (key: string, stream: 'stdout' | 'stderr', text: string) => void;

/**
 * A controller's connection for live output: LISTENs on the channels of the runs whose batches
 * it awaits and hands each piece to the batch's handler. Opened on the first subscription, closed
 * after the last one. A failure is logged and costs live output only (results come through DBOS).
 */
export class OutputListener {
  readonly #url: string;
  readonly #log: (text: string) => void;
  #client: pg.Client | undefined;
  readonly #handlers = new Map<string, OutputHandler>();
  readonly #channels = new Map<string, number>();
  /** Connection changes, LISTEN and UNLISTEN, one after the other. */
  #ops: Promise<unknown> = Promise.resolve();
  /** Counts lost connections: a subscription made before the last loss is not in {@link #channels} any more. */
  #generation = 0;

  constructor(url: string, log: (text: string) => void) {
    this.#url = url;
    this.#log = log;
  }

  /** Listens to the run's channel for the batch; resolves (listening, or not after a failure) with the function that stops. */
  subscribe(runId: string, batchId: string, handler: OutputHandler): Promise<() => Promise<void>> {
    const channel = outputChannel(runId);
    this.#handlers.set(batchId, handler);
    const count = (this.#channels.get(channel) ?? 0) + 1;
    this.#channels.set(channel, count);
    const generation = this.#generation;
    const listening = count === 1 ? this.#op(async () => (await this.#connected()).query(`LISTEN ${pg.escapeIdentifier(channel)}`)) : this.#ops;
    const stop = async () => {
      if (!this.#handlers.delete(batchId)) return;
      // A subscription made before the connection was lost is not counted any more: the channel is the newer ones'.
      const counted = generation === this.#generation;
      if (counted) {
        const left = (this.#channels.get(channel) ?? 1) - 1;
        if (left > 0) return void this.#channels.set(channel, left);
        this.#channels.delete(channel);
      }
      if (this.#handlers.size > 0 && !counted) return;
      await this.#op(async () => {
        // The last batch stopped: no connection stays open. Not awaited: ending waits for the server to
        // close its side, which a hung server never does, and the next batch's LISTEN or sync would wait with it.
        if (this.#handlers.size === 0) {
          this.#channels.clear();
          void this.#close();
        } else if (!this.#channels.has(channel)) await this.#client?.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`);
      });
    };
    return listening.then(() => stop);
  }

  /**
   * Settles once every notification Postgres signalled to this connection before the call was
   * handed to its handler (a round trip: the server delivers pending notifications before it
   * answers), so output sent before a result was recorded is emitted before that result.
   */
  sync(): Promise<void> {
    return this.#op(async () => {
      await this.#client?.query('SELECT 1');
    });
  }

  #op(work: () => Promise<unknown>): Promise<void> {
    const next = this.#ops.then(work).then(
      () => undefined,
      (error: unknown) => {
        this.#log(`Live output of workers is not received: ${errorText(error)}`);
        this.#lost();
      },
    );
    this.#ops = next;
    return next;
  }

  async #connected(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const client = connect(this.#url, 'rivet-controller-output');
    client.on('error', (error) => {
      this.#log(`Live output of workers is not received any more: ${errorText(error)}`);
      if (this.#client === client) this.#lost();
    });
    client.on('notification', (message) => this.#deliver(message.payload));
    this.#client = client;
    await client.connect();
    return client;
  }

  #deliver(payload: string | undefined): void {
    let message: Partial<Message>;
    try {
      message = JSON.parse(payload ?? '') as Partial<Message>;
    } catch {
      return;
    }
    const handler = typeof message.b === 'string' ? this.#handlers.get(message.b) : undefined;
    if (handler === undefined || typeof message.t !== 'string' || typeof message.x !== 'string' || (message.s !== 'out' && message.s !== 'err')) return;
    handler(message.t, message.s === 'out' ? 'stdout' : 'stderr', message.x);
  }

  /** The connection failed: the next subscription connects and LISTENs again (the batches in between lose their live output). */
  #lost(): void {
    this.#generation++;
    this.#channels.clear();
    void this.#close();
  }

  async #close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}
