/**
 * Throughput of durable workers (docs/durable.md, "Workers"): 200 local targets running `true`
 * through `rivet plan run --durable` (no workers), then `--workers` with one and then two `rivet
 * worker` processes (each on a fresh database). Run: `npx tsx bench/workers.ts` (needs Debian's postgresql; as root
 * it runs Postgres as the test user). Prints targets/s; note the machine's load average.
 */
import { loadavg } from 'node:os';
import { rm } from 'node:fs/promises';
import { startPostgres } from '../test/harness/postgres.ts';
import { makeProject } from '../test/cli/helpers.ts';
import { SDK, spawnRivet, until, type Spawned } from '../test/durable/helpers.ts';

const TARGETS = Number(process.env['TARGETS'] ?? 200);
const pg = await startPostgres();
const inventory = ['targets:', ...Array.from({ length: TARGETS }, (_, i) => `  - t${i + 1}`), 'config:', '  transport: local', ''].join('\n');
const plan = `import { definePlan, runCommand } from '${SDK}';\nexport default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) { await runCommand('true', targets); return 'ok'; } });\n`;
const project = await makeProject({ 'package.json': '{ "type": "module" }\n', 'rivet-project.yaml': 'name: demo\n', 'inventory.yaml': inventory, 'plans/t.ts': plan });
try {
  for (const count of [0, 1, 2]) {
    const db = `bench_workers_${count}`;
    await pg.createDatabase(db);
    const url = pg.urlFor(db);
    const workers: Spawned[] = [];
    for (let i = 0; i < count; i++) {
      const w = spawnRivet(['worker', '--id', `bench-${i}`, '--durable', url, '--concurrency', '50'], project);
      await until(`worker ${i}`, () => w.stderr().includes('is taking batches'));
      workers.push(w);
    }
    const load = loadavg()[0]!.toFixed(1);
    const t0 = performance.now();
    // 0: the controller runs the targets itself (plain --durable), for comparison.
    const mode = count === 0 ? [] : ['--workers', '--batch-size', '25'];
    const controller = spawnRivet(['plan', 'run', 'demo::t', '--targets', 'all', '--durable', url, ...mode, '--concurrency', '50', '--format', 'jsonl'], project);
    const code = await controller.exit;
    const seconds = (performance.now() - t0) / 1000;
    console.log(`${count === 0 ? 'no workers (controller runs them)' : `${count} worker(s)`}: ${TARGETS} targets in ${seconds.toFixed(1)} s = ${(TARGETS / seconds).toFixed(1)} targets/s (exit ${code}, load average ${load} at start, ${loadavg()[0]!.toFixed(1)} at end)`);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exit));
  }
} finally {
  await pg.stop();
  await rm(project, { recursive: true, force: true });
}
