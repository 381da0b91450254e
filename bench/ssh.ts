/**
 * The SSH part of `npm run bench`: Rivet against real peers on the same sshd, in the same run.
 *
 * Set-up (root: the sshd harness makes test users whose login shell is /bin/sh, so sessions get a
 * clean environment without root's shell start-up files): OpenSSH sshd from test/harness/sshd.ts
 * on a free loopback port; N targets at 127.0.1.1, 127.0.1.2, ... (distinct addresses, one
 * server); one known_hosts file, one client key and one OpenSSH client config shared by every tool;
 * an empty HOME for every tool. With an RTT, a latency proxy (bench/latency-proxy.ts) in front of
 * the sshd and the targets go through it.
 *
 * Tools (a missing one is skipped and reported): `floor` (bench/floor.mjs, ssh2 with nothing
 * else), `rivet` (`node bin/rivet.mjs`, the built CLI), `ssh` (OpenSSH via `xargs -P`), `pssh`
 * (Debian `pssh`: parallel-ssh / parallel-scp), `ansible` (Debian `ansible-core`, `-m raw`,
 * ControlMaster off: one-shot runs, and every process stays in the measured tree). All get the
 * same concurrency. The tools run interleaved, one after the other, for R rounds, starting at a
 * different tool each round.
 *
 * @module
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runMeasured, treeCpuMs, cgroupsAvailable, type Measurement } from './measure.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PROJECT = join(ROOT, 'bench', 'project');

export type Workload = 'command' | 'task' | 'task-files' | 'plan' | 'upload';
export const WORKLOADS: readonly Workload[] = ['command', 'task', 'task-files', 'plan', 'upload'];
export type Tool = 'floor' | 'rivet' | 'rivet-threads' | 'rivet-1-step' | 'rivet-5-runs' | 'ssh' | 'pssh' | 'ansible';

export interface SshBenchOptions {
  targets: number;
  rounds: number;
  concurrency: number;
  /** Extra section through the latency proxy with this RTT in ms (0: none). */
  rttMs: number;
  /** Targets in the RTT section. */
  rttTargets: number;
  workloads: readonly Workload[];
  /** Peers to try (floor and rivet always run). */
  peers: readonly ('ssh' | 'pssh' | 'ansible')[];
  /** Size of the upload in MB. */
  uploadMb: number;
  /** Write `node --cpu-prof` profiles of the floor and Rivet runs here (one directory per workload and tool). */
  cpuProfDir?: string | undefined;
  /** Worker threads of the `rivet-threads` tool (`--threads N`); `rivet` itself runs with `--threads off`. */
  threads: number;
}

export interface Row {
  section: string;
  workload: Workload;
  tool: Tool;
  targets: number;
  wallMs: { median: number; min: number; max: number };
  /** Client CPU per target (ms). */
  cpuPerTargetMs: { median: number; min: number; max: number };
  /** sshd CPU per target (ms). */
  serverCpuPerTargetMs: number;
  peakMb: number | undefined;
}

export interface SshBenchResult {
  machine: string;
  node: string;
  options: SshBenchOptions;
  cpuAccounting: string;
  skipped: string[];
  rows: Row[];
}

function which(cmd: string): boolean {
  try {
    execFileSync('/bin/sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function address(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Describes this machine for the report. */
export function machine(): string {
  const list = cpus();
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr?.trim() ?? 'ssh not installed';
  return `${list.length} x ${list[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg()[0]!.toFixed(1)}; node ${process.version}; ${ssh.split('\n')[0]}`;
}

interface Link {
  label: string;
  hosts: { host: string; port: number }[];
}

export async function runSshBench(options: SshBenchOptions, log: (line: string) => void = console.log): Promise<SshBenchResult> {
  if (process.getuid?.() !== 0) throw new Error('the SSH part of npm run bench needs root (its sshd makes test users); `npm run bench -- startup` does not');
  const { startSshd } = await import('../test/harness/sshd.ts');
  const skipped: string[] = [];
  const peers = options.peers.filter((peer) => {
    const cmd = peer === 'pssh' ? 'parallel-ssh' : peer;
    if (which(cmd)) return true;
    skipped.push(`${peer} (${cmd} not installed: apt-get install ${peer === 'ansible' ? 'ansible-core' : peer === 'ssh' ? 'openssh-client' : 'pssh'})`);
    return false;
  });
  const sshd = await startSshd({ maxSessions: 50, lastAddress: 1 });
  const work = await mkdtemp(join(tmpdir(), 'rivet-bench-'));
  let proxy: ReturnType<typeof spawn> | undefined;
  try {
    const home = join(work, 'home');
    await mkdir(home);
    const sshdPid = Number(readFileSync(join(sshd.dir, 'sshd.pid'), 'utf8').trim());

    const links: Link[] = [{ label: 'loopback', hosts: Array.from({ length: options.targets }, (_, i) => ({ host: address(i), port: sshd.port })) }];
    if (options.rttMs > 0) {
      proxy = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'latency-proxy.ts'), String(sshd.port), String(options.rttMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const port = await new Promise<number>((res) => proxy!.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
      links.push({ label: `${options.rttMs} ms RTT`, hosts: Array.from({ length: options.rttTargets }, () => ({ host: '127.0.0.1', port })) });
    }
    const knownHosts = join(work, 'known_hosts');
    const khNames = new Set<string>();
    for (const link of links) for (const h of link.hosts) khNames.add(`[${h.host}]:${h.port}`);
    await writeFile(knownHosts, [...khNames].map((n) => `${n} ${sshd.hostPublicKey}`).join('\n') + '\n');
    const sshConfig = join(work, 'ssh_config');
    await writeFile(
      sshConfig,
      [
        'Host *',
        `  User ${sshd.user}`,
        `  IdentityFile ${sshd.clientKeyPath}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking yes',
        '  BatchMode yes',
        '  LogLevel ERROR',
        '  ControlMaster no',
        '  ConnectTimeout 60',
        '',
      ].join('\n'),
    );
    const upload = join(work, 'upload.bin');
    execFileSync('head', ['-c', String(options.uploadMb * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', openSync(upload, 'w'), 'inherit'] });
    const remoteUpload = `/tmp/rivet-bench-upload-${process.pid}`;
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ANSIBLE_SSH_ARGS: `-F ${sshConfig}`, ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_FORKS: String(options.concurrency) };
    const rows: Row[] = [];

    for (const link of links) {
      const n = link.hosts.length;
      const names = link.hosts.map((_, i) => `t${i}`);
      const inventory = join(work, `inventory-${rows.length}.yaml`);
      await writeFile(
        inventory,
        JSON.stringify({
          config: { transport: 'ssh', ssh: { user: sshd.user, 'private-key': sshd.clientKeyPath, 'known-hosts-file': knownHosts, 'connect-timeout': 60 } },
          targets: link.hosts.map((h, i) => ({ name: names[i], uri: `${h.host}:${h.port}` })),
        }),
      );
      const floorSpec = async (extra: Record<string, unknown>): Promise<string> => {
        const path = join(work, `floor-${Math.random().toString(36).slice(2)}.json`);
        await writeFile(
          path,
          JSON.stringify({ targets: link.hosts.map((h, i) => ({ ...h, index: i })), user: sshd.user, keyPath: sshd.clientKeyPath, hostKey: sshd.hostPublicKey, concurrency: options.concurrency, command: 'true', ...extra }),
        );
        return path;
      };
      const hostsFile = join(work, `hosts-${rows.length}`);
      await writeFile(hostsFile, link.hosts.map((h) => `${h.host}:${h.port}`).join('\n') + '\n');
      const xargsSsh = join(work, `xargs-ssh-${rows.length}`);
      await writeFile(xargsSsh, link.hosts.map((h) => `-p ${h.port} ${h.host} true`).join('\n') + '\n');
      const xargsScp = join(work, `xargs-scp-${rows.length}`);
      await writeFile(xargsScp, link.hosts.map((h, i) => `-P ${h.port} ${upload} ${h.host}:${remoteUpload}.${i}`).join('\n') + '\n');
      const ansibleInv = join(work, `ansible-${rows.length}.ini`);
      await writeFile(ansibleInv, link.hosts.map((h, i) => `${names[i]} ansible_host=${h.host} ansible_port=${h.port}`).join('\n') + '\n');
      const node = (tool: string, workload: string): string[] =>
        options.cpuProfDir === undefined ? [process.execPath] : [process.execPath, '--cpu-prof', '--cpu-prof-dir', join(options.cpuProfDir, `${link.label.replace(/\W+/g, '-')}-${workload}-${tool}`)];
      const rivetIn = (tool: string, threads: string, ...args: string[]): string[] => [
        ...node(tool, args.slice(0, 3).join('-')),
        join(ROOT, 'bin', 'rivet.mjs'),
        ...args,
        '-i',
        inventory,
        '--project',
        PROJECT,
        '--concurrency',
        String(options.concurrency),
        '--threads',
        threads,
        '--format',
        'json',
        '--no-verbose',
      ];
      // `rivet`: one thread, whatever N (auto would turn threads on from 200 SSH targets).
      const rivet = (...args: string[]): string[] => rivetIn('rivet', 'off', ...args);
      const rivetThreads = (...args: string[]): string[] => rivetIn('rivet-threads', String(options.threads), ...args);
      const c = String(options.concurrency);

      const plans: Partial<Record<Workload, Partial<Record<Tool, string[]>>>> = {
        command: {
          floor: [...node('floor', 'command'), join(ROOT, 'bench', 'floor.mjs'), await floorSpec({})],
          rivet: rivet('command', 'run', 'true', '-t', 'all'),
          'rivet-threads': rivetThreads('command', 'run', 'true', '-t', 'all'),
          ssh: ['xargs', '-P', c, '-L', '1', 'ssh', '-F', sshConfig, '-n'],
          pssh: ['parallel-ssh', '-h', hostsFile, '-p', c, '-t', '0', '-x', `-F ${sshConfig}`, 'true'],
          ansible: ['ansible', 'all', '-i', ansibleInv, '-m', 'raw', '-a', 'true', '-f', c],
        },
        task: {
          floor: [...node('floor', 'task'), join(ROOT, 'bench', 'floor.mjs'), await floorSpec({})],
          rivet: rivet('task', 'run', 'bench::hello', '-t', 'all'),
          'rivet-threads': rivetThreads('task', 'run', 'bench::hello', '-t', 'all'),
        },
        'task-files': {
          floor: [...node('floor', 'task-files'), join(ROOT, 'bench', 'floor.mjs'), await floorSpec({})],
          rivet: rivet('task', 'run', 'bench::with_files', '-t', 'all'),
        },
        plan: {
          floor: [...node('floor', 'plan'), join(ROOT, 'bench', 'floor.mjs'), await floorSpec({ steps: 5 })],
          rivet: rivet('plan', 'run', 'bench::steps', 'targets=all', 'steps=5'),
          // The same plan with one step: the difference is four further steps, start-up excluded.
          'rivet-1-step': rivet('plan', 'run', 'bench::steps', 'targets=all', 'steps=1'),
          'rivet-5-runs': ['/bin/sh', '-c', `for i in 1 2 3 4 5; do "$@" >/dev/null || exit 1; done`, 'five', ...rivet('command', 'run', 'true', '-t', 'all')],
        },
        upload: {
          floor: [...node('floor', 'upload'), join(ROOT, 'bench', 'floor.mjs'), await floorSpec({ upload: { local: upload, remote: remoteUpload } })],
          rivet: rivet('file', 'upload', upload, remoteUpload, '-t', 'all'),
          ssh: ['xargs', '-P', c, '-L', '1', 'scp', '-q', '-F', sshConfig],
          pssh: ['parallel-scp', '-h', hostsFile, '-p', c, '-t', '0', '-x', `-F ${sshConfig}`, upload, remoteUpload],
        },
      };
      for (const workload of options.workloads) {
        // Through the proxy, the CPU is not the point: only the wall-time workloads that show round trips.
        if (link.label !== 'loopback' && workload !== 'command' && workload !== 'plan') continue;
        const tools = Object.entries(plans[workload] ?? {}).filter(([tool]) => tool === 'floor' || tool.startsWith('rivet') || (peers as string[]).includes(tool)) as [Tool, string[]][];
        const samples = new Map<Tool, { m: Measurement; server: number }[]>();
        for (let round = 0; round < options.rounds; round++) {
          for (let k = 0; k < tools.length; k++) {
            const [tool, argv] = tools[(k + round) % tools.length]!;
            // xargs reads its argument lines from stdin.
            const stdin = tool === 'ssh' ? readFileSync(workload === 'upload' ? xargsScp : xargsSsh, 'utf8') : undefined;
            const serverBefore = treeCpuMs(sshdPid);
            const m = await runMeasured(argv, { cwd: work, env, ...(stdin === undefined ? {} : { stdin }) });
            await new Promise((r) => setTimeout(r, 200)); // let sshd reap the last sessions
            const server = treeCpuMs(sshdPid) - serverBefore;
            if (m.exitCode !== 0) throw new Error(`${tool} (${workload}, ${link.label}) exited with ${m.exitCode}:\n${m.stderr.slice(0, 2000)}\n${failures(m.stdout)}`);
            if (!samples.has(tool)) samples.set(tool, []);
            samples.get(tool)!.push({ m, server });
            log(`  ${link.label} ${workload} ${tool} round ${round + 1}: ${(m.wallMs / 1000).toFixed(2)} s, ${(m.cpuMs / n).toFixed(1)} ms CPU/target`);
          }
        }
        for (const [tool, list] of samples) {
          const peaks = list.map((s) => s.m.peakMb).filter((v): v is number => v !== undefined);
          rows.push({
            section: link.label,
            workload,
            tool,
            targets: n,
            wallMs: stats(list.map((s) => s.m.wallMs)),
            cpuPerTargetMs: stats(list.map((s) => s.m.cpuMs / n)),
            serverCpuPerTargetMs: stats(list.map((s) => s.server / n)).median,
            peakMb: peaks.length ? Math.max(...peaks) : undefined,
          });
        }
      }
    }
    execFileSync('/bin/sh', ['-c', `rm -f ${remoteUpload} ${remoteUpload}.*`]);
    return {
      machine: machine(),
      node: process.version,
      options,
      cpuAccounting: cgroupsAvailable() ? 'cgroup v1 cpuacct + memory per run (whole process tree)' : '/proc/self/stat cutime+cstime (waited-for process tree; no peak memory)',
      skipped,
      rows,
    };
  } finally {
    proxy?.kill('SIGTERM');
    await sshd.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** The failed targets of Rivet's JSON output (count and the first few errors), else the output's start. */
function failures(stdout: string): string {
  try {
    const items = (JSON.parse(stdout) as { items?: { target: string; status: string; value: { _error?: { msg?: string } } }[] }).items ?? [];
    const failed = items.filter((i) => i.status !== 'success');
    return `${failed.length} of ${items.length} targets failed:\n${failed
      .slice(0, 10)
      .map((i) => `  ${i.target}: ${i.value._error?.msg ?? JSON.stringify(i.value).slice(0, 300)}`)
      .join('\n')}`;
  } catch {
    return stdout.slice(0, 2000);
  }
}

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** The markdown tables: one row per tool and workload, then the ratios the issue's targets name. */
export function markdown(result: SshBenchResult): string {
  const lines: string[] = [];
  lines.push(`Machine: ${result.machine}  `);
  lines.push(`Client CPU: ${result.cpuAccounting}; server CPU: sshd listener incl. reaped children. Medians of ${result.options.rounds} rounds (min-max), concurrency ${result.options.concurrency}.  `);
  if (result.skipped.length) lines.push(`Skipped: ${result.skipped.join('; ')}  `);
  lines.push('');
  lines.push('| link | workload | tool | N | wall | client CPU / target | x floor CPU | x floor wall | sshd CPU / target | peak MB |');
  lines.push('|---|---|---|---:|---|---|---:|---:|---:|---:|');
  for (const row of result.rows) {
    const floor = result.rows.find((r) => r.section === row.section && r.workload === row.workload && r.tool === 'floor');
    lines.push(
      `| ${row.section} | ${row.workload} | ${row.tool} | ${row.targets} | ${fmt(row.wallMs.median)} (${fmt(row.wallMs.min)}-${fmt(row.wallMs.max)}) | ` +
        `${row.cpuPerTargetMs.median.toFixed(2)} ms (${row.cpuPerTargetMs.min.toFixed(2)}-${row.cpuPerTargetMs.max.toFixed(2)}) | ` +
        `${floor ? (row.cpuPerTargetMs.median / floor.cpuPerTargetMs.median).toFixed(2) : '-'} | ${floor ? (row.wallMs.median / floor.wallMs.median).toFixed(2) : '-'} | ` +
        `${row.serverCpuPerTargetMs.toFixed(2)} | ${row.peakMb === undefined ? '-' : row.peakMb.toFixed(0)} |`,
    );
  }
  lines.push('');
  lines.push(...ratios(result).map((l) => `- ${l}`));
  return lines.join('\n') + '\n';
}

/** The issue's targets as sentences with the measured ratios. */
export function ratios(result: SshBenchResult): string[] {
  const get = (section: string, workload: Workload, tool: Tool): Row | undefined => result.rows.find((r) => r.section === section && r.workload === workload && r.tool === tool);
  const out: string[] = [];
  const cpu = (r: Row | undefined): number | undefined => r?.cpuPerTargetMs.median;
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const floorCmd = cpu(get('loopback', 'command', 'floor'));
  out.push(`Rivet \`command\` client CPU vs floor: ${ratio(cpu(get('loopback', 'command', 'rivet')), floorCmd)} (target <= 1.2x)`);
  out.push(`Rivet \`task\` (no files) client CPU vs floor: ${ratio(cpu(get('loopback', 'task', 'rivet')), cpu(get('loopback', 'task', 'floor')))} (target <= 1.3x)`);
  out.push(`Rivet \`task\` with files client CPU vs floor: ${ratio(cpu(get('loopback', 'task-files', 'rivet')), cpu(get('loopback', 'task-files', 'floor')))}`);
  for (const peer of ['pssh', 'ansible', 'ssh'] as const) {
    const p = cpu(get('loopback', 'command', peer));
    if (p !== undefined) out.push(`${peer} client CPU per target is ${ratio(p, cpu(get('loopback', 'command', 'rivet')))} Rivet's (target: pssh >= 10x, ansible >= 15x)`);
  }
  const w = (r: Row | undefined): number | undefined => r?.wallMs.median;
  out.push(`Wall time, \`command\` on ${get('loopback', 'command', 'rivet')?.targets ?? '?'} targets, Rivet vs floor: ${ratio(w(get('loopback', 'command', 'rivet')), w(get('loopback', 'command', 'floor')))} (target <= 1.15x at 500)`);
  const threaded = get('loopback', 'command', 'rivet-threads');
  if (threaded !== undefined) {
    out.push(
      `Wall time, \`command\` on ${threaded.targets} targets, Rivet with ${result.options.threads} worker threads vs floor: ${ratio(w(threaded), w(get('loopback', 'command', 'floor')))} ` +
        `(vs Rivet in one thread: ${ratio(w(threaded), w(get('loopback', 'command', 'rivet')))}; target: below 1.00x at 1,000)`,
    );
  }
  const rtt = result.options.rttMs;
  if (rtt > 0) {
    const s = `${rtt} ms RTT`;
    const cmd = w(get(s, 'plan', 'rivet-1-step'));
    const plan = w(get(s, 'plan', 'rivet'));
    const fcmd = w(get(s, 'command', 'floor'));
    const fplan = w(get(s, 'plan', 'floor'));
    if (cmd !== undefined && plan !== undefined) {
      const step = (plan - cmd) / 4;
      out.push(`At ${rtt} ms RTT, each further plan step took ${step.toFixed(0)} ms = ${(step / rtt).toFixed(2)} RTT (target 2 RTT; wall of the 5-step plan ${fmt(plan)} minus the 1-step plan ${fmt(cmd)}, over 4)`);
    }
    if (fcmd !== undefined && fplan !== undefined) out.push(`Floor at ${rtt} ms RTT: each further exec took ${((fplan - fcmd) / 4).toFixed(0)} ms = ${((fplan - fcmd) / 4 / rtt).toFixed(2)} RTT`);
    const five = w(get(s, 'plan', 'rivet-5-runs'));
    if (five !== undefined && plan !== undefined) out.push(`5-step plan vs five separate runs at ${rtt} ms RTT: ${(five / plan).toFixed(2)}x faster (target >= 3x)`);
  }
  return out;
}
