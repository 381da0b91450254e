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
  return loadedByNode(['bin/rivet.mjs', ...args]);
}

/** Runs `node ARGS` (with the module log) from the repository and returns the module URLs it resolved. */
async function loadedByNode(args: string[]): Promise<string[]> {
  const log = join(dir, `${args.join('_').replace(/\W/g, '_')}.log`);
  await new Promise<void>((resolveRun, reject) => {
    execFile(process.execPath, ['--import', join(dir, 'record.mjs'), ...args], { cwd: ROOT, env: { ...process.env, MODULE_LOG: log } }, (error, _stdout, stderr) =>
      error && error.code !== 1 ? reject(new Error(`node ${args.join(' ')} failed: ${stderr}`)) : resolveRun(),
    );
  });
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

/** What a plain plan run never needs: other plan subcommands and modes, the type checker, the mock environment, JSON output, prompts. */
const NOT_FOR_A_PLAIN_PLAN_RUN = /\/dist\/(cli\/commands\/(plan-convert|durable)|runtime\/plans\/(preview|recording|step-hook|typecheck|testing|index)\.js|cli\/render\/json|cli\/prompt)/;

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

  it('a plan run loads neither the other plan modes, the type checker, the mock environment, JSON output nor prompts', async () => {
    const site = join(dir, 'site-cli');
    const urls = await loadedBy(['plan', 'run', 'example::deploy', `root=${site}`]);
    expect(matching(urls, /\/dist\/runtime\/plans\/run\.js/).length).toBe(1);
    expect(matching(urls, NOT_FOR_A_PLAIN_PLAN_RUN).filter((url) => !/plan-convert|durable/.test(url))).toEqual([]);
  });

  it('a plan file run directly with tsx loads no plan subcommand but run, nor what a plain run never needs', async () => {
    const site = join(dir, 'site-direct');
    const urls = await loadedByNode(['--import', 'tsx', 'plans/deploy.ts', '--targets', 'localhost', `root=${site}`]);
    expect(matching(urls, /\/dist\/cli\/commands\/plan\.js/).length).toBe(1);
    expect(matching(urls, NOT_FOR_A_PLAIN_PLAN_RUN)).toEqual([]);
  });
});
