/**
 * runTask/runTaskWith plumbing through a runtime with task execution (a fake `runTask` here in place of
 * Runtime.runTask): options mapping, run-as precedence (P-14), failure
 * semantics (P-01, P-02, P-11).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Result, ResultSet } from '../../src/core/result.ts';
import type { Target } from '../../src/core/target.ts';
import type { TaskStepOptions } from '../../src/runtime/steps/task.ts';
import { definePlan, isRunFailure, runPlan, runTask, runTaskWith, type RivetError } from '../../src/sdk/index.ts';
import { planHarness, type PlanHarness } from '../runtime/plans/helpers.ts';

interface Call {
  task: string;
  targets: string[];
  params: Record<string, unknown>[];
  options: TaskStepOptions | undefined;
}

let h: PlanHarness;
afterEach(async () => h?.close());

/** Gives the harness runtime a fake runTask/runTaskWith: task `fail` fails on t2. */
async function withFakeTasks(): Promise<Call[]> {
  h = await planHarness({ count: 3 });
  const calls: Call[] = [];
  const resultFor = (task: string, target: Target, params: Record<string, unknown>): Result =>
    task === 'fail' && target.name === 't2'
      ? new Result({ target, action: 'task', object: task, value: { _error: { kind: 'puppetlabs.tasks/task-error', msg: 'nope', details: {} } } })
      : new Result({ target, action: 'task', object: task, value: { echoed: params } });
  Object.assign(h.runtime, {
    async runTask(task: string, targets: Target[], params: Record<string, unknown>, options?: TaskStepOptions) {
      calls.push({ task, targets: targets.map((t) => t.name), params: [params], options });
      return new ResultSet(targets.map((t) => resultFor(task, t, params)));
    },
    async runTaskWith(task: string, targets: Target[], fn: (t: Target) => Record<string, unknown> | Promise<Record<string, unknown>>, options?: TaskStepOptions) {
      const params = await Promise.all(targets.map((t) => fn(t)));
      calls.push({ task, targets: targets.map((t) => t.name), params, options });
      return new ResultSet(targets.map((t, i) => resultFor(task, t, params[i]!)));
    },
  });
  return calls;
}

describe('runTask through the plan context', () => {
  it('P-01: passes params and maps options (noop, runAs, timeout, description); returns typed results', async () => {
    const calls = await withFakeTasks();
    const plan = definePlan({
      async run() {
        const set = await runTask('mod::deploy', 'web', { version: '1.2' }, { noop: true, runAs: 'root', timeout: 5_000, description: 'deploy it' });
        return set.map((r) => r.value);
      },
    });
    expect(await h.runner.run(plan)).toEqual([{ echoed: { version: '1.2' } }, { echoed: { version: '1.2' } }, { echoed: { version: '1.2' } }]);
    expect(calls).toEqual([{ task: 'mod::deploy', targets: ['t1', 't2', 't3'], params: [{ version: '1.2' }], options: { description: 'deploy it', runAs: 'root', timeoutMs: 5_000, signal: undefined, stream: undefined, noop: true } }]);
  });

  it('P-02: runTaskWith computes params per target', async () => {
    const calls = await withFakeTasks();
    const plan = definePlan({ run: () => runTaskWith('mod::x', 'web', (t) => ({ host: t.name })) });
    await h.runner.run(plan);
    expect(calls[0]!.params).toEqual([{ host: 't1' }, { host: 't2' }, { host: 't3' }]);
  });

  it('P-11: a task failing on one target throws RunFailure naming the task', async () => {
    await withFakeTasks();
    const plan = definePlan({ run: () => runTask('fail', 'web') });
    const error = await h.runner.run(plan).catch((e: RivetError) => e);
    expect(isRunFailure(error)).toBe(true);
    expect((error as RivetError).message).toMatch(/^task 'fail' failed on 1 target \(.*tasks\.test\.ts:\d+\): t2: nope$/);
  });

  it('P-14: runAs of an enclosing runPlan is the default of every step of the sub-plan; a step option beats it', async () => {
    const calls = await withFakeTasks();
    const sub = definePlan({
      async run() {
        await runTask('a', 't1');
        await runTask('b', 't1', {}, { runAs: 'deploy' });
      },
    });
    const plan = definePlan({
      async run() {
        await runTask('c', 't1');
        await runPlan(sub, {}, { runAs: 'root' });
      },
    });
    await h.runner.run(plan);
    expect(calls.map((c) => [c.task, c.options?.runAs])).toEqual([
      ['c', undefined],
      ['a', 'root'],
      ['b', 'deploy'],
    ]);
  });

  it('an empty target list runs nothing and returns an empty ResultSet', async () => {
    const calls = await withFakeTasks();
    const plan = definePlan({ run: async () => (await runTask('a', [])).length });
    expect(await h.runner.run(plan)).toBe(0);
    expect(calls).toEqual([]);
  });
});
