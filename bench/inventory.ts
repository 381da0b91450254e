/**
 * `npm run bench -- inventory [--inventory-targets N]`: the CPU of `rivet inventory show` over a
 * generated inventory (issue 13, "Inventory at scale"): all targets, a glob and one group.
 *
 * The inventory has `N` targets (default 10,000) in 3 levels of groups (10 regions × 10 racks ×
 * N/100 targets each), with config, vars and facts at every level, aliases on every tenth target
 * and some targets written as URIs. The specs: `all`, the glob `dc3-rack*` (the URI-named
 * targets of dc3 do not match it), the group `dc7_rack2`, and `all --detail`. Each spec is run `rounds` times through `node bin/rivet.mjs`
 * (whatever that runs: tsx or the build; run `npm run build` first to measure the build), and
 * the median CPU (user + sys of the process tree, times(1)) is reported with `node -e 0`'s and
 * that of `inventory show` over a one-target inventory (Rivet's start-up, the floor of every row).
 *
 * @example
 * ```sh
 * npm run build && npm run bench -- inventory --inventory-targets 10000 --rounds 3
 * ```
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { measure, median } from './startup.ts';

/** The inventory `inventory show` is measured over: `targets` targets in 10 × 10 groups. */
export function generateInventory(targets: number): Record<string, unknown> {
  const regions = 10;
  const racks = 10;
  const perRack = Math.max(1, Math.ceil(targets / (regions * racks)));
  let made = 0;
  const groups = [];
  for (let r = 0; r < regions; r++) {
    const children = [];
    for (let k = 0; k < racks; k++) {
      const list: unknown[] = [];
      for (let i = 0; i < perRack && made < targets; i++, made++) {
        const name = `dc${r}-rack${k}-node${i}.example.com`;
        list.push(
          made % 10 === 0
            ? { name, alias: `n${made}`, vars: { index: made }, config: { ssh: { port: 2200 + (made % 100) } } }
            : made % 3 === 0
              ? { uri: `ssh://deploy@${name}:22`, facts: { os: { family: 'RedHat', release: { major: String(made % 9) } } } }
              : name,
        );
      }
      children.push({ name: `dc${r}_rack${k}`, targets: list, vars: { rack: k }, facts: { rack: { id: k } }, config: { ssh: { user: `rack${k}` } } });
    }
    groups.push({ name: `dc${r}`, groups: children, vars: { region: r }, features: ['puppet-agent'], config: { ssh: { 'connect-timeout': 10 + r } } });
  }
  return { version: 2, config: { transport: 'ssh', ssh: { 'host-key-check': false } }, vars: { env: 'bench' }, groups };
}

/** One measured spec. */
export interface InventoryBenchRow {
  label: string;
  argv: string[];
  cpuMs: number;
  wallMs: number;
  samples: number[];
}

/** Runs the inventory benchmark and prints a Markdown table; returns the rows. */
export async function runInventoryBench(options: { targets: number; rounds: number }, log: (line: string) => void = console.log): Promise<InventoryBenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rivet-inventory-bench-'));
  try {
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, stringify(generateInventory(options.targets)));
    const small = join(dir, 'one-target.yaml');
    writeFileSync(small, stringify(generateInventory(1)));
    const rivet = [process.execPath, 'bin/rivet.mjs'];
    const cases: Array<[string, string[]]> = [
      ['node -e 0', [process.execPath, '-e', '0']],
      ['inventory show -t all (1-target inventory: start-up)', [...rivet, 'inventory', 'show', '-t', 'all', '-i', small]],
      ['inventory show -t all', [...rivet, 'inventory', 'show', '-t', 'all', '-i', file]],
      ["inventory show -t 'dc3-rack*'", [...rivet, 'inventory', 'show', '-t', 'dc3-rack*', '-i', file]],
      ['inventory show -t dc7_rack2', [...rivet, 'inventory', 'show', '-t', 'dc7_rack2', '-i', file]],
      ['inventory show -t all --detail', [...rivet, 'inventory', 'show', '-t', 'all', '--detail', '-i', file]],
    ];
    const rows: InventoryBenchRow[] = [];
    for (const [label, argv] of cases) {
      const samples = [];
      const walls = [];
      for (let round = 0; round < options.rounds; round++) {
        const sample = await measure(argv);
        samples.push(sample.cpuMs);
        walls.push(sample.wallMs);
      }
      rows.push({ label, argv, cpuMs: median(samples), wallMs: median(walls), samples });
    }
    log(`\nInventory at scale: ${options.targets} targets, median of ${options.rounds} (npm run bench -- inventory)\n`);
    log('| command | CPU (median) | wall (median) |');
    log('|---|---|---|');
    for (const row of rows) log(`| \`${row.label}\` | ${Math.round(row.cpuMs)} ms | ${Math.round(row.wallMs)} ms |`);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
