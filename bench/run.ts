/**
 * `npm run bench [-- <mode>] [options]`: Rivet's benchmark.
 *
 * Modes: `all` (default: start-up, then SSH), `startup` (bench/startup.ts: `rivet --version`,
 * `rivet command run`, a plan, against `node -e 0`; no root needed), `ssh` (bench/ssh.ts: Rivet
 * against the ssh2 floor and the installed peers on a local sshd; root), `inventory`
 * (bench/inventory.ts: CPU of `rivet inventory show` over a generated inventory; not part of `all`).
 *
 * Options (SSH part): `--targets N` (default 100, up to 1000), `--rounds R` (3), `--concurrency C`
 * (100), `--rtt MS` (50; 0 skips the section through the latency proxy), `--rtt-targets N` (20),
 * `--workloads command,task,task-files,plan,upload` (all), `--peers ssh,pssh,ansible` (all),
 * `--upload-mb MB` (10), `--threads N` (worker threads of the `rivet-threads` tool; default the
 * CPUs: `os.availableParallelism()`; the `rivet` tool runs with `--threads off`), `--out DIR`
 * (where bench.json and bench.md go; default tmp/bench), `--cpu-prof DIR` (`node --cpu-prof`
 * profiles of the floor and Rivet runs, one directory per link, workload and tool; profiling costs
 * CPU, so the figures of such a run are not comparable).
 * Inventory part: `--inventory-targets N` (default 10000), `--rounds R`.
 *
 * @example
 * ```sh
 * npm run bench -- ssh --targets 500 --rounds 3
 * npm run bench -- startup
 * npm run bench -- inventory --inventory-targets 10000
 * ```
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { markdown, runSshBench, WORKLOADS, type SshBenchOptions, type Workload } from './ssh.ts';
import { runInventoryBench } from './inventory.ts';
import { runStartupBench } from './startup.ts';

const ROOT = resolve(import.meta.dirname, '..');

export function parseBenchArgs(argv: string[]): {
  mode: 'all' | 'startup' | 'ssh' | 'inventory';
  out: string;
  ssh: SshBenchOptions;
  inventory: { targets: number; rounds: number };
} {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      targets: { type: 'string' },
      rounds: { type: 'string' },
      concurrency: { type: 'string' },
      rtt: { type: 'string' },
      'rtt-targets': { type: 'string' },
      workloads: { type: 'string' },
      peers: { type: 'string' },
      'upload-mb': { type: 'string' },
      threads: { type: 'string' },
      'inventory-targets': { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const mode = positionals[0] ?? process.env['BENCH_ONLY'] ?? 'all';
  if (mode !== 'all' && mode !== 'startup' && mode !== 'ssh' && mode !== 'inventory') {
    throw new Error(`unknown bench mode ${JSON.stringify(mode)} (all, startup, ssh or inventory)`);
  }
  const int = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
  const list = <T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T[] => {
    if (value === undefined) return [...allowed];
    const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const item of items) if (!(allowed as readonly string[]).includes(item)) throw new Error(`--${name}: unknown ${JSON.stringify(item)} (one of ${allowed.join(', ')})`);
    return items as T[];
  };
  return {
    mode,
    out: resolve(values.out ?? join(ROOT, 'tmp', 'bench')),
    ssh: {
      targets: int('targets', values.targets ?? process.env['BENCH_TARGETS'], 100, 1, 1000),
      rounds: int('rounds', values.rounds ?? process.env['BENCH_ROUNDS'], 3, 1, 100),
      concurrency: int('concurrency', values.concurrency, 100, 1, 1000),
      rttMs: int('rtt', values.rtt ?? process.env['BENCH_RTT_MS'], 50, 0, 10_000),
      rttTargets: int('rtt-targets', values['rtt-targets'], 20, 1, 1000),
      workloads: list<Workload>('workloads', values.workloads, WORKLOADS),
      peers: list('peers', values.peers, ['ssh', 'pssh', 'ansible'] as const),
      uploadMb: int('upload-mb', values['upload-mb'], 10, 1, 1000),
      cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
      threads: int('threads', values.threads, availableParallelism(), 1, 64),
    },
    inventory: {
      targets: int('inventory-targets', values['inventory-targets'], 10_000, 1, 1_000_000),
      rounds: int('rounds', values.rounds ?? process.env['BENCH_ROUNDS'], 3, 1, 100),
    },
  };
}

async function main(): Promise<void> {
  const { mode, out, ssh, inventory } = parseBenchArgs(process.argv.slice(2));
  if (mode === 'inventory') {
    await runInventoryBench(inventory);
    return;
  }
  if (mode !== 'ssh') await runStartupBench();
  if (mode === 'startup') return;
  const result = await runSshBench(ssh, (line) => console.error(line));
  const table = markdown(result);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFile(join(out, 'bench.md'), table);
  console.log(`\nRivet vs the ssh2 floor and peers (npm run bench -- ssh ${process.argv.slice(3).join(' ')})\n`);
  console.log(table);
  console.log(`Written: ${join(out, 'bench.json')}, ${join(out, 'bench.md')}`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/run.ts')) await main();
