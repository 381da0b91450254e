import { describe, expect, it } from 'vitest';
import { measure, median, parseDuration, parseTimesLine, parseWrapperOutput } from '../../bench/startup.ts';

describe('start-up bench: parsing times(1)', () => {
  it('reads bash and dash durations in ms', () => {
    expect(parseDuration('0m0.090s')).toBeCloseTo(90);
    expect(parseDuration('0m0.060000s')).toBeCloseTo(60);
    expect(parseDuration('2m1.5s')).toBeCloseTo(121_500);
    expect(parseDuration('0m0,007s')).toBeCloseTo(7);
    expect(parseDuration('0m0s')).toBe(0);
    expect(() => parseDuration('0.09')).toThrow(/times/);
  });

  it('reads a user/sys line', () => {
    expect(parseTimesLine('0m0.080000s 0m0.020000s')).toEqual({ userMs: 80, sysMs: 20 });
    expect(() => parseTimesLine('0m0.080s')).toThrow(/times/);
  });

  it('takes the children (second) line and the wall time from the wrapper output', () => {
    const out = parseWrapperOutput('0m0.003s 0m0.009s\n0m0.125s 0m0.031s\nwall 1700000000.100000 1700000000.262500\n');
    expect(out.userMs).toBeCloseTo(125);
    expect(out.sysMs).toBeCloseTo(31);
    expect(out.wallMs).toBeCloseTo(162.5, 3);
    expect(parseWrapperOutput('0m0.000000s 0m0.000000s\n0m0.060000s 0m0.030000s\n')).toEqual({ userMs: 60, sysMs: 30 });
    expect(() => parseWrapperOutput('0m0.003s 0m0.009s\n')).toThrow(/two lines/);
  });

  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('start-up bench: measuring a process tree', () => {
  it("counts a grandchild's CPU and times the command", async () => {
    // sh -> sh -> a busy loop: the CPU is spent two levels below the wrapper.
    const busy = 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done';
    const s = await measure(['sh', '-c', `sh -c '${busy}'; echo done`]);
    expect(s.cpuMs).toBeGreaterThan(20);
    expect(s.cpuMs).toBeCloseTo(s.userMs + s.sysMs);
    expect(s.wallMs).toBeGreaterThan(0);
  });

  it('fails with the command’s stderr when it exits non-zero', async () => {
    await expect(measure(['sh', '-c', 'echo broken >&2; exit 3'])).rejects.toThrow(/exited with 3; its stderr:\nbroken/);
  });
});
