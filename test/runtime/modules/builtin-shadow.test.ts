/**
 * A module installed into `.modules` with the name of one of Rivet's built-in modules (`facts`,
 * `package`, `service`): `rivet types` must type the same task that `task show` and `task run`
 * pick. Bolt 3.30's order (T-09, `lib/bolt/config/modulepath.rb` `full_modulepath` and
 * `lib/bolt/config.rb` `modulepath`): bolt-modules, the project's modulepath (`modules`), then
 * `.modules`, then Bolt's packaged modules (`facts`, `package`, `service` among them) last. So
 * `.modules/facts` wins over the built-in `facts`, and `modules/facts` over both.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTaskTypes } from '../../../src/codegen/index.ts';
import { loadInventory } from '../../../src/runtime/inventory/index.ts';
import { Runtime } from '../../../src/runtime/runtime.ts';
import { BUILTIN_MODULES_DIR } from '../../../src/runtime/task-catalog.ts';
import { rivet } from '../../cli/helpers.ts';
import { startForge, type ForgeServer } from './forge-server.ts';
import { project, projectYaml } from './helpers.ts';

const task = (from: string): string => `#!/bin/sh\necho '{"from": "${from}"}'\n`;
/** Metadata with a parameter only this copy has, so the generated types show which copy they describe. */
const metadata = (param: string): string => JSON.stringify({ description: `The ${param} copy`, parameters: { [param]: { type: 'Optional[String]' } } });

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content, { mode: 0o755 });
  }
}

/** Which copy each of task show, task run and rivet types picked for `name`. */
async function picks(cwd: string, name: string): Promise<{ shown: string; ran: unknown; typed: string }> {
  const show = await rivet(['task', 'show', name, '--format', 'json'], { cwd });
  expect(show.stderr).toBe('');
  const run = await rivet(['task', 'run', name, '-t', 'localhost', '--format', 'json'], { cwd });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const types = await rivet(['types'], { cwd });
  expect(types.code).toBe(0);
  const generated = await readFile(join(cwd, '.rivet', 'tasks.gen.ts'), 'utf8');
  const entry = new RegExp(`@remarks Metadata: \`([^\`]+)\`\\.\\n\\s+\\*/\\n\\s+'${name}': \\{`).exec(generated);
  return {
    shown: show.json<{ module_dir: string }>().module_dir,
    ran: run.json<{ items: { value: unknown }[] }>().items[0]!.value,
    typed: entry?.[1] ?? 'not typed',
  };
}

describe('T-09: a module in .modules named like a built-in module', () => {
  let forge: ForgeServer;
  let cwd: string;

  beforeAll(async () => {
    forge = await startForge([
      { slug: 'acme-facts', version: '1.0.0', files: { 'tasks/init.sh': task('forge'), 'tasks/init.json': metadata('forge_only') } },
    ]);
    cwd = await project({ 'rivet-project.yaml': projectYaml(forge.url, ['acme/facts']), 'inventory.yaml': 'targets: [localhost]\n' });
    const install = await rivet(['module', 'install'], { cwd });
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await forge?.close();
  });

  it('T-09: the installed module wins over the built-in one in task show, task run and rivet types alike (as in Bolt)', async () => {
    expect(await picks(cwd, 'facts')).toEqual({ shown: join(cwd, '.modules', 'facts'), ran: { from: 'forge' }, typed: '.modules/facts/tasks/init.json' });
    const generated = await readFile(join(cwd, '.rivet', 'tasks.gen.ts'), 'utf8');
    expect(generated).toContain('forge_only?: string');
    // The other built-ins are still the built-in ones.
    expect(generated).toContain('`builtin-modules/package/tasks/init.json`');
    expect((await rivet(['task', 'show', 'package', '--format', 'json'], { cwd })).json<{ module_dir: string }>().module_dir).toBe('built-in module');
  }, 120_000);

  it('T-09: a module of that name in the project modulepath (modules/) wins over both, everywhere', async () => {
    const both = await project({ 'rivet-project.yaml': 'name: site\n', 'inventory.yaml': 'targets: [localhost]\n' });
    await write(both, {
      'modules/facts/tasks/init.sh': task('modules'),
      'modules/facts/tasks/init.json': metadata('modules_only'),
      '.modules/facts/tasks/init.sh': task('dot-modules'),
      '.modules/facts/tasks/init.json': metadata('dot_modules_only'),
    });
    expect(await picks(both, 'facts')).toEqual({ shown: join(both, 'modules', 'facts'), ran: { from: 'modules' }, typed: 'modules/facts/tasks/init.json' });
  }, 120_000);

  it('T-09: a runtime given a modulepath without .modules still searches .modules before the built-ins, as rivet types does', async () => {
    const dir = await project({ 'modules/other/tasks/x.sh': task('other') });
    await write(dir, { '.modules/facts/tasks/init.sh': task('dot-modules'), '.modules/facts/tasks/init.json': metadata('dot_modules_only') });
    const modulepath = [join(dir, 'modules')];
    await using runtime = new Runtime({ inventory: loadInventory({ data: {}, name: 'test' }), projectDir: dir, modulepath });
    expect((await runtime.tasks.load('facts')).moduleDir).toBe(join(dir, '.modules', 'facts'));
    const generated = await generateTaskTypes({ projectDir: dir, modulepath, builtinModulesDir: BUILTIN_MODULES_DIR });
    expect(generated.content).toContain('`.modules/facts/tasks/init.json`');
  }, 60_000);
});
