/**
 * `npm run bench`: first the start-up scenario (bench/startup.ts: CPU time of `rivet --version`,
 * `rivet command run`, a tsx plan against `node -e 0`; no root needed, and `npm run bench --
 * startup` runs only it), then the SSH scenarios below.
 *
 * SSH scenarios (`npm run bench -- ssh` runs only them): Rivet against a baseline that follows
 * Bolt's protocol pattern, measured in the same run on the same sshd (started here on loopback), so
 * the ratio is what counts, not the seconds. Needs root (the sshd harness makes test users) and
 * Debian's openssh-server.
 *
 * - task: one task on N targets. Rivet: one connection per target, one exec request. Baseline:
 *   per target a new connection, then Bolt's five channels (mkdir, upload, chmod, run, rm).
 * - plan: five command steps on N targets. Rivet: one connection per target for all five.
 *   Baseline: a new connection per step per target (Bolt, X-07).
 *
 * The baseline uses Rivet's own SSH connect code (same socket and auth tuning), so the difference
 * is the protocol pattern only. Each scenario runs on loopback and through a latency proxy
 * (bench/latency-proxy.ts, a separate process) that adds a WAN-like round-trip time, since on
 * loopback round trips cost almost nothing and the sshd's CPU dominates.
 * Environment: BENCH_TARGETS (default 200), BENCH_CONCURRENCY (100), BENCH_ROUNDS (3; the median
 * is reported), BENCH_RTT_MS (20).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../src/core/target.ts';
import type { Runtime } from '../src/runtime/runtime.ts';
import type { ResolveEnv } from '../src/transports/ssh/config.ts';
import type { SshPrimitives } from '../src/transports/ssh/primitives.ts';
import type { RemoteProcess } from '../src/transports/transport.ts';
import { runStartupBench } from './startup.ts';

const N = Number(process.env['BENCH_TARGETS'] ?? 200);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 100);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const RTT_MS = Number(process.env['BENCH_RTT_MS'] ?? 20);
const MODULES = join(import.meta.dirname, '..', 'test', 'fixtures', 'modules');
const TASK_SCRIPT = Buffer.from('#!/bin/sh\ncat >/dev/null\necho "hello from $(uname -s)"\n');

function address(i: number): string {
  // 127.0.1.1 .. : loopback, distinct per target, all reaching the one sshd.
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

async function drain(proc: RemoteProcess, stdin?: Buffer | string): Promise<number | null> {
  proc.stdout.resume();
  proc.stderr.resume();
  proc.stdin.end(stdin);
  return (await proc.exited).code;
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
sampler.unref();

async function timed(fn: () => Promise<void>): Promise<{ ms: number; rssMb: number }> {
  global.gc?.();
  peakRss = process.memoryUsage().rss;
  const start = performance.now();
  await fn();
  return { ms: performance.now() - start, rssMb: peakRss / 1024 / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function sshBench(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the SSH scenarios of npm run bench need root (they start sshd with test users); `npm run bench -- startup` does not');
  // Imported here, not at the top: the sshd harness needs root, and `startup` alone needs neither.
  const { default: PQueue } = await import('p-queue');
  const { loadInventory } = await import('../src/runtime/inventory/index.ts');
  const { Runtime } = await import('../src/runtime/runtime.ts');
  const { SshTransport } = await import('../src/transports/ssh/index.ts');
  const { SshPrimitives } = await import('../src/transports/ssh/primitives.ts');
  const { startSshd } = await import('../test/harness/sshd.ts');
  const sshd = await startSshd({ maxSessions: 50 });
  // An empty fake home (no ~/.ssh), as the SSH tests use; not their fakeHome(), whose vitest afterAll
  // throws outside vitest.
  const home = await mkdtemp(join(tmpdir(), 'rivet-bench-home-'));
  const env: ResolveEnv = { home, env: { HOME: home }, localUser: 'nobody-local' };
  const proxy = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'latency-proxy.ts'), String(sshd.port), String(RTT_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const proxyPort = await new Promise<number>((resolve) => proxy.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const knownHosts = join(sshd.dir, 'bench_known_hosts');
  await writeFile(
    knownHosts,
    [...Array.from({ length: N }, (_, i) => `[${address(i)}]:${sshd.port} ${sshd.hostPublicKey}`), `[127.0.0.1]:${proxyPort} ${sshd.hostPublicKey}`].join('\n') + '\n',
  );
  const ssh = { user: sshd.user, 'private-key': sshd.clientKeyPath, 'known-hosts-file': knownHosts, 'load-config': false, 'connect-timeout': 60 };
  const links = [
    { label: 'loopback', targets: Array.from({ length: N }, (_, i) => `${address(i)}:${sshd.port}`) },
    { label: `${RTT_MS} ms RTT`, targets: Array.from({ length: N }, (_, i) => ({ name: `wan${i}`, uri: `127.0.0.1:${proxyPort}` })) },
  ];
  const rows: string[] = [];
  for (const link of links) rows.push(...(await benchLink(link.label, { config: { ssh }, targets: link.targets })));
  proxy.kill('SIGTERM');
  await sshd.stop();
  await rm(home, { recursive: true, force: true });
  console.log(`Rivet vs Bolt's protocol pattern, same sshd, ${N} targets, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds (node ${process.version})`);
  for (const row of rows) console.log(row);

  async function benchLink(label: string, inventoryData: unknown): Promise<string[]> {
  const makeRuntime = async (): Promise<Runtime> =>
    new Runtime({
      inventory: loadInventory({ data: inventoryData, name: 'bench' }),
      projectDir: MODULES,
      modulepath: [MODULES],
      concurrency: CONCURRENCY,
      transports: { ssh: new SshTransport({ resolveEnv: env }) },
    });
  const targets = (await makeRuntime()).getTargets('all');

  const connect = (t: Target): Promise<SshPrimitives> => SshPrimitives.connect(t, { signal: new AbortController().signal, resolveEnv: env });
  const perTarget = async (work: (t: Target) => Promise<void>): Promise<void> => {
    const queue = new PQueue({ concurrency: CONCURRENCY });
    await Promise.all(targets.map((t) => queue.add(() => work(t))));
  };

  // Bolt's task pattern: new connection, mkdir, upload, chmod, run, rm, close.
  const boltTask = async (t: Target): Promise<void> => {
    const p = await connect(t);
    const signal = new AbortController().signal;
    const dir = `/tmp/bolt-bench-${Math.random().toString(36).slice(2)}`;
    await drain(await p.spawn(`mkdir -m 700 ${dir}`, { signal }));
    await drain(await p.spawn(`cat > ${dir}/task.sh`, { signal }), TASK_SCRIPT);
    await drain(await p.spawn(`chmod u+x ${dir}/task.sh`, { signal }));
    await drain(await p.spawn(`PT__task=demo::text ${dir}/task.sh`, { signal }), '{"_task":"demo::text"}');
    await drain(await p.spawn(`rm -rf ${dir}`, { signal }));
    await p.close();
  };
  // Bolt's step pattern: every step opens and closes its own connection.
  const boltPlan = async (t: Target): Promise<void> => {
    for (let step = 0; step < 5; step++) {
      const p = await connect(t);
      await drain(await p.spawn('true', { signal: new AbortController().signal }));
      await p.close();
    }
  };

  const scenarios: { name: string; rivet: () => Promise<void>; baseline: () => Promise<void> }[] = [
    {
      name: `${label}: one task`,
      rivet: async () => {
        const rt = await makeRuntime();
        const set = await rt.runTask('demo::text', 'all');
        await rt.close();
        if (!set.ok) throw new Error(`rivet task failed: ${JSON.stringify(set.errorSet.first?.toJSON())}`);
      },
      baseline: () => perTarget(boltTask),
    },
    {
      name: `${label}: 5-step plan`,
      rivet: async () => {
        const rt = await makeRuntime();
        for (let step = 0; step < 5; step++) {
          const set = await rt.runCommand('true', 'all');
          if (!set.ok) throw new Error(`rivet step failed: ${JSON.stringify(set.errorSet.first?.toJSON())}`);
        }
        await rt.close();
      },
      baseline: () => perTarget(boltPlan),
    },
  ];

  const rows: string[] = [];
  for (const scenario of scenarios) {
    const rivet: number[] = [];
    const baseline: number[] = [];
    let rivetRss = 0;
    let baselineRss = 0;
    let rivetConns = 0;
    let baselineConns = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither side always runs on a warmer machine.
      const order = round % 2 === 0 ? (['rivet', 'baseline'] as const) : (['baseline', 'rivet'] as const);
      for (const side of order) {
        const before = sshd.connectionCount();
        const { ms, rssMb } = await timed(side === 'rivet' ? scenario.rivet : scenario.baseline);
        const conns = sshd.connectionCount() - before;
        if (side === 'rivet') {
          rivet.push(ms);
          rivetRss = Math.max(rivetRss, rssMb);
          rivetConns = conns;
        } else {
          baseline.push(ms);
          baselineRss = Math.max(baselineRss, rssMb);
          baselineConns = conns;
        }
      }
    }
    const r = median(rivet);
    const b = median(baseline);
    rows.push(
      `${scenario.name.padEnd(26)} rivet ${(r / 1000).toFixed(2).padStart(6)} s (${rivetConns} conns, peak RSS ${rivetRss.toFixed(0)} MB)   ` +
        `bolt-pattern ${(b / 1000).toFixed(2).padStart(6)} s (${baselineConns} conns, peak RSS ${baselineRss.toFixed(0)} MB)   ratio ${(b / r).toFixed(1)}x`,
    );
  }
  return rows;
  }
}

// `npm run bench` runs the start-up scenario, then the SSH ones; `npm run bench -- startup` (or
// BENCH_ONLY=startup) only the start-up one, `-- ssh` (BENCH_ONLY=ssh) only the SSH ones.
const only = process.argv[2] ?? process.env['BENCH_ONLY'];
if (only !== undefined && only !== 'startup' && only !== 'ssh') throw new Error(`unknown bench scenario ${JSON.stringify(only)} (startup or ssh)`);
if (only !== 'ssh') await runStartupBench();
if (only !== 'startup') await sshBench();
