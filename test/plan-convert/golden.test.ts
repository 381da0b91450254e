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

describe('seconds become clean milliseconds', () => {
  it('ctrl::sleep(1.1), wait_time => 0.3 and a computed sleep give 1100, 300 and ms() without float noise', async () => {
    const { convertPlanSource } = await import('../../src/plan-convert/index.ts');
    const { ms } = await import('../../src/sdk/pp.ts');
    const source = ['plan demo::naps(Float $s = 1.1) {', '  ctrl::sleep(1.1)', "  wait_until_available('localhost', wait_time => 0.3)", '  ctrl::sleep($s)', '}', ''].join('\n');
    const { code } = convertPlanSource(source, 'demo/plans/naps.pp');
    expect(code).toContain('.sleep(1100)');
    expect(code).toContain('waitTime: 300');
    expect(code).not.toMatch(/\d\.\d{6,}/);
    expect(ms(1.1)).toBe(1100);
    expect(ms(0.3)).toBe(300);
    expect(ms(2)).toBe(2000);
  });
});
