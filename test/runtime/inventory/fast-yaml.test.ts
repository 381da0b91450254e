/**
 * Issue 13: inventories, project files and lock files are read by a fast reader (js-yaml's
 * events) when they are in the plain subset of YAML, and by the `yaml` Document (positions,
 * exact errors) otherwise. Both must give the same data, and every error the `yaml` reader's.
 * Counts readers through `yamlReadCounts` (no wall-clock budgets).
 */
import { describe, it, expect } from 'vitest';
import { stringify } from 'yaml';
import { generateInventory } from '../../../bench/inventory.ts';
import { readPlainYaml } from '../../../src/runtime/inventory/fast-yaml.ts';
import { loadInventory } from '../../../src/runtime/inventory/index.ts';
import { YamlSource, yamlReadCounts } from '../../../src/runtime/inventory/source.ts';

/** Valid YAML the fast reader takes: scalars of every core-schema form, styles, layouts. */
const PLAIN: string[] = [
  '',
  '# only a comment\n',
  '---\n',
  '--- \n...\n',
  'a: 012\nb: 0o17\nc: 0x1F\nd: -0x1F\ne: +12\nf: 1_000\ng: 0b101\nh: 12345678901234567890\n',
  'a: 1e3\nb: 1.5e-3\nc: .5\nd: 1.\ne: -.inf\nf: .NaN\ng: 1.0\nh: 0.5.1\ni: 1E+3\nj: +.INF\nk: .INf\nl: -0\n',
  'a: yes\nb: No\nc: ON\nd: off\ne: y\nf: n\ng: Yes\nh: yES\ni: true\nj: True\nk: TRUE\nl: tRue\n',
  'a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\n',
  'a: 2024-01-01\nb: 12:30:00\nc: "1"\nd: \'yes\'\n',
  'a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  x\nd: |+\n  x\n\ne: |2\n   x\n',
  'a: "esc \\t \\u00e9 \\x41 \\n \\U0001F600"\nb: \'it\'\'s\'\nc: multi\n  line plain\nd: "a\\\n  b"\n',
  'a: [1, two, {b: c}]\nb: {x: 1,\n  y: 2}\nc: [b, c,]\nd: []\ne: {}\n',
  '{a: 1, b: [x, y]}\n',
  '- a\n- - 1\n  - 2\n- k: v\n-\n',
  '__proto__: {x: 1}\nb:\n  __proto__: 1\n  toString: 2\n',
  '? a\n: b\n"": x\n',
  'key with spaces: v\na: b #comment\nc: b#not\nd: x:y\n',
  '\ufeffa: 1\nb: x\r\nc: é\n',
  '- &a x\n- y\n',
  'a: x\n...\n',
];

/** Valid YAML outside the subset: read by the `yaml` Document. */
const DECLINED: string[] = [
  '1: a\n',
  '~: a\n',
  'true: a\n',
  'on: push\n',
  '[a, b]: c\n',
  'a: &x 1\nb: *x\n',
  'target: &t\n  name: a\nlist: [*t, *t]\n',
  'a: !!str 1\nb: ! 12\nc: !!map\n',
  'a: !custom x\n',
  '%YAML 1.1\n---\na: yes\n',
  '<<: {a: 1}\nb: 2\n',
  `? ${'k'.repeat(1100)}\n: v\n`,
  `{${'k'.repeat(1100)}: v}\n`,
];

/** Invalid YAML, including what js-yaml alone would accept (a key over 1024 characters). */
const INVALID: string[] = [
  'a: [1\n',
  'a: 1\na: 2\n',
  "a: 1\n'a': 2\n",
  'a: 1\n---\nb: 2\n',
  'a:\n\t- b\n',
  'a: b: c\n',
  "a: 'x' y\n",
  'a: @x\n',
  'a: *nope\n',
  'a: "\\q"\n',
  `${'k'.repeat(1100)}: v\n`,
  `"${'k'.repeat(1100)}": v\n`,
  `- ${'k'.repeat(1100)}: v\n`,
  `a: ${'['.repeat(300)}${']'.repeat(300)}\n`,
];

function outcome(read: () => YamlSource): { data: unknown } | { error: string } {
  try {
    return { data: read().data };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('the fast YAML reader (issue 13)', () => {
  it.each(PLAIN.map((text) => [JSON.stringify(text).slice(0, 60), text]))('reads %s as the yaml reader does', (_label, text) => {
    const fast = readPlainYaml(text);
    expect(fast).toBeDefined();
    expect(fast?.data).toEqual(YamlSource.fromTextWithPositions(text, 'x.yaml').data);
  });

  it.each(DECLINED.map((text) => [JSON.stringify(text).slice(0, 60), text]))('leaves %s to the yaml reader', (_label, text) => {
    expect(readPlainYaml(text)).toBeUndefined();
    expect(outcome(() => YamlSource.fromText(text, 'x.yaml'))).toEqual(outcome(() => YamlSource.fromTextWithPositions(text, 'x.yaml')));
  });

  it.each(INVALID.map((text) => [JSON.stringify(text).slice(0, 60), text]))('reports %s with the yaml reader’s error', (_label, text) => {
    expect(readPlainYaml(text)).toBeUndefined();
    const reference = outcome(() => YamlSource.fromTextWithPositions(text, 'x.yaml'));
    expect(reference).toHaveProperty('error');
    expect(outcome(() => YamlSource.fromText(text, 'x.yaml'))).toEqual(reference);
  });

  it('I-10: a valid inventory is read once, by the fast reader; lines are read only for an error', () => {
    const text = stringify(generateInventory(100));
    const before = yamlReadCounts();
    const inv = loadInventory({ text, name: 'inventory.yaml' });
    expect(inv.getTargets('dc3-rack*', { cli: true })).toHaveLength(7);
    expect(yamlReadCounts()).toEqual({ plain: before.plain + 1, positioned: before.positioned });

    const bad = text.replace('port: 2250', 'port: "abc"');
    expect(() => loadInventory({ text: bad, name: 'inventory.yaml' })).toThrow(/^inventory\.yaml:\d+: groups\[5\]\.groups\[0\]\.targets\[0\]\.config\.ssh\.port: must be an integer port/);
    expect(yamlReadCounts()).toEqual({ plain: before.plain + 2, positioned: before.positioned + 1 });
  });

  it('line lookups on a fast-read text parse its positions once', () => {
    const before = yamlReadCounts();
    const src = YamlSource.fromText('version: 2\ntargets:\n  - web1\n  - web2\n', 'inventory.yaml');
    expect(yamlReadCounts().positioned).toBe(before.positioned);
    expect(src.lineOf(['targets', 1])).toBe(4);
    expect(src.fail(['targets', 0], 'bad', 'k').message).toBe('inventory.yaml:3: targets[0]: bad');
    expect(yamlReadCounts().positioned).toBe(before.positioned + 1);
  });
});
