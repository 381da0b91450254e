/**
 * The vendored plans (Bolt's documentation examples, Forge modules' plans, Bolt's own plan
 * fixtures: test/fixtures/puppet-plans) converted: how many convert with no TODO, and every one of
 * those type-checks with tsc against Rivet's SDK (untyped task registry: the corpus has no task
 * metadata). The figures are pinned so that a regression shows; raise them as the translator grows.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { convertCorpus } from './corpus.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the package, so that `rivetops` resolves to this build through the package's exports.
const OUT = join(ROOT, 'tmp', 'plan-convert-corpus');

describe('Bolt documentation and Forge plans converted', () => {
  it('convert with no TODO (docs, Forge, Bolt fixtures) and the output type-checks', { timeout: 600_000 }, async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const entries = convertCorpus(OUT);
    const count = (group: string, outcome: string) => entries.filter((e) => e.group === group && e.outcome === outcome).length;
    // Documentation: 70 code blocks; 12 are not plans (fragments) and 11 are not valid Puppet
    // (snippets with `...`). Of the 47 plans, the ones left with a TODO use apply blocks,
    // PuppetDB, Hiera or run_container.
    expect({ docs: count('docs', 'clean'), forge: count('forge', 'clean'), bolt: count('bolt', 'clean') }).toEqual({ docs: 29, forge: 5, bolt: 114 });
    expect(count('forge', 'todo')).toBe(0);
    for (const e of entries.filter((x) => x.outcome === 'todo')) {
      for (const t of e.todos) expect(t).toMatch(/^\S+:\d+: /);
    }
    writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, noUnusedLocals: false }, include: ['*.ts'], exclude: [] }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = await promisify(execFile)(process.execPath, [tsc, '-p', join(OUT, 'tsconfig.json')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    const failing = new Set([...run.matchAll(/plan(\d+)\.ts\(/g)].map((m) => m[1]));
    const byGroup = (group: string) => entries.filter((e) => e.group === group && e.outcome === 'clean' && !failing.has(/plan(\d+)\.ts$/.exec(e.out!)![1]!)).length;
    // Type-checking: the few that fail pass possibly-undefined values (an Optional parameter, a
    // hash lookup) where a step wants a TargetSpec or a command; Bolt would fail at run time.
    expect({ docs: byGroup('docs'), forge: byGroup('forge'), bolt: byGroup('bolt') }).toEqual({ docs: 27, forge: 5, bolt: 108 });
  });
});
