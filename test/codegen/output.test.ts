/**
 * Typed results at runtime: `extensions.rivet.output` is read from metadata (a Puppet type or a
 * JSON Schema) and each target's value is checked against it in the task step.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseType } from '../../src/core/puppet-types/index.ts';
import { loadInventory } from '../../src/runtime/inventory/index.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { parseTaskMetadata } from '../../src/runtime/tasks/metadata.ts';
import { INVALID_OUTPUT_KIND, checkTaskOutput, parseOutputDecl } from '../../src/runtime/tasks/validate.ts';
import { LocalTransport } from '../../src/transports/local/index.ts';

const MODULES = join(import.meta.dirname, '..', 'fixtures', 'modules');

describe('extensions.rivet.output in metadata', () => {
  it('reads a Puppet type string', () => {
    const { metadata } = parseTaskMetadata('{"extensions": {"rivet": {"output": "Struct[{ok => Boolean}]"}}}', 'x.json');
    expect(metadata.output).toEqual({ type: parseType('Struct[{ok => Boolean}]'), text: 'Struct[{ok => Boolean}]' });
  });

  it('reads a JSON Schema object', () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    expect(parseTaskMetadata(JSON.stringify({ extensions: { rivet: { output: schema } } }), 'x.json').metadata.output).toEqual({ schema });
  });

  it('ignores other extensions and keeps them as written', () => {
    const { metadata } = parseTaskMetadata('{"extensions": {"discovery": {"x": 1}, "rivet": {}}}', 'x.json');
    expect(metadata.output).toBeUndefined();
    expect(metadata.extensions).toEqual({ discovery: { x: 1 }, rivet: {} });
  });

  it.each([
    ['"Strng"', "x.json: extensions.rivet.output: unknown type 'Strng' at column 1 (did you mean 'String'?)"],
    ['5', 'x.json: extensions.rivet.output: expects a Puppet type string or a JSON Schema object, got 5'],
    ['{"type": "nonsense"}', 'x.json: extensions.rivet.output: is not a valid JSON Schema: '],
  ])('rejects output %s with a message naming the key', (output, message) => {
    expect(() => parseTaskMetadata(`{"extensions": {"rivet": {"output": ${output}}}}`, 'x.json')).toThrow(message);
  });
});

describe('checkTaskOutput', () => {
  const decl = parseOutputDecl('Struct[{name => String, state => Enum[running, stopped]}]');
  it('accepts a matching value and explains a mismatch', () => {
    if (typeof decl === 'string') throw new Error(decl);
    expect(checkTaskOutput('demo::x', decl, { name: 'a', state: 'running' })).toBeUndefined();
    expect(checkTaskOutput('demo::x', decl, { name: 'a', state: 'gone' })).toBe(
      "demo::x returned a value that does not match its declared output: entry 'state' expects an Enum['running', 'stopped'], got \"gone\"",
    );
  });

  it('explains a JSON Schema mismatch with the path', () => {
    const schema = parseOutputDecl({ type: 'object', properties: { count: { type: 'integer', minimum: 0 } }, required: ['count'] });
    if (typeof schema === 'string') throw new Error(schema);
    expect(checkTaskOutput('demo::y', schema, { count: 2 })).toBeUndefined();
    expect(checkTaskOutput('demo::y', schema, { count: -1 })).toBe('demo::y returned a value that does not match its declared output (JSON Schema): /count must be >= 0, got {"count":-1}');
  });
});

describe('the task step validates declared output (local transport)', () => {
  const inventory = loadInventory({ data: { targets: ['localhost'] }, name: 'test' });
  const runtime = new Runtime({ inventory, projectDir: MODULES, modulepath: [MODULES], transports: { local: new LocalTransport() } });
  afterAll(() => runtime.close());

  it('a value matching the declared Puppet type passes through', async () => {
    const set = await runtime.runTask('typed::status', 'localhost', { name: 'nginx' });
    expect(set.first?.value).toEqual({ name: 'nginx', state: 'running', pid: 42 });
    expect(set.ok).toBe(true);
  });

  it('a mismatch fails that target with rivet/invalid-task-output', async () => {
    const set = await runtime.runTask('typed::status', 'localhost', { name: 'bad' });
    expect(set.ok).toBe(false);
    const error = set.first?.value['_error'] as { kind: string; msg: string; details: Record<string, unknown> };
    expect(error.kind).toBe(INVALID_OUTPUT_KIND);
    expect(error.msg).toBe(
      "typed::status returned a value that does not match its declared output: entry 'state' expects an Enum['running', 'stopped'], got \"exploded\"",
    );
    expect(error.details['value']).toEqual({ name: 'bad', state: 'exploded' });
  });

  it('JSON Schema output: valid and invalid values', async () => {
    expect((await runtime.runTask('typed::schema', 'localhost', { count: 3 })).first?.value).toEqual({ count: 3, items: ['a'] });
    const bad = await runtime.runTask('typed::schema', 'localhost', { count: -2 });
    expect((bad.first?.value['_error'] as { msg: string }).msg).toBe(
      'typed::schema returned a value that does not match its declared output (JSON Schema): /count must be >= 0, got {"count":-2,"items":["a"]}',
    );
  });

  it('a task that fails keeps its own error (the output is not checked)', async () => {
    const set = await runtime.runTask('demo::fail', 'localhost');
    expect((set.first?.value['_error'] as { kind: string }).kind).toBe('puppetlabs.tasks/task-error');
  });
});
