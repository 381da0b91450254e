/**
 * Metaparameters in a plan's task parameters (issue 10, group 5): Bolt's
 * `bolt-modules/boltlib/lib/puppet/functions/run_task.rb` `run_task_with_description` partitions
 * every `_` key off as an option; `_catch_errors` then returns the failed ResultSet instead of
 * raising (`if !result.ok && !options[:catch_errors]`), and nothing with `_` reaches the task.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlan, runTask, type ResultSet } from '../../../src/sdk/index.ts';
import { planHarness, type PlanHarness } from './helpers.ts';

let h: PlanHarness;
afterEach(async () => h?.close());

const files = {
  'bolt-project.yaml': 'name: meta\n',
  'tasks/fail.sh': '#!/bin/sh\ncat >/dev/null\necho broke >&2\nexit 3\n',
  'tasks/echo.json': '{ "input_method": "stdin" }',
  'tasks/echo.sh': '#!/bin/sh\ncat\n',
};

describe('run_task.rb metaparameters in plans', () => {
  it('T-23: _catch_errors returns the failed ResultSet instead of throwing', async () => {
    h = await planHarness({ files });
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        const set = (await runTask('meta::fail' as never, targets, { _catch_errors: true } as never)) as ResultSet;
        return set.ok;
      },
    });
    expect(await h.runner.run(plan, { targets: 'web' })).toBe(false);
  });

  it('T-23: _foo, _error and _catch_errors never reach the task', async () => {
    h = await planHarness({ files });
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        const set = (await runTask('meta::echo' as never, targets, { name: 'x', _foo: 1, _error: { msg: 'forged' }, _catch_errors: false } as never)) as ResultSet;
        return set.first!.value;
      },
    });
    expect(await h.runner.run(plan, { targets: 'web' })).toEqual({ name: 'x', _task: 'meta::echo' });
  });
});
