/**
 * Generated files in the repository are current: the example project's `.rivet/tasks.gen.ts`
 * (what `rivet types` writes for the repo root) and the type tests' `test/types/tasks-fixture.gen.ts`.
 * `UPDATE_GOLDEN=1` rewrites them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typesOptions } from '../../src/cli/commands/types.ts';
import { diffLines } from '../../src/codegen/diff.ts';
import { generateTaskTypes, type GenerateOptions } from '../../src/codegen/index.ts';
import { findProject } from '../../src/runtime/project.ts';
import { BUILTIN_MODULES_DIR } from '../../src/runtime/task-catalog.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

async function expectCurrent(options: GenerateOptions, fix: string, broken: (task: string) => boolean = () => false): Promise<void> {
  const { path, content, problems } = await generateTaskTypes(options);
  expect(problems.filter((p) => !broken(p.task))).toEqual([]);
  let committed = '';
  try {
    committed = readFileSync(path, 'utf8');
  } catch {
    // missing: stale
  }
  if (UPDATE && committed !== content) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  else if (committed !== content) expect.fail(`${path} is stale: ${fix}\n${diffLines(committed, content).join('\n')}`);
}

describe('generated files are current', () => {
  it('the example project: .rivet/tasks.gen.ts', async () => {
    const project = findProject({ cwd: ROOT, env: {} });
    await expectCurrent(typesOptions(project), 'run `npx rivet types` and commit the result');
  });

  it('the type tests: test/types/tasks-fixture.gen.ts', async () => {
    await expectCurrent(
      {
        projectDir: ROOT,
        modulepath: [join(ROOT, 'test', 'fixtures', 'modules')],
        builtinModulesDir: BUILTIN_MODULES_DIR,
        outFile: 'test/types/tasks-fixture.gen.ts',
        sdkModule: './tasks-sdk.ts',
        plans: false,
      },
      'run `UPDATE_GOLDEN=1 npx vitest run test/codegen/drift.test.ts`',
      // The fixture module `broken` is broken on purpose.
      (task) => task.startsWith('broken::'),
    );
  });
});
