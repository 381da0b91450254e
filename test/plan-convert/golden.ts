/**
 * Golden cases of the translator: `cases/<name>/plan.pp` (or `plan.yaml`) and the TypeScript it
 * becomes, `expected.ts`, plus `todos.txt` when constructs are left as TODO.
 * Regenerate after an intended change: `npx tsx test/plan-convert/regenerate.ts`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertPlanSource, todoReport } from '../../src/plan-convert/index.ts';

export const CASES = fileURLToPath(new URL('./cases', import.meta.url));

export interface GoldenCase {
  name: string;
  dir: string;
  source: string;
  file: string;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(CASES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(CASES, name);
      const file = existsSync(join(dir, 'plan.yaml')) ? 'plan.yaml' : 'plan.pp';
      return { name, dir, file, source: readFileSync(join(dir, file), 'utf8') };
    });
}

/** The generated TypeScript and the TODO report of a case. */
export function render(c: GoldenCase): { code: string; todos: string } {
  const result = convertPlanSource(c.source, `${c.name}/${c.file}`, { name: c.file === 'plan.yaml' ? `golden::${c.name.replace(/-/g, '_')}` : undefined });
  return { code: result.code, todos: result.todos.length ? `${todoReport(result.todos)}\n` : '' };
}
