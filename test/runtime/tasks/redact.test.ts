import { describe, expect, it } from 'vitest';
import { REDACTED, Sensitive } from '../../../src/core/index.ts';
import { taskResultValue } from '../../../src/runtime/tasks/output.ts';
import { redactDeep, redactParams, redactText, redactValue, secretStrings } from '../../../src/runtime/tasks/redact.ts';

describe('redaction', () => {
  it('T-13: sensitive parameters are masked for logs', () => {
    expect(redactParams({ user: 'bob', password: 'hunter2', token: new Sensitive('t0ken'), deep: [{ s: new Sensitive(1) }] }, ['password'])).toEqual({
      user: 'bob',
      password: REDACTED,
      token: REDACTED,
      deep: [{ s: REDACTED }],
    });
  });

  it('T-36: _sensitive output is masked at the top level only', () => {
    expect(redactValue({ a: 1, _sensitive: { pw: 'x' }, n: { _sensitive: 2 } })).toEqual({ a: 1, _sensitive: REDACTED, n: { _sensitive: 2 } });
  });

  it('secret strings are collected from sensitive params and Sensitive values', () => {
    expect(secretStrings({ password: 'hunter2', pin: 12, short: 'ab', list: new Sensitive(['alpha', 'beta']), user: 'bob' }, ['password', 'pin', 'short'])).toEqual([
      'hunter2',
      'alpha',
      'beta',
    ]);
  });

  it('a secret echoed by a task in _output or an error message does not leak', () => {
    const secrets = secretStrings({ password: 'hunter2' }, ['password']);
    const value = taskResultValue({
      stdout: Buffer.from('{"_sensitive":{"password":"hunter2"},"user":"bob","leak":"password is hunter2"}'),
      stderr: Buffer.alloc(0),
      exitCode: 0,
      task: 'demo::sensitive',
    });
    expect(redactDeep(value, secrets)).toEqual({ _sensitive: REDACTED, user: 'bob', leak: `password is ${REDACTED}` });
    const failed = taskResultValue({ stdout: Buffer.alloc(0), stderr: Buffer.from('bad login hunter2'), exitCode: 1, task: 'demo::sensitive' });
    expect(JSON.stringify(redactDeep(failed, secrets))).not.toContain('hunter2');
    expect(redactText('a hunter2 b hunter2', secrets)).toBe(`a ${REDACTED} b ${REDACTED}`);
    expect(redactText('abcdef', ['abc', 'abcdef'])).toBe(REDACTED);
  });
});
