import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/render/writer.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the CLI in-process with captured output. */
export async function rivet(argv: string[], options: { cwd: string; stdin?: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    out: { write: (s) => void (stdout += s), isTTY: false },
    err: { write: (s) => void (stderr += s), isTTY: false },
    readStdin: async () => options.stdin ?? '',
    stdinIsTTY: false,
    // RIVET_DEFAULTS_DIRS: '': no bolt-defaults.yaml of the machine's (a test reads one by setting it, or undefined with HOME).
    env: { HOME: process.env['HOME'], PATH: process.env['PATH'], RIVET_DEFAULTS_DIRS: '', ...options.env },
    cwd: options.cwd,
  };
  const code = await runCli(argv, io);
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      return JSON.parse(stdout) as T;
    },
  };
}

/** A temp project directory with the given files (path -> content). */
export async function makeProject(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-cli-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}
