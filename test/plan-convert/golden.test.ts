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

describe('comments stay comments', () => {
  it('a Puppet comment holding \\r, U+2028 or U+2029 (line breaks to JavaScript, not to Puppet) cannot become code', async () => {
    const { convertPlanSource } = await import('../../src/plan-convert/index.ts');
    const source = [
      'plan demo::inject() {',
      "  # note\rglobalThis.injectedCr = 1",
      "  # note\u2028globalThis.injectedLs = 1",
      "  # note\u2029globalThis.injectedPs = 1",
      "  run_command('true', 'localhost')",
      '}',
      '',
    ].join('\n');
    const { code } = convertPlanSource(source, 'demo/plans/inject.pp');
    const lines = code.split(/\r\n|[\r\n\u2028\u2029]/);
    const injected = lines.filter((l) => l.includes('globalThis.injected'));
    expect(injected).toHaveLength(3);
    for (const line of injected) expect(line.trim().startsWith('//')).toBe(true);
  });
});
