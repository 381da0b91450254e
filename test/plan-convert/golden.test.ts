/** Golden files: each Puppet construct's translation is pinned (cases/<name>/{plan.pp, expected.ts}). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenCases, render } from './golden.ts';

describe('plan convert golden files (regenerate: npx tsx test/plan-convert/regenerate.ts)', () => {
  for (const c of goldenCases()) {
    it(`${c.name}`, () => {
      const { code, todos } = render(c);
      expect(code).toBe(readFileSync(join(c.dir, 'expected.ts'), 'utf8'));
      const todoFile = join(c.dir, 'todos.txt');
      expect(todos).toBe(existsSync(todoFile) ? readFileSync(todoFile, 'utf8') : '');
    });
  }
});
