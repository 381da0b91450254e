/**
 * The local transport starts as few processes as a step allows (issue 8, start-up): counted with
 * strace (every execve of the process tree), not timed. A command is one `/bin/sh`; a script is
 * that shell plus the script; an upload as the current user starts none (temp dir, copy, move and
 * cleanup are done with Node's fs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { straceSkipReason } from '../harness/strace.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const STEP = join(ROOT, 'test/fixtures/local-steps/step.ts');

const skip = straceSkipReason();

describe.skipIf(skip !== undefined)('local transport: processes per step (counted with strace)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivet-local-processes-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The programs the step started (execve of its process tree), minus node and tsx's esbuild. */
  async function programsOf(step: string): Promise<string[]> {
    const log = join(dir, `${step}.strace`);
    const run = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, process.execPath, join(ROOT, 'node_modules/tsx/dist/cli.mjs'), STEP, step, dir], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const programs = [...(await readFile(log, 'utf8')).matchAll(/execve\("([^"]+)".*\) = 0$/gm)].map((m) => m[1]!);
    return programs.filter((p) => !/\/node$|\/esbuild$/.test(p));
  }

  it('a command with env vars is one /bin/sh', async () => {
    expect(await programsOf('command')).toEqual(['/bin/sh']);
  }, 180_000);

  it('a script (task file) is /bin/sh and the script: no mkdir, chmod or rm', async () => {
    const programs = await programsOf('script');
    expect(programs).toHaveLength(2);
    expect(programs[0]).toBe('/bin/sh');
    expect(programs[1]).toMatch(/\/rivet\.[0-9a-f]{16}\/s\.sh$/);
  }, 180_000);

  it('an upload as the current user starts no process', async () => {
    expect(await programsOf('upload')).toEqual([]);
    expect(await readFile(join(dir, 'dest.txt'), 'utf8')).toBe('up');
  }, 180_000);
});
