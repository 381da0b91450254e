/**
 * Bad input gets a clear error naming the file, key or parameter, never a stack trace or a hang:
 * deep task output, YAML alias cycles and bombs, deep Puppet types, reserved parameter names,
 * oversized environment parameters, and Pattern types against crafted values.
 */
import { describe, expect, it } from 'vitest';
import { parseType, PuppetTypeError, MAX_TYPE_DEPTH } from '../../src/core/puppet-types/index.ts';
import { compileType } from '../../src/runtime/tasks/validate.ts';
import { YamlSource } from '../../src/runtime/inventory/source.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { makeProject, rivet } from '../cli/helpers.ts';

const noStack = (text: string): void => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

const DEEP = 50_000;
const deepTask = `#!/bin/sh\nnode -e "process.stdout.write('{\\"a\\":'.repeat(${DEEP}) + '1' + '}'.repeat(${DEEP}))"\n`;

function project(extra: Record<string, string> = {}): Promise<string> {
  return makeProject({
    'bolt-project.yaml': 'name: faults\n',
    'inventory.yaml': 'targets:\n  - name: one\n    config: { transport: local }\n  - name: two\n    config: { transport: local }\n',
    'modules/demo/tasks/deep.sh': deepTask,
    'modules/demo/tasks/deep.json': '{"input_method": "stdin"}\n',
    'modules/demo/tasks/env.sh': '#!/bin/sh\nprintf "%s" "$PT_blob" | wc -c\n',
    'modules/demo/tasks/env.json': '{"input_method": "environment", "parameters": {"blob": {"type": "String"}}}\n',
    'modules/demo/tasks/free.sh': '#!/bin/sh\necho ok\n',
    'modules/demo/tasks/pattern.sh': '#!/bin/sh\necho ok\n',
    'modules/demo/tasks/pattern.json': '{"parameters": {"name": {"type": "Pattern[/(a+)+$/]"}}}\n',
    ...extra,
  });
}

describe('task output nested past a sane depth (T-30)', () => {
  it.each(['json', 'human', 'jsonl'] as const)('T-30: 50,000-deep JSON is kept as _output on every target, --format %s', async (format) => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::deep', '-t', 'one,two', '--format', format], { cwd });
    noStack(r.stdout + r.stderr);
    expect(r.code).toBe(0);
    if (format === 'json') {
      const doc = r.json<{ items: { target: string; status: string; value: Record<string, unknown> }[] }>();
      expect(doc.items.map((i) => i.target).sort()).toEqual(['one', 'two']);
      for (const item of doc.items) {
        expect(item.status).toBe('success');
        expect(String(item.value['_output']).startsWith('{"a":{"a":')).toBe(true);
      }
    } else if (format === 'jsonl') {
      const finishes = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string }).filter((e) => e.type === 'target_finish');
      expect(finishes).toHaveLength(2);
    } else {
      expect(r.stdout).toContain('Finished on one:');
      expect(r.stdout).toContain('{"a":{"a":');
    }
  });
});

describe('YAML in inventory and project files', () => {
  const cases: Record<string, [string, RegExp]> = {
    'an alias cycle': ['targets:\n  - &x\n    name: a\n    vars: { self: *x }\n', /inventory\.yaml: targets\[0\]\.vars\.self: YAML alias cycle/],
    'an alias bomb': [
      'vars:\n  a: &a [x,x,x,x,x,x,x,x,x,x]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n  f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
      /inventory\.yaml: YAML alias error: Excessive alias count/,
    ],
    'an unknown alias': ['targets: [*nope]\n', /inventory\.yaml: YAML alias error: Unresolved alias/],
    'deep nesting': [`vars: ${'['.repeat(300)}${']'.repeat(300)}\n`, /inventory\.yaml: vars(\[0\])+: YAML nesting is deeper than 200 levels/],
  };
  it.each(Object.entries(cases))('I-10: %s in inventory.yaml is a clear error naming the file', async (_name, [yaml, expected]) => {
    const cwd = await project({ 'inventory.yaml': yaml });
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(expected);
    noStack(r.stderr);
  });

  it('an alias cycle in bolt-project.yaml names that file', async () => {
    const cwd = await project({ 'bolt-project.yaml': 'name: faults\nx: &x\n  y: *x\n' });
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost'], { cwd });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bolt-project\.yaml: x\.y: YAML alias cycle/);
    noStack(r.stderr);
  });

  it('shared (acyclic) aliases still work', () => {
    const src = YamlSource.fromText('a: &a { k: 1 }\nb: *a\nc: [*a, *a]\n', 'x.yaml');
    expect(src.data).toEqual({ a: { k: 1 }, b: { k: 1 }, c: [{ k: 1 }, { k: 1 }] });
    expect(() => YamlSource.fromText('a: &x [*x]\n', 'x.yaml')).toThrow(ConfigError);
  });
});

describe('Puppet types', () => {
  it(`T-13: a type nested 5,000 deep fails with a parse error (limit ${MAX_TYPE_DEPTH})`, () => {
    const text = `${'Array['.repeat(5000)}String${']'.repeat(5000)}`;
    expect(() => parseType(text)).toThrow(PuppetTypeError);
    expect(() => parseType(text)).toThrow(/type nested deeper than 100 levels \(at column 601\)/);
    expect(() => parseType(`${'Array['.repeat(99)}String${']'.repeat(99)}`)).not.toThrow();
  });

  it('T-13: Pattern[/(a+)+$/] against a crafted value answers (linear-time engine)', () => {
    const validate = compileType('Pattern[/(a+)+$/]');
    // The classic catastrophic-backtracking input: a backtracking engine takes exponential time.
    expect(validate(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(validate(`!${'a'.repeat(100_000)}`)).toBe(true);
    expect(validate(`${'a'.repeat(100_000)}!\na`)).toBe(true); // Ruby's $ is a line end
    expect(compileType('Pattern[/\\A[a-z]+\\z/]')('abc')).toBe(true);
    expect(compileType('Pattern[/^b$/]')('a\nb')).toBe(true);
  });

  it('a lookaround or backreference in a Pattern is refused at parse time, naming it', () => {
    expect(() => parseType('Pattern[/a(?=b)/]')).toThrow(/cannot be matched in linear time/);
    expect(() => parseType('Pattern[/(a)\\1/]')).toThrow(PuppetTypeError);
  });

  it('T-13: a task parameter typed Pattern[/(a+)+$/] validates a crafted value through the CLI', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::pattern', '-t', 'one', `name=${'a'.repeat(50_000)}!`, '--format', 'json'], { cwd });
    noStack(r.stderr);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("parameter 'name'");
  });
});

describe('task parameters', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('T-13: %s=1 is refused like any unknown name', async (name) => {
    const cwd = await project();
    for (const task of ['demo::env', 'demo::free']) {
      const r = await rivet(['task', 'run', task, '-t', 'one', `${name}=1`], { cwd });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`has no parameter named '${name}'`);
      noStack(r.stderr);
    }
    const viaJson = await rivet(['task', 'run', 'demo::free', '-t', 'one', '--params', `{"${name}": 1}`], { cwd });
    expect(viaJson.code).not.toBe(0);
    expect(viaJson.stderr).toContain(`has no parameter named '${name}'`);
  });

  it('T-25: a 2 MB parameter with input_method: environment names the parameter and suggests stdin', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::env', '-t', 'one', '--params', JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) }), '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    const item = r.json<{ items: { value: { _error: { msg: string; issue_code: string } } }[] }>().items[0];
    expect(item?.value._error.issue_code).toBe('PARAMETER_TOO_LARGE');
    expect(item?.value._error.msg).toMatch(/Parameter 'blob' is 2097161 bytes as the environment variable PT_blob.*set input_method: stdin/);
    expect(item?.value._error.msg).not.toContain('noexec');
    const small = await rivet(['task', 'run', 'demo::env', '-t', 'one', 'blob=hello', '--format', 'json'], { cwd });
    expect(small.code).toBe(0);
  });
});
