import { describe, expect, it } from 'vitest';
import { REDACTED, Result, Sensitive, type Target } from '../../../src/core/index.ts';
import { MAX_OUTPUT_DEPTH, NOEXEC_HINT, commandResultValue, jsonDepthAtMost, rubyInspect, scrubUtf8, taskResultValue } from '../../../src/runtime/tasks/output.ts';

const none = Buffer.alloc(0);
const run = (stdout: string | Buffer, exitCode: number | null, stderr: string | Buffer = none, extra: object = {}) =>
  taskResultValue({ stdout: typeof stdout === 'string' ? Buffer.from(stdout) : stdout, stderr: typeof stderr === 'string' ? Buffer.from(stderr) : stderr, exitCode, task: 'demo::t', ...extra });

describe('task output', () => {
  it('T-30: a JSON object on stdout is the value', () => {
    expect(run('{"a": 1, "b": [true]}\n', 0)).toEqual({ a: 1, b: [true] });
  });

  it('T-30: anything else is {_output}', () => {
    expect(run('hello\n', 0)).toEqual({ _output: 'hello\n' });
    expect(run('[1, 2]', 0)).toEqual({ _output: '[1, 2]' });
    expect(run('42', 0)).toEqual({ _output: '42' });
    expect(run('"s"', 0)).toEqual({ _output: '"s"' });
    expect(run('null', 0)).toEqual({ _output: 'null' });
    expect(run('{"a": ', 0)).toEqual({ _output: '{"a": ' });
    expect(run('', 0)).toEqual({ _output: '' });
    expect(run('\uFEFF{"a":1}', 0)).toEqual({ _output: '\uFEFF{"a":1}' });
  });

  it('T-31: invalid UTF-8 on stdout is a task error', () => {
    expect(run(Buffer.from([0xff, 0xfe, 0x20, 0x61]), 0)).toEqual({
      _error: { kind: 'puppetlabs.tasks/task-error', issue_code: 'TASK_ERROR', msg: 'The task result contained invalid UTF-8 on stdout', details: {} },
    });
    // the invalid-UTF-8 error wins over a non-zero exit
    expect((run(Buffer.from([0xc3]), 4)['_error'] as { msg: string }).msg).toBe('The task result contained invalid UTF-8 on stdout');
  });

  it('T-32: non-zero exit with empty stdout and stderr', () => {
    expect(run('', 5)).toEqual({
      _output: '',
      _error: { kind: 'puppetlabs.tasks/task-error', issue_code: 'TASK_ERROR', msg: 'The task failed with exit code 5 and no output', details: { exit_code: 5 } },
    });
  });

  it('T-32: non-zero exit with empty stdout and some stderr', () => {
    expect(run('', 3, 'something went wrong\n')['_error']).toEqual({
      kind: 'puppetlabs.tasks/task-error',
      issue_code: 'TASK_ERROR',
      msg: 'The task failed with exit code 3 and no stdout, but stderr contained:\nsomething went wrong\n',
      details: { exit_code: 3 },
    });
  });

  it('T-32: non-zero exit with stdout', () => {
    expect(run('partial output\n', 2, 'and an error\n')).toEqual({
      _output: 'partial output\n',
      _error: { kind: 'puppetlabs.tasks/task-error', issue_code: 'TASK_ERROR', msg: 'The task failed with exit code 2', details: { exit_code: 2 } },
    });
    expect(run('{"a":1}', 1)).toMatchObject({ a: 1, _error: { msg: 'The task failed with exit code 1' } });
  });

  it('T-32: details carry the plan step file/line', () => {
    expect(run('', 1, '', { location: { file: 'plans/x.ts', line: 7 } })['_error']).toMatchObject({ details: { file: 'plans/x.ts', line: 7, exit_code: 1 } });
  });

  it('T-32: killed by a signal', () => {
    expect((run('', null, '', { signal: 'SIGKILL' })['_error'] as { msg: string; details: object }).msg).toBe('The task failed with exit code null (killed by signal SIGKILL) and no output');
  });

  it('T-33: _error with exit 0 is still a failure', () => {
    const value = run('{"_error": {"kind": "demo/failed", "msg": "it broke", "details": {"why": "testing"}}}', 0);
    expect(value).toEqual({ _error: { kind: 'demo/failed', msg: 'it broke', details: { why: 'testing' } } });
    const target = { name: 'web1' } as Target;
    expect(new Result({ target, action: 'task', value }).ok).toBe(false);
  });

  it('T-33: a task _error is kept as is on a non-zero exit', () => {
    expect(run('{"_error": {"kind": "k", "msg": "m", "details": {}}}', 1)).toEqual({ _error: { kind: 'k', msg: 'm', details: {} } });
  });

  it('T-34: _error that is not an object with msg → bolt/invalid-task-error', () => {
    expect(run('{"_error": "oops"}', 0)).toEqual({
      _error: {
        kind: 'bolt/invalid-task-error',
        msg: 'Invalid error returned from task demo::t: "oops". Error must be an object with a msg key.',
        details: { original_error: 'oops' },
      },
    });
    expect(run('{"_error": {"kind": "x", "details": {"a": [1, null]}}}', 0)['_error']).toEqual({
      kind: 'bolt/invalid-task-error',
      msg: 'Invalid error returned from task demo::t: {"kind"=>"x", "details"=>{"a"=>[1, nil]}}. Error must be an object with a msg key.',
      details: { original_error: { kind: 'x', details: { a: [1, null] } } },
    });
    expect(run('{"_error": null}', 0)['_error']).toMatchObject({ kind: 'bolt/invalid-task-error', details: { original_error: null } });
  });

  it('T-34: _error null with a non-zero exit is replaced by the exit error', () => {
    expect(run('{"_error": null}', 2)['_error']).toMatchObject({ kind: 'puppetlabs.tasks/task-error', msg: 'The task failed with exit code 2' });
  });

  it('T-34: missing kind → bolt/error, missing details → step position', () => {
    expect(run('{"_error": {"msg": "m"}}', 0, '', { location: { file: 'p.ts', line: 3 } })).toEqual({ _error: { msg: 'm', kind: 'bolt/error', details: { file: 'p.ts', line: 3 } } });
    expect(run('{"_error": {"msg": "m", "issue_code": "X"}}', 0)).toEqual({ _error: { msg: 'm', issue_code: 'X', kind: 'bolt/error', details: {} } });
  });

  it('T-36: top-level _sensitive is wrapped; nested is not', () => {
    const value = run('{"_sensitive": {"password": "hunter2"}, "user": "bob", "nested": {"_sensitive": 1}}', 0);
    expect(value['_sensitive']).toBeInstanceOf(Sensitive);
    expect((value['_sensitive'] as Sensitive).unwrap()).toEqual({ password: 'hunter2' });
    expect(JSON.parse(JSON.stringify(value))).toEqual({ _sensitive: REDACTED, user: 'bob', nested: { _sensitive: 1 } });
  });

  it('T-37: stderr is not part of a task value', () => {
    expect(run('{"a":1}', 0, 'debug noise')).toEqual({ a: 1 });
  });

  it('T-38: exit 126 adds the noexec hint on POSIX shells', () => {
    const msg = (run('', 126, 'sh: /tmp/x/t.sh: Permission denied')['_error'] as { msg: string }).msg;
    expect(msg).toBe(`The task failed with exit code 126 and no stdout, but stderr contained:\nsh: /tmp/x/t.sh: Permission denied${NOEXEC_HINT}`);
    expect(NOEXEC_HINT).toBe("\n\nThis might be caused by the default tmpdir being mounted using 'noexec'. See http://pup.pt/task-failure for details and workarounds.");
    expect((run('', 126, 'denied', { posixShell: false })['_error'] as { msg: string }).msg).toBe('The task failed with exit code 126 and no stdout, but stderr contained:\ndenied');
    expect((run('', 126)['_error'] as { msg: string }).msg).toBe(`The task failed with exit code 126 and no stdout, but stderr contained:\n${NOEXEC_HINT}`);
  });
});

describe('command and script output', () => {
  it('T-37: success value', () => {
    expect(commandResultValue({ stdout: Buffer.from('a\n'), stderr: Buffer.from('b\n'), mergedOutput: Buffer.from('b\na\n'), exitCode: 0 })).toEqual({
      stdout: 'a\n',
      stderr: 'b\n',
      merged_output: 'b\na\n',
      exit_code: 0,
    });
  });

  it('T-37: non-zero exit adds a command error', () => {
    expect(commandResultValue({ stdout: '', stderr: 'e', exitCode: 3, location: { file: 'p.ts', line: 2 } })).toEqual({
      stdout: '',
      stderr: 'e',
      merged_output: 'e',
      exit_code: 3,
      _error: { kind: 'puppetlabs.tasks/command-error', issue_code: 'COMMAND_ERROR', msg: 'The command failed with exit code 3', details: { file: 'p.ts', line: 2, exit_code: 3 } },
    });
  });

  it('T-38: exit 126 adds the hint to stderr and merged output', () => {
    const value = commandResultValue({ stdout: '', stderr: 'denied', mergedOutput: 'denied', exitCode: 126 });
    expect(value.stderr).toBe(`denied${NOEXEC_HINT}`);
    expect(value.merged_output).toBe(`denied${NOEXEC_HINT}`);
  });

  it('invalid UTF-8 in command output is shown as \\xHH', () => {
    expect(scrubUtf8(Buffer.from([0x61, 0xff, 0xc3, 0xa9, 0xe2, 0x82]))).toBe('a\\xFFé\\xE2\\x82');
    expect(commandResultValue({ stdout: Buffer.from([0xff, 0xfe]), stderr: none, exitCode: 0 }).stdout).toBe('\\xFF\\xFE');
  });

  it('rubyInspect renders like Ruby', () => {
    expect(rubyInspect([1, 'a', null, true, { k: 1.5 }])).toBe('[1, "a", nil, true, {"k"=>1.5}]');
  });

  it('T-30: output nested deeper than 100 levels (Ruby max_nesting) is kept as _output', () => {
    const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(taskResultValue({ stdout: nested(100), stderr: '', exitCode: 0, task: 'demo' })).toHaveProperty('a');
    expect(taskResultValue({ stdout: nested(101), stderr: '', exitCode: 0, task: 'demo' })).toEqual({ _output: nested(101) });
    expect(jsonDepthAtMost({ a: [1] }, 2)).toBe(true);
    expect(jsonDepthAtMost({ a: [[1]] }, 2)).toBe(false);
    expect(jsonDepthAtMost(JSON.parse(nested(50_000)), MAX_OUTPUT_DEPTH)).toBe(false);
  });
});
