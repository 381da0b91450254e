/**
 * Runs one client command (Rivet, a peer, the floor) as a measured process tree: wall time, CPU of
 * every process the command started (daemons included) and peak memory.
 *
 * How: when cgroup v1 `cpuacct` and `memory` hierarchies are writable (root on these machines),
 * each run gets fresh child cgroups (under this process's own memory cgroup, so limits still
 * apply): `sh -c 'echo $$ > cgroup.procs; exec "$@"'` moves the command in before it starts, and
 * `cpuacct.usage` / `memory.max_usage_in_bytes` give the whole tree's CPU and peak memory (the
 * latter includes page cache the tree touched). Without cgroups, the CPU comes from
 * `/proc/self/stat` (cutime + cstime: every child this process waited for, with their waited-for
 * descendants) and the peak memory is not known.
 *
 * Server CPU: the sshd listener's own and reaped children's CPU (`/proc/<pid>/stat`, utime +
 * stime + cutime + cstime), read before and after: every per-connection sshd and session shell
 * is reaped through it.
 *
 * @example
 * ```ts
 * const m = await runMeasured(['ssh', 'host', 'true'], { cwd: '/tmp' });
 * console.log(m.cpuMs, m.wallMs, m.peakMb);
 * ```
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CLK_TCK = 100;

export interface Measurement {
  wallMs: number;
  /** Client CPU (user + sys) of the whole process tree. */
  cpuMs: number;
  /** Peak memory of the tree in MB (cgroup), or undefined without cgroups. */
  peakMb: number | undefined;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The cgroup v1 directory of this process for `controller`, or undefined. */
function ownCgroup(controller: string): string | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[1]?.split(',').includes(controller));
    if (!line) return undefined;
    const dir = join('/sys/fs/cgroup', controller, line.split(':')[2] ?? '/');
    return dir;
  } catch {
    return undefined;
  }
}

let cgroupProbe: boolean | undefined;
let counter = 0;

/** Makes a fresh child cgroup under our own for `controller`; undefined when not possible. */
function makeCgroup(controller: string): string | undefined {
  const parent = ownCgroup(controller);
  if (!parent) return undefined;
  const dir = join(parent, `rivet-bench-${process.pid}-${++counter}`);
  try {
    mkdirSync(dir);
    return dir;
  } catch {
    return undefined;
  }
}

function removeCgroup(dir: string | undefined): void {
  if (!dir) return;
  // A process that outlived the command (a daemon) keeps the cgroup busy for a moment.
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      const until = Date.now() + 20;
      while (Date.now() < until) {
        /* spin briefly: rmdir is retried */
      }
    }
  }
}

/** True when per-run cgroups work here (checked once). */
export function cgroupsAvailable(): boolean {
  if (cgroupProbe === undefined) {
    const cpu = makeCgroup('cpuacct');
    cgroupProbe = cpu !== undefined;
    removeCgroup(cpu);
  }
  return cgroupProbe;
}

/** utime + stime + cutime + cstime of `pid` in ms (the process and its reaped children). */
export function treeCpuMs(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command name start at field 3 (state); utime is field 14.
  const at = (n: number): number => Number(fields[n - 3]);
  return ((at(14) + at(15) + at(16) + at(17)) * 1000) / CLK_TCK;
}

function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[16 - 3]) + Number(fields[17 - 3])) * 1000) / CLK_TCK;
}

/** Runs `argv` measured (see the module doc). `stdin` is written to the command's stdin. */
export async function runMeasured(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number } = {}): Promise<Measurement> {
  const cpuGroup = cgroupsAvailable() ? makeCgroup('cpuacct') : undefined;
  const memGroup = cpuGroup ? makeCgroup('memory') : undefined;
  const procsFiles = [cpuGroup, memGroup].filter((d): d is string => d !== undefined).map((d) => join(d, 'cgroup.procs'));
  const enter = procsFiles.map((f) => `echo $$ > '${f}'`).join('; ');
  const command = enter ? ['/bin/sh', '-c', `${enter}; exec "$@"`, 'measured', ...argv] : argv;
  const childrenBefore = childrenCpuMs();
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout.length < 1_000_000 ? (stdout += d.toString()) : undefined));
  child.stderr.on('data', (d: Buffer) => (stderr.length < 1_000_000 ? (stderr += d.toString()) : undefined));
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  const wallMs = performance.now() - started;
  let cpuMs: number;
  let peakMb: number | undefined;
  if (cpuGroup) {
    cpuMs = Number(readFileSync(join(cpuGroup, 'cpuacct.usage'), 'utf8')) / 1e6;
    if (memGroup) peakMb = Number(readFileSync(join(memGroup, 'memory.max_usage_in_bytes'), 'utf8')) / 1024 / 1024;
    // Processes still in the cgroups (daemons) go back to ours before removal.
    for (const [group, controller] of [[cpuGroup, 'cpuacct'], [memGroup, 'memory']] as const) {
      if (!group) continue;
      const parent = ownCgroup(controller)!;
      for (const pid of readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(parent, 'cgroup.procs'), pid);
        } catch {
          /* it exited */
        }
      }
      removeCgroup(group);
    }
  } else {
    cpuMs = childrenCpuMs() - childrenBefore;
  }
  return { wallMs, cpuMs, peakMb, exitCode, stdout, stderr };
}
