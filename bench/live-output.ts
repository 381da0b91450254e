/**
 * Throughput of durable workers' live output (docs/durable.md, "Live output"): a worker's
 * {@link OutputBatch} sends output of many targets through Postgres NOTIFY to a controller's
 * {@link OutputListener}, in one process. Two figures: sustained (20 targets x 1 MiB, the sender
 * waiting whenever 2 MiB wait for Postgres) and a burst (50 targets x 1 MiB at once: the 4 MiB
 * backlog drops the rest). Run: `npx tsx bench/live-output.ts` (needs Debian's postgresql).
 */
import { loadavg } from 'node:os';
import { startPostgres } from '../test/harness/postgres.ts';
import { LIVE_OUTPUT_MAX_BYTES, Notifier, OutputBatch, OutputListener } from '../src/runtime/durable/live-output.ts';
import type { Target } from '../src/core/target.ts';

const pg = await startPostgres();
try {
  await pg.createDatabase('bench_live');
  const url = pg.urlFor('bench_live');
  const chunk = Buffer.from(`${'x'.repeat(99)}\n`.repeat(640)); // 64000 bytes of 100-byte lines
  for (const [name, targets, paced] of [
    ['sustained', 20, true],
    ['burst', 50, false],
  ] as const) {
    const received = new Map<string, number>();
    const listener = new OutputListener(url, (t) => console.error(t));
    const stop = await listener.subscribe(`run-${name}`, 'batch', (key, _s, text) => received.set(key, (received.get(key) ?? 0) + text.length));
    const notifier = new Notifier(url, (t) => console.error(t));
    const batch = new OutputBatch(notifier, `run-${name}`, 'batch', 'bench');
    const load = loadavg()[0]!.toFixed(1);
    const t0 = performance.now();
    for (let sent = 0; sent < LIVE_OUTPUT_MAX_BYTES; sent += chunk.length) {
      for (let i = 0; i < targets; i++) batch.sink({ name: `t${i}` } as Target, 'stdout', chunk);
      if (paced) await notifier.settled(60_000);
    }
    for (let i = 0; i < targets; i++) await batch.finish(`t${i}`);
    await notifier.settled(60_000);
    await listener.sync();
    const seconds = (performance.now() - t0) / 1000;
    const bytes = [...received.values()].reduce((a, b) => a + b, 0);
    console.log(`${name}: ${targets} targets x ${LIVE_OUTPUT_MAX_BYTES} bytes offered, ${(bytes / 1024 / 1024).toFixed(1)} MiB received in ${seconds.toFixed(1)} s = ${(bytes / 1024 / 1024 / seconds).toFixed(1)} MiB/s (load average ${load})`);
    await stop();
    await batch.close();
    await notifier.close();
  }
} finally {
  await pg.stop();
}
