/**
 * Start-up scenario of `npm run bench` (alone: `npm run bench -- startup` or BENCH_ONLY=startup).
 * Needs no root and no sshd.
 *
 * Measures the CPU time (user + sys) of five commands, each as a whole process tree, run from the
 * repository root (an example project, see rivet-project.yaml):
 *
 * - `node -e 0`: the baseline, what any Node.js program costs;
 * - `node bin/rivet.mjs --version`;
 * - `node bin/rivet.mjs command run true -t localhost` (local transport, no SSH);
 * - `node node_modules/.bin/tsx plans/deploy.ts --targets localhost`: the README's example plan run
 *   as a file (it writes only under /tmp/rivet-example);
 * - `node bin/rivet.mjs plan run example::deploy`: the same plan by name (compiled into the plan
 *   cache on the warm-up round, then imported from there).
 *
 * It spawns `node bin/rivet.mjs`, whatever that runs (TypeScript through tsx, or a build), so the
 * same bench gives the figures before and after a change to how Rivet is packaged.
 *
 * How: each sample runs under a bash wrapper, `"$@" >/dev/null; rc=$?; times`, whose `times`
 * prints the shell's own and its waited-for children's CPU (getrusage(RUSAGE_CHILDREN), ms
 * resolution in bash). Children's rusage includes every descendant that was waited for, so the
 * tsx child process, esbuild and the shells that run `true` are counted. The wrapper also reads
 * $EPOCHREALTIME around the command for the wall time. After one warm-up round (not counted; it
 * also fills tsx's transform cache), the commands run interleaved for R rounds, starting at a
 * different command each round. A command that exits non-zero fails the bench with its stderr.
 *
 * Thresholds (from the packaging issue; printed as PASS/FAIL, not turned into an exit code):
 * median CPU of `rivet --version` ≤ 1.5× `node -e 0`'s, `rivet command run true -t localhost` ≤ 3×.
 * The plans' figures are absolute, for a before/after comparison by hand.
 *
 * Environment: BENCH_STARTUP_ROUNDS (default 10), BENCH_STARTUP_JSON (where the JSON results go;
 * default tmp/bench/startup.json under the repository root, which .gitignore's `/tmp/` covers).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

export interface StartupCommand {
  id: string;
  /** The command as shown in the table. */
  label: string;
  argv: string[];
}

export interface CpuTimes {
  userMs: number;
  sysMs: number;
}

export interface Sample extends CpuTimes {
  cpuMs: number;
  wallMs: number;
}

/**
 * One `times` duration: bash prints `0m0.090s`, dash `0m0.060000s` (the decimal separator follows
 * the locale, so a comma is accepted too). Returns milliseconds.
 */
export function parseDuration(text: string): number {
  const m = /^(\d+)m(\d+(?:[.,]\d+)?)s$/.exec(text.trim());
  if (!m) throw new Error(`not a times(1) duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * 60_000 + Number(m[2]!.replace(',', '.')) * 1000;
}

/** One line of `times`: `<user> <sys>`. */
export function parseTimesLine(line: string): CpuTimes {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 2) throw new Error(`not a times(1) line: ${JSON.stringify(line)}`);
  return { userMs: parseDuration(parts[0]!), sysMs: parseDuration(parts[1]!) };
}

/**
 * The wrapper's stdout: `times` (line 1: the shell itself, line 2: its children), then
 * optionally `wall <start> <end>` in seconds ($EPOCHREALTIME). Returns the children's CPU and,
 * when present, the wall time in ms.
 */
export function parseWrapperOutput(stdout: string): CpuTimes & { wallMs?: number } {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length < 2) throw new Error(`expected the two lines of times(1), got ${JSON.stringify(stdout)}`);
  const children = parseTimesLine(lines[1]!);
  const wall = lines[2] === undefined ? undefined : /^wall (\d+[.,]\d+) (\d+[.,]\d+)$/.exec(lines[2]);
  if (lines[2] !== undefined && !wall) throw new Error(`unexpected wrapper output line: ${JSON.stringify(lines[2])}`);
  if (!wall) return children;
  const seconds = (s: string): number => Number(s.replace(',', '.'));
  return { ...children, wallMs: (seconds(wall[2]!) - seconds(wall[1]!)) * 1000 };
}

// "$@" avoids quoting the command; its stdout is dropped, its stderr is the wrapper's (kept for errors).
const WRAPPER = 's=$EPOCHREALTIME; "$@" >/dev/null; rc=$?; e=$EPOCHREALTIME; times; [ -n "$s" ] && echo "wall $s $e"; exit $rc';

/** Runs argv once under the wrapper (cwd: the repository root) and returns its process tree's CPU and wall time. */
export async function measure(argv: string[], options: { cwd?: string; shell?: string } = {}): Promise<Sample> {
  const start = performance.now();
  const child = spawn(options.shell ?? 'bash', ['-c', WRAPPER, 'rivet-bench', ...argv], {
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-65_536)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const nodeWallMs = performance.now() - start;
  if (code !== 0) {
    throw new Error(`\`${argv.join(' ')}\` exited with ${code}${stderr.trim() ? `; its stderr:\n${stderr.trimEnd()}` : ' (no stderr)'}`);
  }
  const parsed = parseWrapperOutput(stdout);
  return { userMs: parsed.userMs, sysMs: parsed.sysMs, cpuMs: parsed.userMs + parsed.sysMs, wallMs: parsed.wallMs ?? nodeWallMs };
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const COMMANDS: StartupCommand[] = [
  { id: 'node', label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { id: 'version', label: 'rivet --version', argv: [process.execPath, 'bin/rivet.mjs', '--version'] },
  { id: 'command', label: 'rivet command run true -t localhost', argv: [process.execPath, 'bin/rivet.mjs', 'command', 'run', 'true', '-t', 'localhost'] },
  { id: 'plan', label: 'tsx plans/deploy.ts --targets localhost', argv: [process.execPath, 'node_modules/.bin/tsx', 'plans/deploy.ts', '--targets', 'localhost'] },
  { id: 'plan-run', label: 'rivet plan run example::deploy', argv: [process.execPath, 'bin/rivet.mjs', 'plan', 'run', 'example::deploy'] },
];

/** Median CPU of `id` at most `max` times the baseline's (the packaging issue's thresholds). */
export const THRESHOLDS: { id: string; max: number }[] = [
  { id: 'version', max: 1.5 },
  { id: 'command', max: 3 },
];

export interface StartupResult {
  id: string;
  label: string;
  argv: string[];
  cpuMs: { median: number; min: number; max: number; samples: number[] };
  userMsMedian: number;
  sysMsMedian: number;
  wallMs: { median: number; samples: number[] };
  /** Median CPU / the baseline's median CPU. */
  ratio: number;
}

const ms = (n: number): string => n.toFixed(0);

export async function runStartupBench(): Promise<void> {
  const rounds = Number(process.env['BENCH_STARTUP_ROUNDS'] ?? 10);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_STARTUP_ROUNDS must be a positive integer, not ${process.env['BENCH_STARTUP_ROUNDS']}`);
  const jsonPath = resolve(ROOT, process.env['BENCH_STARTUP_JSON'] ?? join('tmp', 'bench', 'startup.json'));
  if (process.env['NODE_OPTIONS']) console.warn(`note: NODE_OPTIONS=${process.env['NODE_OPTIONS']} applies to every command measured`);

  // Warm-up (not counted): checks that each command exits 0 and fills tsx's cache.
  for (const c of COMMANDS) await measure(c.argv);
  const samples = new Map<string, Sample[]>(COMMANDS.map((c) => [c.id, []]));
  for (let round = 0; round < rounds; round++) {
    // Interleaved, starting at a different command each round so none always runs first.
    for (let i = 0; i < COMMANDS.length; i++) {
      const c = COMMANDS[(round + i) % COMMANDS.length]!;
      samples.get(c.id)!.push(await measure(c.argv));
    }
  }

  const baseline = median(samples.get('node')!.map((s) => s.cpuMs));
  const results: StartupResult[] = COMMANDS.map((c) => {
    const s = samples.get(c.id)!;
    const cpu = s.map((x) => x.cpuMs);
    return {
      id: c.id,
      label: c.label,
      argv: c.argv,
      cpuMs: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu), samples: cpu },
      userMsMedian: median(s.map((x) => x.userMs)),
      sysMsMedian: median(s.map((x) => x.sysMs)),
      wallMs: { median: median(s.map((x) => x.wallMs)), samples: s.map((x) => x.wallMs) },
      ratio: median(cpu) / baseline,
    };
  });
  const checks = THRESHOLDS.map((t) => {
    const r = results.find((x) => x.id === t.id)!;
    return { id: t.id, label: r.label, max: t.max, ratio: r.ratio, pass: r.ratio <= t.max };
  });

  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (execFileSync('git', ['status', '--porcelain'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) commit += '+dirty';
  } catch {
    commit = undefined;
  }
  const load = loadavg()[0]!;

  console.log(
    `\nStart-up: CPU (user+sys) of the whole process tree, median of ${rounds} interleaved rounds after 1 warm-up ` +
      `(node ${process.version}, ${cpus().length} CPUs, load ${load.toFixed(2)}${commit ? `, ${commit}` : ''})\n`,
  );
  console.log('| command | CPU median | CPU min–max | wall median | CPU vs `node -e 0` |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(`| \`${r.label}\` | ${ms(r.cpuMs.median)} ms | ${ms(r.cpuMs.min)}–${ms(r.cpuMs.max)} ms | ${ms(r.wallMs.median)} ms | ${r.ratio.toFixed(2)}× |`);
  }
  console.log('');
  for (const c of checks) console.log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.label}: ${c.ratio.toFixed(2)}× node -e 0 (limit ${c.max}×)`);
  for (const plan of results.filter((r) => r.id === 'plan' || r.id === 'plan-run')) {
    console.log(`INFO  ${plan.label}: ${ms(plan.cpuMs.median)} ms CPU, ${ms(plan.wallMs.median)} ms wall (absolute; compare before/after by hand)`);
  }

  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(
    jsonPath,
    JSON.stringify(
      { scenario: 'startup', date: new Date().toISOString(), commit, node: process.version, platform: process.platform, cpus: cpus().length, loadavg1: load, rounds, warmupRounds: 1, cwd: ROOT, results, thresholds: checks },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nJSON: ${jsonPath}`);
}
