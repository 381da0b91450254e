/**
 * The codegen phases one by one: validate, normalize, emit/format, diff, and the whole pipeline
 * over the fixture modulepath.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffLines } from '../../src/codegen/diff.ts';
import { docComment, formatSource, quoteString, wrap } from '../../src/codegen/format.ts';
import { generateFromSources, generateTaskTypes, readMetadataText, readPlans, taskToIR, validateTasks } from '../../src/codegen/index.ts';
import { BUILTIN_MODULES_DIR } from '../../src/runtime/task-catalog.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MODULES = join(ROOT, 'test', 'fixtures', 'modules');

describe('validate', () => {
  it('an output that is not an object type is an error; the task is left out', () => {
    const task = readMetadataText('x::y', '{"extensions": {"rivet": {"output": "Array[String]"}}}');
    expect(validateTasks([task])).toEqual([
      {
        severity: 'error',
        task: 'x::y',
        file: 'x/tasks/y.json',
        key: 'extensions.rivet.output',
        message: "a task's result value is a JSON object (T-30), so the output must be a Struct, a Hash or an object schema; 'Array[String]' is not",
      },
    ]);
    const { content } = generateFromSources([task], [], { projectDir: ROOT, outFile: join(ROOT, 'x.gen.ts') });
    expect(content).not.toContain("'x::y'");
  });

  it('Variant of Structs and object schemas are objects', () => {
    expect(validateTasks([readMetadataText('a::b', '{"extensions": {"rivet": {"output": "Variant[Struct[{a => String}], Hash[String, Integer]]"}}}')])).toEqual([]);
    expect(validateTasks([readMetadataText('a::c', '{"extensions": {"rivet": {"output": {"anyOf": [{"type": "object"}, {"type": "object", "properties": {}}]}}}}')])).toEqual([]);
  });

  it('unknown keys under extensions.rivet are a warning', () => {
    const [problem] = validateTasks([readMetadataText('a::b', '{"extensions": {"rivet": {"outptu": "Hash"}}}')]);
    expect(problem).toMatchObject({ severity: 'warning', key: 'extensions.rivet', message: "must NOT have additional properties 'outptu' (Rivet reads only 'output')" });
  });
});

describe('normalize', () => {
  it('missing parameters: any; parameters {}: none; metaparameters and defaults', () => {
    expect(taskToIR(readMetadataText('a', '{}')).params).toEqual({ kind: 'any' });
    expect(taskToIR(readMetadataText('a', '{"parameters": {}}')).params).toEqual({ kind: 'declared', params: [] });
    const ir = taskToIR(readMetadataText('a', '{"parameters": {"port": {"type": "Integer[1]", "default": 80}, "name": {"type": "String"}}}'));
    expect(ir.params).toMatchObject({
      kind: 'declared',
      params: [
        { name: 'port', optional: true, defaultJson: '80', lossy: true, puppetType: 'Integer[1]' },
        { name: 'name', optional: false, defaultJson: undefined, lossy: false },
      ],
    });
  });
});

describe('format', () => {
  it('quotes strings as TypeScript single-quoted literals', () => {
    expect(quoteString("it's \"x\"\n\\")).toBe("'it\\'s \"x\"\\n\\\\'");
  });
  it('wraps TSDoc and keeps comment ends out', () => {
    expect(docComment(['short'])).toEqual(['/** short */']);
    expect(docComment(['a */ b'])).toEqual(['/** a *\\/ b */']);
    expect(docComment(['one', '', 'two'])).toEqual(['/**', ' * one', ' *', ' * two', ' */']);
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
  });
  it('normalizes whitespace and blank lines', () => {
    expect(formatSource(['', 'a  ', '', '', '\tb', ''])).toBe('a\n\n  b\n');
  });
});

describe('diff', () => {
  it('is empty for equal texts and shows hunks with context otherwise', () => {
    expect(diffLines('a\nb\n', 'a\nb\n')).toEqual([]);
    expect(diffLines('1\n2\n3\n4\n5\n6\n7\n', '1\n2\n3\nX\n5\n6\n7\n')).toEqual(['@@ line 2 @@', ' 2', ' 3', '-4', '+X', ' 5', ' 6']);
  });
  it('limits its output', () => {
    const many = Array.from({ length: 100 }, (_, i) => `l${i}`).join('\n');
    const out = diffLines(many, many.replace(/l/g, 'm'), 10);
    expect(out).toHaveLength(11);
    expect(out[10]).toMatch(/^\.\.\. \d+ more lines$/);
  });
});

describe('the pipeline over a modulepath', () => {
  it('types every loadable task (built-ins included), reports the broken ones, and is deterministic', async () => {
    const options = { projectDir: ROOT, modulepath: [MODULES], builtinModulesDir: BUILTIN_MODULES_DIR, outFile: join(ROOT, 'out.gen.ts') };
    const a = await generateTaskTypes(options);
    const b = await generateTaskTypes(options);
    expect(a.content).toBe(b.content);
    expect(a.content).toContain("  'package': {");
    expect(a.content).toContain("  'demo::deploy': {");
    expect(a.content).toContain("  'typed::status': {");
    expect(a.content).not.toContain("'broken::bad_default'");
    expect(a.problems.map((p) => p.task)).toEqual(expect.arrayContaining(['broken::bad_default']));
    expect(a.problems.every((p) => p.severity === 'error' && p.task.startsWith('broken::'))).toBe(true);
    // Task names are sorted.
    const names = [...a.content.matchAll(/^ {2}'([^']+)': \{$/gm)].map((m) => m[1]);
    expect(names).toEqual([...names].sort());
  });

  it('finds plans by file name like the plan runtime (project plans, module plans, init)', async () => {
    const plans = await readPlans({ projectDir: join(MODULES, '_project'), projectName: 'proj', modulepath: [MODULES] });
    expect(plans.every((p) => /^[a-z][a-z0-9_]*(::[a-z][a-z0-9_]*)*$/.test(p.name))).toBe(true);
  });

  it('types plans through their own declaration', () => {
    const { content } = generateFromSources([], [{ name: 'site::verify', path: join(ROOT, 'modules/site/plans/verify.ts') }], { projectDir: ROOT, outFile: join(ROOT, '.rivet/tasks.gen.ts') });
    expect(content).toContain("  'site::verify': {\n    params: PlanParams<typeof import('../modules/site/plans/verify.ts').default>;\n    result: PlanReturn<typeof import('../modules/site/plans/verify.ts').default>;\n  };");
    expect(content).toContain("import type { PlanParams, PlanReturn } from 'rivetops';");
  });
});
