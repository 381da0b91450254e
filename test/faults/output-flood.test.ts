/**
 * Bounded output: one target printing 100 MB keeps the controller under 300 MB RSS in every
 * output format, its value is truncated with a marker, a warning says so, and --stream still
 * prints all of it. Memory is measured on the real binary (GNU time, peak RSS); nothing here
 * depends on how long a run takes.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { BoundedCapture, DEFAULT_MAX_OUTPUT_BYTES } from '../../src/transports/posix/capture.ts';
import { parseByteSize } from '../../src/runtime/output-limit.ts';
import { rivet, makeProject } from '../cli/helpers.ts';
import { rivetWithRss, rivetWithRssSlowReader, rivetWithRssToFile } from './helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

const FLOOD = "head -c 100000000 /dev/zero | tr '\\0' x";
/** The flood, then a file saying it has all been written (the slow reader starts reading then). */
const floodThenMark = (file: string): string => `${FLOOD}; touch ${file}`;
const RSS_LIMIT_KIB = 300 * 1024;

describe('bounded output (100 MB from one target)', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'rivet-flood-'));
  });

  it.each(['json', 'jsonl', 'human'] as const)('X-01: --format %s stays under 300 MB RSS and keeps the first 10 MiB with a marker', async (format) => {
    const r = await rivetWithRss(['command', 'run', FLOOD, '-t', 'localhost', '--format', format], cwd);
    expect(r.code).toBe(0);
    expect(r.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
    const warning = /Output of localhost was truncated at max-output \(10485760 bytes per stream\): 89514240 bytes of stdout not kept/;
    // jsonl carries the warning as a `log` event on stdout; the others print it on stderr.
    if (format === 'jsonl') expect(r.stdout).toMatch(/"type":"log","level":"warn","text":"Output of localhost was truncated/);
    else expect(r.stderr).toMatch(warning);
    if (format === 'json') {
      const doc = JSON.parse(r.stdout) as { items: { value: { stdout: string } }[] };
      const stdout = doc.items[0]?.value.stdout ?? '';
      expect(stdout.startsWith('x'.repeat(1000))).toBe(true);
      expect(stdout).toMatch(/\n\[rivet: output truncated: 89514240 more bytes not kept \(max-output 10485760 bytes\)\]\n$/);
      expect(stdout.length).toBeLessThan(DEFAULT_MAX_OUTPUT_BYTES + 200);
    } else {
      expect(r.stdout).toContain('[rivet: output truncated: 89514240 more bytes not kept');
    }
    process.stderr.write(`[faults] 100 MB flood, --format ${format}: peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB\n`);
  });

  it('--stream prints all 100 MB (in 64 KiB pieces of the unterminated line) to a file under 300 MB RSS', async () => {
    const r = await rivetWithRssToFile(['command', 'run', FLOOD, '-t', 'localhost', '--stream'], cwd, join(cwd, 'stream.txt'));
    expect(r.code).toBe(0);
    expect(r.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
    // Every byte streamed, plus the "[localhost] out: " prefixes and the (truncated) final result.
    expect(r.stdoutBytes).toBeGreaterThan(100_000_000);
    process.stderr.write(`[faults] 100 MB flood, --stream: peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB\n`);
  });

  it('--stream into a pipe read slower than the target writes stays under 300 MB RSS, saying what it did not show', { timeout: 600_000 }, async () => {
    const done = join(cwd, 'slow-human.done');
    const r = await rivetWithRssSlowReader(['command', 'run', floodThenMark(done), '-t', 'localhost', '--stream'], cwd, done);
    expect(r.code).toBe(0);
    expect(r.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
    expect(r.markers.length).toBeGreaterThan(0);
    for (const marker of r.markers) expect(marker).toMatch(/\[localhost\] out: \[rivet: \d+ bytes of live output not shown: stdout was read slower than the target wrote\]$/);
    expect(r.stdout).toMatch(/Successful on 1 target: localhost/);
    process.stderr.write(`[faults] 100 MB flood, --stream into a slow pipe: peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB, ${r.stdoutBytes} bytes shown\n`);
  });

  it('--format jsonl --stream into a slow pipe stays under 300 MB RSS, with a warning event for what it did not show', { timeout: 600_000 }, async () => {
    const done = join(cwd, 'slow-jsonl.done');
    const r = await rivetWithRssSlowReader(['command', 'run', floodThenMark(done), '-t', 'localhost', '--stream', '--format', 'jsonl'], cwd, done);
    expect(r.code).toBe(0);
    expect(r.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
    expect(r.markers.length).toBeGreaterThan(0);
    for (const marker of r.markers) {
      expect(JSON.parse(marker)).toMatchObject({ type: 'log', level: 'warn', text: expect.stringMatching(/^\d+ bytes of live output of localhost not shown: stdout was read slower than the target wrote$/) as unknown });
    }
    process.stderr.write(`[faults] 100 MB flood, --format jsonl --stream into a slow pipe: peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB\n`);
  });

  it('--max-output and the max-output inventory key set the cap; a bad size is a clear error', async () => {
    const flag = await rivet(['command', 'run', 'printf 0123456789', '-t', 'localhost', '--max-output', '4', '--format', 'json'], { cwd });
    const value = flag.json<{ items: { value: { stdout: string } }[] }>().items[0]?.value;
    expect(value?.stdout).toBe('0123\n[rivet: output truncated: 6 more bytes not kept (max-output 4 bytes)]\n');
    expect(flag.stderr).toContain('truncated at max-output (4 bytes per stream)');

    const project = await makeProject({ 'inventory.yaml': 'targets:\n  - name: box\n    config:\n      transport: local\n      local:\n        max-output: 1KiB\n' });
    const key = await rivet(['command', 'run', 'head -c 5000 /dev/zero', '-t', 'box', '--format', 'json'], { cwd: project });
    expect(key.json<{ items: { value: { stdout: string } }[] }>().items[0]?.value.stdout).toContain('3976 more bytes not kept (max-output 1024 bytes)');

    const bad = await rivet(['command', 'run', 'true', '-t', 'localhost', '--max-output', 'lots'], { cwd });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--max-output must be a size in bytes such as 1048576 or 10MiB, got 'lots'");
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const badKey = await makeProject({ 'inventory.yaml': 'targets:\n  - name: box\n    config:\n      transport: local\n      local:\n        max-output: lots\n' });
    const r = await rivet(['command', 'run', 'true', '-t', 'box'], { cwd: badKey });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/inventory\.yaml:\d+: .*max-output: must be a size in bytes/);
  });

  it('BoundedCapture keeps exactly the limit and counts the rest; sizes parse', () => {
    const c = new BoundedCapture(5);
    c.push(Buffer.from('abc'));
    c.push(Buffer.from('defgh'));
    c.push(Buffer.from('ij'));
    expect(c.dropped).toBe(5);
    expect(c.toBuffer().toString()).toBe('abcde\n[rivet: output truncated: 5 more bytes not kept (max-output 5 bytes)]\n');
    expect(parseByteSize('10MiB')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('512k')).toBe(524288);
    expect(parseByteSize(0)).toBeUndefined();
    expect(parseByteSize('1.5M')).toBeUndefined();
  });
});

describe('bounded output over real sshd', () => {
  let server: TestSshServer;
  let project: string;
  beforeAll(async () => {
    server = await startTestSshServer();
    project = await makeProject({
      'inventory.yaml': [
        'targets:',
        '  - name: ssh1',
        '    uri: 127.0.0.2',
        ...sshConfigLines(server, { 'connect-timeout': 60 }),
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => server?.stop());

  it('X-01: 100 MB over SSH (with run-as too) stays under 300 MB RSS and is truncated with a marker', async () => {
    for (const extra of [[], ['--run-as', 'root']]) {
      const r = await rivetWithRss(['command', 'run', FLOOD, '-t', 'ssh1', '--format', 'json', ...extra], project);
      expect(r.code).toBe(0);
      expect(r.maxRssKiB).toBeLessThan(RSS_LIMIT_KIB);
      const stdout = (JSON.parse(r.stdout) as { items: { value: { stdout: string } }[] }).items[0]?.value.stdout ?? '';
      expect(stdout).toMatch(/\n\[rivet: output truncated: 89514240 more bytes not kept \(max-output 10485760 bytes\)\]\n$/);
      process.stderr.write(`[faults] 100 MB flood over ssh ${extra.join(' ')}: peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB\n`);
    }
  });
});
