import { describe, expect, it } from 'vitest';
import { Sensitive } from '../../../src/core/index.ts';
import { envVars, stdinJson, taskInput } from '../../../src/runtime/tasks/input.ts';

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
});
