/**
 * Start-up stays lazy (the packaging issue's "fast start"): the `rivet` binary, on plain node
 * against the build, loads only what the command needs. Checked by the modules a run resolves, not
 * by time (the CPU figures are `npm run bench -- startup`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULE_LOG_PRELOAD } from '../helpers/module-log.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rivet-startup-'));
  await writeFile(join(dir, 'record.mjs'), MODULE_LOG_PRELOAD);
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Runs `rivet ARGS` from the repository (the example project) and returns the module URLs it resolved. */
async function loadedBy(args: string[]): Promise<string[]> {
  const log = join(dir, `${args.join('_').replace(/\W/g, '_')}.log`);
  await new Promise<void>((resolveRun, reject) => {
    execFile(process.execPath, ['--import', join(dir, 'record.mjs'), 'bin/rivet.mjs', ...args], { cwd: ROOT, env: { ...process.env, MODULE_LOG: log } }, (error, _stdout, stderr) =>
      error && error.code !== 1 ? reject(new Error(`rivet ${args.join(' ')} failed: ${stderr}`)) : resolveRun(),
    );
  });
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

const matching = (urls: string[], pattern: RegExp): string[] => urls.filter((url) => pattern.test(url));

describe('rivet start-up', () => {
  it('--version loads no subcommand and no dependency but commander', async () => {
    const urls = await loadedBy(['--version']);
    expect(matching(urls, /\/dist\/cli\/commands\//)).toEqual([]);
    expect(matching(urls, /\/node_modules\/(?!commander\/)/)).toEqual([]);
  });

  it('command run loads neither ajv, tar, ssh2, tsx, codegen, the task step nor other subcommands', async () => {
    const urls = await loadedBy(['command', 'run', 'true', '-t', 'localhost']);
    expect(matching(urls, /\/dist\/transports\/local\//).length).toBeGreaterThan(0);
    expect(matching(urls, /\/node_modules\/(ajv|tar|ssh2|tsx|esbuild)\//)).toEqual([]);
    expect(matching(urls, /\/dist\/(codegen|cli\/commands\/(?!adhoc))/)).toEqual([]);
    expect(matching(urls, /\/dist\/runtime\/steps\/task\.js/)).toEqual([]);
  });

  it('task run loads the task step (so the checks above can see it), and ajv only for types that need it', async () => {
    const urls = await loadedBy(['task', 'run', 'package', 'action=status', 'name=rivet-no-such-package', '-t', 'localhost']);
    expect(matching(urls, /\/dist\/runtime\/steps\/task\.js/).length).toBe(1);
    // package's parameter types (Enum, String, Optional[...]) are checked without ajv
    // (runtime/tasks/simple-schema.ts); the log does see CommonJS modules such as commander.
    expect(matching(urls, /\/node_modules\/ajv\//)).toEqual([]);
    expect(matching(urls, /\/node_modules\/commander\//).length).toBeGreaterThan(0);
  });
});
