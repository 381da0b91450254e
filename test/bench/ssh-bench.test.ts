/**
 * `npm run bench -- ssh` in a tiny mode (2 targets, 1 round, a 1 MB upload, a 20 ms RTT section):
 * proves the bench runs end to end against the peers installed here and writes its table. No
 * timing asserts: only that every tool ran every workload and the report names them.
 */
import { describe, expect, it } from 'vitest';
import { markdown, runSshBench, WORKLOADS } from '../../bench/ssh.ts';
import { parseBenchArgs } from '../../bench/run.ts';
import { sshdSkipReason } from '../harness/sshd.ts';

describe('npm run bench: arguments', () => {
  it('reads the mode and options, with defaults', () => {
    const parsed = parseBenchArgs(['ssh', '--targets', '500', '--peers', 'pssh', '--rtt', '0']);
    expect(parsed.mode).toBe('ssh');
    expect(parsed.ssh).toMatchObject({ targets: 500, rounds: 3, concurrency: 100, rttMs: 0, peers: ['pssh'], workloads: WORKLOADS, uploadMb: 10 });
    expect(parseBenchArgs([]).mode).toBe('all');
    expect(parseBenchArgs(['ssh', '--threads', '3']).ssh.threads).toBe(3);
    expect(parseBenchArgs(['startup']).mode).toBe('startup');
  });

  it('rejects a bad mode, count or name', () => {
    expect(() => parseBenchArgs(['fast'])).toThrow(/unknown bench mode "fast"/);
    expect(() => parseBenchArgs(['--targets', '1001'])).toThrow(/--targets must be an integer from 1 to 1000/);
    expect(() => parseBenchArgs(['--workloads', 'command,nap'])).toThrow(/--workloads: unknown "nap"/);
  });
});

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('npm run bench -- ssh (tiny)', () => {
  it('runs every workload for Rivet and the floor, the installed peers too, and writes the table', async () => {
    const lines: string[] = [];
    const result = await runSshBench(
      { targets: 2, rounds: 1, concurrency: 2, rttMs: 20, rttTargets: 2, workloads: WORKLOADS, peers: ['ssh', 'pssh', 'ansible'], uploadMb: 1, threads: 2 },
      (line) => lines.push(line),
    );
    for (const workload of WORKLOADS) {
      const tools = result.rows.filter((r) => r.section === 'loopback' && r.workload === workload).map((r) => r.tool);
      expect(tools).toEqual(expect.arrayContaining(['floor', 'rivet']));
    }
    const peersRun = new Set(result.rows.map((r) => r.tool));
    for (const peer of ['ssh', 'pssh', 'ansible']) {
      expect(peersRun.has(peer as never) || result.skipped.some((s) => s.startsWith(peer))).toBe(true);
    }
    expect(result.rows.filter((r) => r.section === '20 ms RTT').map((r) => `${r.workload}/${r.tool}`)).toEqual(
      expect.arrayContaining(['command/floor', 'command/rivet', 'plan/rivet', 'plan/rivet-5-runs']),
    );
    for (const row of result.rows) expect(row.cpuPerTargetMs.median).toBeGreaterThan(0);
    const table = markdown(result);
    expect(table).toMatch(/\| loopback \| command \| rivet \| 2 \|/);
    expect(table).toMatch(/each further plan step took/);
    // Rivet with worker threads, next to Rivet in one thread, for commands and tasks.
    for (const workload of ['command', 'task'] as const) {
      expect(result.rows.some((r) => r.section === 'loopback' && r.workload === workload && r.tool === 'rivet-threads')).toBe(true);
    }
    expect(table).toMatch(/Rivet with 2 worker threads vs floor: \d/);
  }, 900_000);
});
