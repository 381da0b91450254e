/**
 * `rivet types`: writes `.rivet/tasks.gen.ts` for the project, `--check` fails with a diff when
 * it is stale, `--watch` regenerates when metadata changes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/render/writer.ts';
import { makeProject, rivet } from '../cli/helpers.ts';

const PROJECT = {
  'rivet-project.yaml': 'name: site\n',
  'tsconfig.json': '{ "include": ["plans", ".rivet/*.ts"] }\n',
  'modules/web/tasks/deploy.json': JSON.stringify({ description: 'Deploy it', parameters: { version: { type: 'String[1]' } } }),
  'modules/web/tasks/deploy.sh': '#!/bin/sh\necho {}\n',
  'tasks/local.sh': '#!/bin/sh\necho {}\n',
};

describe('rivet types', () => {
  it('writes .rivet/tasks.gen.ts with the project, module and built-in tasks', async () => {
    const dir = await makeProject(PROJECT);
    const run = await rivet(['types'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Wrote \.rivet\/tasks\.gen\.ts \(5 tasks, 0 plans\)\.\n$/);
    const content = await readFile(join(dir, '.rivet', 'tasks.gen.ts'), 'utf8');
    for (const name of ['facts', 'package', 'service', 'site::local', 'web::deploy']) expect(content).toContain(`  '${name}': {`);
    expect(content).toContain('      version: string;');
    // Unchanged: not rewritten.
    expect((await rivet(['types'], { cwd: dir })).stdout).toContain('is up to date');
  });

  it('--check: 0 when up to date, 1 with a diff and the command to run when stale or missing', async () => {
    const dir = await makeProject(PROJECT);
    const missing = await rivet(['types', '--check'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('.rivet/tasks.gen.ts does not exist.\nRun `npx rivet types` to regenerate it.\n');
    await rivet(['types'], { cwd: dir });
    expect((await rivet(['types', '--check'], { cwd: dir })).code).toBe(0);
    await writeFile(join(dir, 'modules/web/tasks/deploy.json'), JSON.stringify({ parameters: { version: { type: 'Integer' } } }));
    const stale = await rivet(['types', '--check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('.rivet/tasks.gen.ts is stale:\n@@ line');
    expect(stale.stderr).toContain('-      version: string;');
    expect(stale.stderr).toContain('+      version: number;');
    expect(stale.stderr).toMatch(/Run `npx rivet types` to regenerate it\.\n$/);
  });

  it('reports broken metadata, leaves the task out and exits 1; hints when tsconfig misses .rivet', async () => {
    const dir = await makeProject({
      ...PROJECT,
      'tsconfig.json': '{ "include": ["plans"] }\n',
      'modules/web/tasks/bad.json': '{"parameters": {"x": {"type": "Strng"}}}',
      'modules/web/tasks/bad.sh': '#!/bin/sh\n',
    });
    const run = await rivet(['types'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("parameters.x.type: unknown type 'Strng' at column 1 (did you mean 'String'?) (task web::bad is left out of the types)");
    expect(run.stderr).toContain('Note: tsconfig.json does not include ".rivet/*.ts": add it to "include" so TypeScript sees the types.');
    expect(await readFile(join(dir, '.rivet', 'tasks.gen.ts'), 'utf8')).not.toContain('web::bad');
  });

  it('--out writes elsewhere', async () => {
    const dir = await makeProject(PROJECT);
    expect((await rivet(['types', '--out', 'src/rivet-env.gen.ts'], { cwd: dir })).code).toBe(0);
    expect(await readFile(join(dir, 'src', 'rivet-env.gen.ts'), 'utf8')).toContain("'web::deploy'");
  });

  it('--watch regenerates after a metadata change, until aborted', async () => {
    const dir = await makeProject(PROJECT);
    let out = '';
    const io: CliIO = {
      out: { write: (s) => void (out += s) },
      err: { write: (s) => void (out += s) },
      readStdin: async () => '',
      stdinIsTTY: false,
      env: {},
      cwd: dir,
    };
    const controller = new AbortController();
    const done = runCli(['types', '--watch'], io, controller.signal);
    const file = join(dir, '.rivet', 'tasks.gen.ts');
    const waitFor = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
    };
    await waitFor(async () => out.includes('Watching'));
    await writeFile(join(dir, 'modules/web/tasks/deploy.json'), JSON.stringify({ parameters: { version: { type: 'Boolean' } } }));
    await waitFor(async () => (await readFile(file, 'utf8')).includes('version: boolean;'));
    expect(await readFile(file, 'utf8')).toContain('version: boolean;');
    controller.abort();
    expect(await done).toBe(0);
  });
});
