/**
 * SIGTERM and SIGHUP to the rivet process behave as Ctrl-C (issue 9, point 4): cancel, kill the
 * remote processes, clean up and print the partial results; with `--format json` stdout is one
 * valid JSON document that lists every target, the canceled ones included. Runs the built CLI
 * (`bin/rivet.mjs`; `npm test` builds it first).
 */
import { execFile, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject } from '../cli/helpers.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rivet.mjs');

interface Envelope {
  items: { target: string; status: string; value: { _error?: { kind: string; msg: string; details: Record<string, unknown> } } }[];
  target_count: number;
}

async function pgrep(pattern: string): Promise<string[]> {
  try {
    const { stdout } = await run('pgrep', ['-f', `^${pattern}$`]); // Anchored: not the rivet process whose argv names it.
    return stdout.trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Starts the CLI, waits (a bounded number of polls) until `pattern` runs, sends `signal`. */
async function runAndSignal(args: string[], cwd: string, pattern: string, signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  for (let i = 0; i < 600 && (await pgrep(pattern)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await pgrep(pattern)).not.toEqual([]);
  child.kill(signal);
  const code = await exited;
  return { code, stdout, stderr };
}

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('SIGTERM and SIGHUP stop a run as Ctrl-C does', () => {
  let server: SshdServer;
  let project: string;
  let remoteTmp: string;

  beforeAll(async () => {
    server = await startSshd();
    remoteTmp = await mkdtemp('/tmp/rivet-fault-signals-');
    await chmod(remoteTmp, 0o1777);
    const targets = [2, 3, 4, 5].map((n) => `      - 127.0.0.${n}`).join('\n');
    project = await makeProject({
      'bolt-project.yaml': 'name: signals\n',
      'inventory.yaml': [
        'groups:',
        '  - name: loop',
        '    targets:',
        targets,
        ...sshConfigLines(server, { tmpdir: remoteTmp }),
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(remoteTmp, { recursive: true, force: true });
  });

  it('SIGTERM mid-run: one JSON document with every target, the running and the queued ones canceled; nothing left on the targets', async () => {
    const sleep = `sleep ${randomInt(100_000_000, 999_999_999)}`;
    // -c 2 on 4 targets: two run the script, two wait in the queue when SIGTERM arrives.
    await writeFile(join(project, 'hang.sh'), `#!/bin/sh\n${sleep}\n`);
    const r = await runAndSignal(['script', 'run', 'hang.sh', '--targets', 'loop', '-c', '2', '--format', 'json'], project, sleep, 'SIGTERM');
    expect(r.stderr).toContain('Stopping: canceling remote processes');
    const doc = JSON.parse(r.stdout) as Envelope; // Throws unless stdout is exactly one JSON document.
    expect(doc.target_count).toBe(4);
    expect(doc.items.map((i) => i.target).sort()).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']);
    for (const item of doc.items) {
      expect(item.status).toBe('failure');
      expect(item.value._error?.kind).toBe('rivet/canceled');
    }
    expect(doc.items.filter((i) => i.value._error?.details['killed'] === true)).toHaveLength(2);
    expect(r.code).toBe(1);
    expect(await pgrep(sleep)).toEqual([]);
    expect(await readdir(remoteTmp)).toEqual([]);
  });

  it('SIGHUP mid-run: human output with the canceled targets, nothing left running', async () => {
    const sleep = `sleep ${randomInt(100_000_000, 999_999_999)}`;
    const r = await runAndSignal(['command', 'run', sleep, '--targets', '127.0.0.2,127.0.0.3'], project, sleep, 'SIGHUP');
    expect(r.stdout).toContain('Canceled on 127.0.0.2; the remote process was killed');
    expect(r.stdout).toContain('Canceled on 127.0.0.3; the remote process was killed');
    expect(r.code).toBe(1);
    expect(await pgrep(sleep)).toEqual([]);
  });
});
