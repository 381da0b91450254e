/**
 * Multi-byte characters in the CLI's live output (C-06 `--stream`, `--format jsonl`): a character
 * whose bytes arrive in two chunks prints whole, a stream ending inside a character prints one
 * U+FFFD, and results (`--format json`) agree; `--max-output` never cuts a character in two before
 * its marker. The command waits, after the first half of '€', for a gate file the test creates
 * when the line before it appears on Rivet's stdout (one `printf`, so one chunk): the split is
 * certain, with no timing involved.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/render/writer.ts';
import { makeProject } from './helpers.ts';

const PROJECT = { 'bolt-project.yaml': 'name: demo\n', 'inventory.yaml': 'targets:\n  - localhost\n' };

/** Runs the CLI in-process; `onOut` sees stdout as it is written. */
async function rivetLive(argv: string[], cwd: string, onOut: (sofar: string) => void = () => {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: { write: (s) => (void (stdout += s), onOut(stdout)), isTTY: false },
    err: { write: (s) => void (stderr += s), isTTY: false },
    readStdin: async () => '',
    stdinIsTTY: false,
    env: { HOME: process.env['HOME'], PATH: process.env['PATH'], RIVET_DEFAULTS_DIRS: '' },
    cwd,
  };
  return { code: await runCli(argv, io), stdout, stderr };
}

/** Shell: waits for `gate` to exist (a bounded count of tries: a gate never opened fails the test, never hangs it). */
function waitFor(gate: string): string {
  return `i=0; until [ -e '${gate}' ] || [ $i -ge 1200 ]; do sleep 0.05; i=$((i+1)); done`;
}

/** 'start', then the first two bytes of '€' in the same write; the last byte once the gate exists. */
function splitEuro(gate: string): string {
  return `printf 'start\\n\\342\\202'; ${waitFor(gate)}; printf '\\254 end\\n'`;
}

function gateOn(gate: string, seen: string): (sofar: string) => void {
  return (sofar) => {
    if (sofar.includes(seen)) writeFileSync(gate, '');
  };
}

describe('live output of multi-byte characters', () => {
  it('C-06: --stream prints a character split across two chunks whole', async () => {
    const cwd = await makeProject(PROJECT);
    const gate = join(cwd, 'gate');
    const r = await rivetLive(['command', 'run', splitEuro(gate), '-t', 'localhost', '--stream', '--no-verbose'], cwd, gateOn(gate, '[localhost] out: start'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[localhost] out: start\n[localhost] out: € end\n');
    expect(r.stdout).not.toContain('\ufffd');
  }, 60_000);

  it('--format jsonl --stream: the target_output texts, joined, are the exact output', async () => {
    const cwd = await makeProject(PROJECT);
    const gate = join(cwd, 'gate');
    const r = await rivetLive(['command', 'run', splitEuro(gate), '-t', 'localhost', '--format', 'jsonl', '--stream'], cwd, gateOn(gate, '"text":"start'));
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; text?: string; result?: { value: Record<string, unknown> } });
    const output = events.filter((e) => e.type === 'target_output');
    expect(output.length).toBeGreaterThanOrEqual(2);
    expect(output.map((e) => e.text).join('')).toBe('start\n€ end\n');
    // The result, decoded from all of its bytes, says the same.
    expect(events.find((e) => e.type === 'target_finish')!.result!.value['stdout']).toBe('start\n€ end\n');
  }, 60_000);

  it('--stream: output that ends inside a character prints exactly one U+FFFD', async () => {
    const cwd = await makeProject(PROJECT);
    const gate = join(cwd, 'gate');
    // Two of the three bytes of '€', in two chunks.
    const command = `printf 'x\\na\\342'; ${waitFor(gate)}; printf '\\202'`;
    const r = await rivetLive(['command', 'run', command, '-t', 'localhost', '--stream', '--no-verbose'], cwd, gateOn(gate, '[localhost] out: x'));
    expect(r.stdout).toContain('[localhost] out: x\n[localhost] out: a\ufffd\n');
    expect(r.stdout.match(/\ufffd/g)).toHaveLength(1);
  }, 60_000);

  it('--max-output inside a character keeps whole characters before the marker, counting bytes', async () => {
    const cwd = await makeProject(PROJECT);
    // 'ab€cd' is 7 bytes; a limit of 3 falls inside '€'.
    const r = await rivetLive(['command', 'run', "printf 'ab\\342\\202\\254cd'", '-t', 'localhost', '--max-output', '3', '--format', 'json'], cwd);
    const value = (JSON.parse(r.stdout) as { items: { value: Record<string, unknown> }[] }).items[0]!.value;
    expect(value['stdout']).toBe('ab\n[rivet: output truncated: 5 more bytes not kept (max-output 3 bytes)]\n');
    expect(r.stderr).toContain('5 bytes of stdout not kept');
  }, 60_000);
});
