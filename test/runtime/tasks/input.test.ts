import { describe, expect, it } from 'vitest';
import { Sensitive } from '../../../src/core/index.ts';
import { MAX_ENV_ENTRY_BYTES, assertEnvFits, envVars, stdinJson, taskInput } from '../../../src/runtime/tasks/input.ts';

const params = { name: 'web', count: 5, on: true, list: ['a'], obj: { x: 1 }, none: null, secret: new Sensitive('hunter2'), _task: 'demo::x' };

describe('parameter delivery', () => {
  it('T-24: stdin is one JSON object with params and metaparams, Sensitive unwrapped', () => {
    expect(JSON.parse(stdinJson(params))).toEqual({ name: 'web', count: 5, on: true, list: ['a'], obj: { x: 1 }, none: null, secret: 'hunter2', _task: 'demo::x' });
  });

  it('T-25: PT_ variables: strings raw, everything else JSON, null → "null"', () => {
    expect(envVars(params)).toEqual({
      PT_name: 'web',
      PT_count: '5',
      PT_on: 'true',
      PT_list: '["a"]',
      PT_obj: '{"x":1}',
      PT_none: 'null',
      PT_secret: 'hunter2',
      PT__task: 'demo::x',
    });
    expect(envVars({ nested: { s: new Sensitive('p') } })).toEqual({ PT_nested: '{"s":"p"}' });
  });

  it('T-14: input methods', () => {
    const p = { a: 'x' };
    expect(taskInput(p, 'both')).toEqual({ stdin: '{"a":"x"}', env: { PT_a: 'x' }, params: p });
    expect(taskInput(p, 'stdin')).toEqual({ stdin: '{"a":"x"}', env: {}, params: p });
    expect(taskInput(p, 'environment')).toEqual({ stdin: undefined, env: { PT_a: 'x' }, params: p });
    expect(taskInput(p, 'powershell')).toEqual({ stdin: undefined, env: {}, params: p });
  });

  it('T-25: a PT_ variable the kernel would refuse names the parameter and suggests stdin', () => {
    expect(() => taskInput({ blob: 'x'.repeat(MAX_ENV_ENTRY_BYTES) }, 'environment')).toThrow(/Parameter 'blob' is \d+ bytes as the environment variable PT_blob.*input_method: stdin/);
    expect(() => taskInput({ blob: 'x'.repeat(MAX_ENV_ENTRY_BYTES) }, 'stdin')).not.toThrow();
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`p${i}`, 'x'.repeat(100_000)]));
    expect(() => assertEnvFits(envVars(many), 'both')).toThrow(/more than 1048576 bytes \(the largest is 'p\d+'\)/);
    expect(() => taskInput({ small: 'x' }, 'environment')).not.toThrow();
  });
});
