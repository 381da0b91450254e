/**
 * Ctrl-C: the first SIGINT cancels, kills the remote processes, cleans their temp dirs and prints
 * what finished; the exit code says the run was interrupted.
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../cli/helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rivet.mjs');

describe('Ctrl-C', () => {
  it('C-15 (better than Bolt, which exits and leaves them running): Ctrl-C stops remote processes, removes temp dirs and prints what finished', async () => {
    const marker = `rivet-ctrlc-${process.pid}-${Date.now()}`;
    const tmp = await makeProject({});
    const cwd = await makeProject({
      'bolt-project.yaml': 'name: ctrlc\n',
      'inventory.yaml': `targets:\n  - localhost\n  - name: other\n    config:\n      transport: local\nconfig:\n  local:\n    tmpdir: ${tmp}\n`,
      'slow.sh': `#!/bin/sh\nif [ "$1" = fast ]; then echo quick; exit 0; fi\nsleep 60 # ${marker}\n`,
    });
    const child = spawn(process.execPath, [BIN, 'script', 'run', 'slow.sh', '-t', 'localhost', '--no-verbose'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Wait until the script is running on the target.
    for (let i = 0; i < 100; i++) {
      const running = (await readdir(tmp)).some((d) => d.startsWith('rivet.'));
      if (running) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await readdir(tmp)).some((d) => d.startsWith('rivet.'))).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toContain('Stopping: canceling remote processes');
    expect(stdout).toContain('Failed on localhost:');
    expect(stdout).toContain('Canceled on localhost');
    expect(stdout).toContain('Failed on 1 target: localhost');
    expect(await readdir(tmp)).toEqual([]);
    const ps = spawn('pgrep', ['-f', marker]);
    const found = await new Promise<string>((resolve) => {
      let out = '';
      ps.stdout.on('data', (d: Buffer) => (out += d.toString()));
      ps.on('exit', () => resolve(out));
    });
    expect(found.trim()).toBe('');
  });
});
