/**
 * Golden tests: `cases/<name>/task.json` in, `cases/<name>/expected.gen.ts` out (task
 * `golden::<name>`). `UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts` rewrites the
 * expected files and prints what changed, for review in the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffLines } from '../../src/codegen/diff.ts';
import { generateFromSources, readMetadataText } from '../../src/codegen/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CASES = join(import.meta.dirname, 'cases');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

/** The declarations for one case, exactly as `rivet types` would write them next to the metadata. */
export function generateCase(name: string): { content: string; problems: unknown[] } {
  const dir = join(CASES, name);
  const file = relative(ROOT, join(dir, 'task.json'));
  const task = readMetadataText(`golden::${name}`, readFileSync(join(dir, 'task.json'), 'utf8'), file);
  return generateFromSources([task], [], { projectDir: ROOT, outFile: join(dir, 'expected.gen.ts') });
}

describe('codegen golden cases', () => {
  const names = readdirSync(CASES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  it('has the cases the issue asks for', () => {
    expect(names).toEqual(expect.arrayContaining(['scalars', 'enums', 'optional_and_defaults', 'collections', 'structs', 'variants', 'sensitive', 'targets_and_aliases', 'no_parameters_key', 'empty_parameters', 'multiple_implementations', 'output_puppet', 'output_schema']));
  });
  it.each(names)('%s', (name) => {
    const { content, problems } = generateCase(name);
    expect(problems).toEqual([]);
    const expectedFile = join(CASES, name, 'expected.gen.ts');
    const expected = existsSync(expectedFile) ? readFileSync(expectedFile, 'utf8') : '';
    if (UPDATE && content !== expected) {
      writeFileSync(expectedFile, content);
      console.log(`updated ${relative(ROOT, expectedFile)}:\n${diffLines(expected, content, 200).join('\n')}`);
      return;
    }
    expect(content, `stale golden file: run UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts`).toBe(expected);
  });
});
