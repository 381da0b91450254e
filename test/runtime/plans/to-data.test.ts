/**
 * P-34 `Result#to_data` and P-35 `ResultSet#to_data` as Bolt 3.30's `lib/bolt/result.rb` makes them:
 * `{target, action, object, status, value}`, `_sensitive` (and any Sensitive) as
 * `Sensitive [value redacted]`, output bytes that are not UTF-8 as `\xNN` (`safe_value`'s
 * `scrub`). T-35: every error inside is `{kind, msg, details, issue_code?}`. Run on local targets
 * through real steps, from a Puppet-language plan as a Bolt user writes it and from TypeScript.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Result, Sensitive } from '../../../src/core/result.ts';
import { RivetError } from '../../../src/core/errors.ts';
import { planErrorData } from '../../../src/runtime/plans/run.ts';
import { planHarness, type PlanHarness } from './helpers.ts';

let h: PlanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FILES = {
  'rivet-project.yaml': 'name: site\n',
  'modules/mod/tasks/secret.sh': '#!/bin/sh\nprintf \'{"user": "u", "_sensitive": {"password": "hunter2"}}\'\n',
  'modules/mod/tasks/bytes.sh': '#!/bin/sh\nprintf \'ok \\377\\n\'\n',
  'plans/data.pp': `plan site::data() {
  $task = run_task('mod::secret', 't1')[0].to_data
  $cmd = run_command("printf 'a\\\\377b\\\\303'; printf 'e\\\\342\\\\202' >&2", 't1')[0].to_data
  $failed = run_command('exit 4', 't1', '_catch_errors' => true)[0].to_data
  $bad_task = run_task('mod::bytes', 't1', '_catch_errors' => true).to_data
  return { 'task' => $task, 'cmd' => $cmd, 'failed' => $failed, 'bad_task' => $bad_task, 'shown' => "\${task['value']['_sensitive']}" }
}
`,
};

describe('P-34 to_data', () => {
  it('P-34: a task result is {target, action, object, status, value} with _sensitive redacted as plain text', async () => {
    h = await planHarness({ files: FILES, count: 1 });
    const data = (await h.runner.run('site::data')) as Record<string, any>;
    expect(Object.keys(data['task'])).toEqual(['target', 'action', 'object', 'status', 'value']);
    expect(data['task']).toEqual({ target: 't1', action: 'task', object: 'mod::secret', status: 'success', value: { user: 'u', _sensitive: 'Sensitive [value redacted]' } });
    expect(data['shown']).toBe('Sensitive [value redacted]');
    expect(JSON.stringify(data)).not.toContain('hunter2');
  });

  it('P-34: command output bytes that are not UTF-8 are escaped as \\xNN in stdout, stderr and merged_output', async () => {
    h = await planHarness({ files: FILES, count: 1 });
    const data = (await h.runner.run('site::data')) as Record<string, any>;
    expect(data['cmd']).toMatchObject({ target: 't1', action: 'command', status: 'success', value: { stdout: 'a\\xFFb\\xC3', stderr: 'e\\xE2\\x82', exit_code: 0 } });
    expect(data['cmd'].value.merged_output).toContain('a\\xFFb\\xC3');
  });

  it('P-34/T-35: failures carry _error {kind, msg, details, issue_code} with the plan file:line; a task with invalid UTF-8 on stdout is a task error', async () => {
    h = await planHarness({ files: FILES, count: 1 });
    const data = (await h.runner.run('site::data')) as Record<string, any>;
    const failed = data['failed'];
    expect(failed).toMatchObject({ target: 't1', action: 'command', object: 'exit 4', status: 'failure' });
    expect(failed.value._error).toEqual({
      kind: 'puppetlabs.tasks/command-error',
      issue_code: 'COMMAND_ERROR',
      msg: 'The command failed with exit code 4',
      details: { exit_code: 4, file: expect.stringMatching(/plans\/data\.pp$/), line: 4 },
    });
    expect(data['bad_task']).toEqual([
      {
        target: 't1',
        action: 'task',
        object: 'mod::bytes',
        status: 'failure',
        value: { _error: { kind: 'puppetlabs.tasks/task-error', issue_code: 'TASK_ERROR', msg: 'The task result contained invalid UTF-8 on stdout', details: expect.objectContaining({ file: expect.stringMatching(/data\.pp$/), line: 5 }) } },
      },
    ]);
  });

  it('P-34: a failed result\'s _error is Bolt\'s error hash; Sensitive values anywhere in a value are redacted, the value itself is untouched', () => {
    const target = { name: 'web1', uri: 'web1' } as never;
    const failed = Result.failure(target, 'task', 'mod::x', new RivetError('puppetlabs.tasks/connect-error', 'Failed to connect to web1: refused', { issueCode: 'CONNECT_ERROR', details: {} }));
    expect(failed.toJSON()).toMatchObject({ target: 'web1', status: 'failure', value: { _error: { kind: 'puppetlabs.tasks/connect-error', msg: 'Failed to connect to web1: refused', details: {}, issue_code: 'CONNECT_ERROR' } } });
    const secret = new Sensitive('s3cret');
    const value = { list: [1, secret], nested: { key: secret }, plain: 'x' };
    const data = new Result({ target, action: 'plan', value }).toJSON();
    expect(data.value).toEqual({ list: [1, 'Sensitive [value redacted]'], nested: { key: 'Sensitive [value redacted]' }, plain: 'x' });
    expect(value.list[1]).toBe(secret);
  });
});

describe('T-35 error shape', () => {
  const PLANS = {
    'rivet-project.yaml': 'name: site\n',
    'plans/fails.pp': `plan site::fails(String $how) {
  case $how {
    'step': { run_command('exit 5', 't1') }
    'plan': { fail_plan('custom failure', 'site/custom', { 'why' => 'test' }) }
    'parallel': { parallelize(['a']) |$x| { run_command('exit 6', 't1') } }
    'timeout': { wait(background('slow') || { ctrl::sleep(30) }, 0) }
    'caught': {
      $e = catch_errors() || { run_command('exit 7', 't1') }
      return { 'kind' => $e.kind, 'msg' => $e.msg, 'details' => $e.details, 'issue_code' => $e.issue_code }
    }
  }
}
`,
  };

  it('T-35: every plan failure is {kind, msg, details, issue_code?} with the plan file:line in details', async () => {
    h = await planHarness({ files: PLANS, count: 1 });
    const kinds: Record<string, string> = { step: 'bolt/run-failure', plan: 'site/custom', parallel: 'bolt/parallel-failure', timeout: 'bolt/parallel-failure' };
    for (const [how, kind] of Object.entries(kinds)) {
      const error = await h.runner.run('site::fails', { how }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const data = planErrorData(error);
      expect(Object.keys(data).filter((k) => k !== 'issue_code')).toEqual(['kind', 'msg', 'details']);
      expect(data, how).toMatchObject({ kind, msg: expect.any(String), details: { file: expect.stringMatching(/fails\.pp$/), line: expect.any(Number) } });
      expect(Object.keys(JSON.parse(JSON.stringify(data)))).toEqual(Object.keys(data));
    }
    const timeout = planErrorData(await h.runner.run('site::fails', { how: 'timeout' }).catch((e: unknown) => e));
    expect((timeout.details['results'] as Array<Record<string, unknown>>)[0]).toMatchObject({ kind: 'bolt/future-timeout-error', msg: "Future 'slow' timed out after 0 seconds.", details: { future: 'slow' } });
  }, 60_000);

  it('T-35: an error caught in a plan reads kind, msg, details and issue_code', async () => {
    h = await planHarness({ files: PLANS, count: 1 });
    expect(await h.runner.run('site::fails', { how: 'caught' })).toEqual({
      kind: 'bolt/run-failure',
      msg: expect.stringContaining("command 'exit 7' failed on 1 target"),
      details: expect.objectContaining({ action: 'command', object: 'exit 7' }),
      // Bolt's RunFailure has no issue code (lib/bolt/error.rb).
      issue_code: undefined,
    });
  });
});
