/**
 * Workers' live output (issue 15) keeps multi-byte characters whole, as the controller's own
 * `target_output` events do: a worker decodes each target's stream across chunks, a stream ending
 * inside a character arrives as exactly one U+FFFD, and the forwarding bound (bytes) never cuts a
 * character in two before its marker. Real Postgres (LISTEN/NOTIFY), the worker's
 * {@link OutputBatch} and the controller's {@link OutputListener}.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_OUTPUT_MAX_BYTES, Notifier, OutputBatch, OutputListener, PAYLOAD_MAX, SEND_BACKLOG_MAX, payloads } from '../../src/runtime/durable/live-output.ts';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { makeTarget } from '../helpers/targets.ts';

const skip = postgresSkipReason();

describe.skipIf(skip !== undefined)('live output of workers, multi-byte characters', () => {
  let server: PostgresServer;
  let notifier: Notifier;
  let listener: OutputListener;
  let runs = 0;

  beforeAll(async () => {
    server = await startPostgres();
    notifier = new Notifier(server.url, () => {});
    listener = new OutputListener(server.url, () => {});
  }, 300_000);
  afterAll(async () => {
    await notifier?.close();
    await server?.stop();
  });

  /** Feeds `chunks` (target, stream, bytes) to a worker's batch, finishes every target, and returns the text the controller got per target and stream. */
  async function forward(chunks: [string, 'stdout' | 'stderr', Buffer][]): Promise<Map<string, string>> {
    const runId = `utf8-run-${++runs}`;
    const got = new Map<string, string>();
    const stop = await listener.subscribe(runId, `${runId}.1`, (key, stream, text) => got.set(`${key} ${stream}`, (got.get(`${key} ${stream}`) ?? '') + text));
    const batch = new OutputBatch(notifier, runId, `${runId}.1`, 'worker-u');
    for (const [name, stream, bytes] of chunks) batch.sink(makeTarget({ name, transport: 'local' }), stream, bytes);
    for (const name of new Set(chunks.map(([name]) => name))) await batch.finish(name);
    await batch.close();
    await listener.sync();
    await stop();
    return got;
  }

  it('a character split across chunks arrives whole, with another target writing in between', async () => {
    const got = await forward([
      ['web1', 'stdout', Buffer.from([0x78, 0xe2, 0x82])],
      ['web2', 'stdout', Buffer.from([0xf0, 0x9f])],
      ['web1', 'stderr', Buffer.from('err\n')],
      ['web2', 'stdout', Buffer.from([0x98, 0x80, 0x0a])],
      ['web1', 'stdout', Buffer.from([0xac, 0x0a])],
    ]);
    expect(Object.fromEntries(got)).toEqual({ 'web1 stdout': 'x€\n', 'web1 stderr': 'err\n', 'web2 stdout': '😀\n' });
  }, 120_000);

  it('a stream that ends inside a character arrives as exactly one U+FFFD', async () => {
    const got = await forward([
      ['web1', 'stdout', Buffer.from([0x61, 0xe2])],
      ['web1', 'stdout', Buffer.from([0x82])],
    ]);
    expect(got.get('web1 stdout')).toBe('a\ufffd');
  }, 120_000);

  it('the forwarding bound inside a character drops the whole character and counts its bytes', async () => {
    const fill = Buffer.alloc(LIVE_OUTPUT_MAX_BYTES - 1, 0x61);
    const got = await forward([
      // web1: the bound falls after the first byte of '€' (within one chunk).
      ['web1', 'stdout', Buffer.concat([fill, Buffer.from('€\n')])],
      // web2: the first byte of '€' fills the bound exactly; the next chunk shows it split, so it goes too.
      ['web2', 'stdout', Buffer.concat([fill, Buffer.from([0xe2])])],
      ['web2', 'stdout', Buffer.from([0x82, 0xac, 0x0a])],
    ]);
    for (const name of ['web1', 'web2']) {
      const text = got.get(`${name} stdout`)!;
      expect(text).not.toContain('\ufffd');
      expect(text.startsWith(`${'a'.repeat(LIVE_OUTPUT_MAX_BYTES - 1)}\n[rivet: 4 bytes of live output not forwarded by worker worker-u`)).toBe(true);
    }
  }, 300_000);
  it('output refused by a full backlog is counted in the marker as bytes of output, not of notification payload', async () => {
    const runId = `utf8-run-${++runs}`;
    const got = new Map<string, string>();
    const stop = await listener.subscribe(runId, `${runId}.1`, (key, stream, text) => got.set(`${key} ${stream}`, (got.get(`${key} ${stream}`) ?? '') + text));
    const batch = new OutputBatch(notifier, runId, `${runId}.1`, 'worker-u');
    // 'é' is 2 bytes of output and 6 of payload (\u00e9): three targets of 1 MiB each offer about
    // 9 MiB at once (nothing is sent while sink runs), past the worker's 4 MiB backlog.
    const names = ['web1', 'web2', 'web3'];
    const chunk = Buffer.from('é'.repeat(4096));
    for (let i = 0; i < LIVE_OUTPUT_MAX_BYTES / chunk.length; i++) for (const name of names) batch.sink(makeTarget({ name, transport: 'local' }), 'stdout', chunk);
    await notifier.settled(240_000);
    for (const name of names) await batch.finish(name);
    await batch.close();
    await listener.sync();
    await stop();
    let markers = 0;
    for (const name of names) {
      const text = got.get(`${name} stdout`) ?? '';
      const marker = /\n?\[rivet: (\d+) bytes of live output not forwarded by worker worker-u[^\]]*\]\n$/.exec(text);
      const forwarded = Buffer.byteLength(marker === null ? text : text.slice(0, marker.index));
      if (marker !== null) markers++;
      expect(forwarded + Number(marker?.[1] ?? 0), name).toBe(LIVE_OUTPUT_MAX_BYTES);
    }
    expect(markers).toBeGreaterThan(0);
  }, 300_000);
  it('the marker of a target finished while the backlog has no room for it is sent once the backlog drains, not lost', async () => {
    await notifier.settled(240_000);
    const runId = `utf8-run-${++runs}`;
    const batchId = `${runId}.1`;
    const got = new Map<string, string>();
    const stop = await listener.subscribe(runId, batchId, (key, stream, text) => got.set(`${key} ${stream}`, (got.get(`${key} ${stream}`) ?? '') + text));
    const batch = new OutputBatch(notifier, runId, batchId, 'worker-u');
    // What the worker's backlog takes, worked out with the batch's own cutting (nothing is sent while
    // this runs): five targets of 130 chunks of PAYLOAD_MAX bytes overflow the 4 MiB backlog.
    let seq = 0;
    let queued = 0;
    const offer = (key: string, text: string): void => {
      for (const p of payloads({ b: batchId, t: key, s: 'out' }, text, () => seq++)) if (queued + p.length <= SEND_BACKLOG_MAX) queued += p.length;
    };
    const names = ['w0', 'w1', 'w2', 'w3', 'w4'];
    const chunk = 'a'.repeat(PAYLOAD_MAX);
    let sent = 0;
    for (let i = 0; i < 130; i++) {
      for (const name of names) {
        batch.sink(makeTarget({ name, transport: 'local' }), 'stdout', Buffer.from(chunk));
        offer(name, chunk);
      }
      sent += chunk.length;
    }
    // A last piece (sent when w4 finishes) leaves 50 bytes of room: too little for the marker behind it.
    const room = SEND_BACKLOG_MAX - queued;
    const envelope = payloads({ b: batchId, t: 'w4', s: 'out' }, 'a', () => seq)[0]!.length - 1;
    const last = room - 50 - envelope;
    expect(last).toBeGreaterThan(0);
    batch.sink(makeTarget({ name: 'w4', transport: 'local' }), 'stdout', Buffer.alloc(last, 0x61));
    await batch.finish('w4');
    await batch.close();
    await notifier.settled(240_000);
    await listener.sync();
    await stop();
    const text = got.get('w4 stdout') ?? '';
    const marker = /\n?\[rivet: (\d+) bytes of live output not forwarded by worker worker-u[^\]]*\]\n$/.exec(text);
    expect(marker, text.slice(-100)).not.toBeNull();
    expect(Buffer.byteLength(text.slice(0, marker!.index)) + Number(marker![1])).toBe(sent + last);
  }, 300_000);
});
