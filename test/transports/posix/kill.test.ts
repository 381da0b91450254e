/**
 * The pieces of the kill without channel signals (issue 9, point 1): the process group report
 * taken out of stderr ({@link MarkerLine}), its parsing, and the kill script, run against real
 * local process groups.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../src/transports/local/index.ts';
import { MarkerLine } from '../../../src/transports/posix/marker-line.ts';
import { ExecProtocol, killScript, parsePgid } from '../../../src/transports/posix/protocol.ts';
import { makeTarget } from '../../helpers/targets.ts';

const PREFIX = 'RIVET_0123456789abcdef_PGID:';

function feed(filter: MarkerLine, chunks: readonly Buffer[]): string {
  const out = chunks.map((c) => filter.push(c));
  out.push(filter.flush());
  return Buffer.concat(out).toString();
}

describe('MarkerLine', () => {
  it('takes the marker line out, whatever the chunking, and passes the rest through unchanged', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.nat(), { maxLength: 6 }), (before, after, cuts) => {
        const clean = (s: string) => s.replaceAll('RIVET', 'rivet');
        const text = `${clean(before)}${PREFIX}4242\n${clean(after)}`;
        const bytes = Buffer.from(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
        const filter = new MarkerLine(PREFIX);
        expect(feed(filter, chunks)).toBe(`${clean(before)}${clean(after)}`);
        expect(filter.value).toBe('4242');
      }),
    );
  });

  it('does not hold back a sudo prompt (no newline) that is not the marker', () => {
    const filter = new MarkerLine(PREFIX);
    expect(filter.push(Buffer.from('[sudo] rivet RIVET_x password: ')).toString()).toBe('[sudo] rivet RIVET_x password: ');
  });

  it('gives up on a marker line that never ends, and passes it on', () => {
    const filter = new MarkerLine(PREFIX);
    const long = `${PREFIX}${'9'.repeat(5000)}`;
    expect(feed(filter, [Buffer.from(long)])).toBe(long);
    expect(filter.value).toBeUndefined();
  });
});

describe('parsePgid', () => {
  it('accepts a process group id, and nothing that could mean another group', () => {
    expect(parsePgid(' 4242 ')).toBe(4242);
    for (const bad of [undefined, '', '0', '1', '-1', '-4242', '42 43', '4e3', '0x10', '12345678901']) expect(parsePgid(bad)).toBeUndefined();
  });
});

describe('killScript', () => {
  it('refuses group 0, 1 and negative groups (kill -0 would mean "my own group", -1 "every process")', () => {
    for (const bad of [0, 1, -5, 1.5]) expect(() => killScript(bad, 1000, undefined)).toThrow(RangeError);
  });

  it('kills a TERM-ignoring process group with KILL, removes the temp dir, and exits 0 only then', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rivet-killscript-'));
    const group = spawn('/bin/sh', ['-c', "trap '' TERM; sleep 600 & wait"], { detached: true, stdio: 'ignore' });
    const exited = new Promise((resolve) => group.on('exit', resolve));
    const kill = spawn('/bin/sh', ['-c', killScript(group.pid!, 300, dir)], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => kill.on('exit', resolve));
    expect(code).toBe(0);
    await exited;
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('the bootstrap reports the process group it runs in', async () => {
    const protocol = new ExecProtocol();
    const child = spawn('/bin/sh', ['-c', protocol.commandLine(undefined)], { detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(protocol.header({ body: 'true' }));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe(`${protocol.pgidPrefix}${child.pid}\n`);
  });
});

describe('a cancel between the two execs of a task with files (T-19)', () => {
  it('does not start the run, and removes the temp dir the upload made', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'rivet-between-'));
    const src = await mkdtemp(join(tmpdir(), 'rivet-between-src-'));
    await mkdir(join(src, 'mod', 'tasks'), { recursive: true });
    await writeFile(join(src, 'mod', 'tasks', 'run.sh'), '#!/bin/sh\necho ran\n');
    const tar = await import('tar');
    const chunks: Buffer[] = [];
    for await (const chunk of tar.c({ cwd: src, portable: true }, ['mod']) as unknown as AsyncIterable<Buffer>) chunks.push(chunk as Buffer);
    const conn = await new LocalTransport().connect(makeTarget({ name: 'localhost', config: { transport: 'local' } }), { signal: new AbortController().signal });
    const controller = new AbortController();
    let unpacked = 0;
    const r = await conn.runBundle({
      signal: controller.signal,
      tmpdir: tmp,
      archive: Buffer.concat(chunks),
      entry: 'mod/tasks/run.sh',
      input: () => {
        unpacked = readdirSync(tmp).length;
        controller.abort(); // Ctrl-C right after the upload, before the run starts.
        return {};
      },
    });
    await conn.close();
    expect(unpacked).toBe(1);
    expect(r.canceled).toBe(true);
    expect(r.stdout.toString()).toBe('');
    expect(await readdir(tmp)).toEqual([]);
  });
});
