/**
 * rollout(): batches (Ansible's serial), percentages rounded down, the failure budget, the health
 * check, empty target lists, catchErrors and onFailure: 'continue', and the per-batch events.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RivetEvent } from '../../src/core/events.ts';
import {
  RolloutFailure,
  catchErrors,
  definePlan,
  failPlan,
  parallelize,
  planBatches,
  rollout,
  runCommand,
  type RolloutReport,
} from '../../src/sdk/index.ts';
import { lineOf, planHarness, type PlanHarness } from '../runtime/plans/helpers.ts';

const FILE = fileURLToPath(import.meta.url);
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `t${i + 1}`);
const targetNames = (ts: readonly { name: string }[]): string[] => ts.map((t) => t.name);

let h: PlanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('planBatches', () => {
  it("splits like Ansible's serial: each size in turn, the last one repeating", () => {
    expect(planBatches(names(20), [1, '10%', '50%']).map((b) => b.length)).toEqual([1, 2, 10, 7]);
    expect(planBatches(names(20), [1, '10%', '50%', '100%']).map((b) => b.length)).toEqual([1, 2, 10, 7]);
    expect(planBatches(names(7), 3)).toEqual([['t1', 't2', 't3'], ['t4', 't5', 't6'], ['t7']]);
    expect(planBatches(names(4))).toEqual([names(4)]);
  });

  it('rounds percentages down, with at least one target per batch', () => {
    expect(planBatches(names(15), '10%').map((b) => b.length)).toEqual(Array(15).fill(1)); // 1.5 -> 1
    expect(planBatches(names(5), ['10%', '100%']).map((b) => b.length)).toEqual([1, 4]); // 0.5 -> 1
    expect(planBatches(names(10), '33%').map((b) => b.length)).toEqual([3, 3, 3, 1]); // 3.3 -> 3
    expect(planBatches(names(3), '99.9%').map((b) => b.length)).toEqual([2, 1]); // 2.997 -> 2
  });

  it('an empty target list has no batches', () => {
    expect(planBatches([], [1, '50%'])).toEqual([]);
  });

  it('rejects sizes that are no sizes, naming the option', () => {
    expect(() => planBatches(names(3), 0)).toThrow(/option 'batches' must be an integer of at least 1/);
    expect(() => planBatches(names(3), 1.5)).toThrow(/'batches'/);
    expect(() => planBatches(names(3), '0%')).toThrow(/'batches' must be a number or a percentage/);
    expect(() => planBatches(names(3), '150%' as `${number}%`)).toThrow(/percentage/);
    expect(() => planBatches(names(3), 'ten' as `${number}%`)).toThrow(/"ten"/);
    expect(() => planBatches(names(3), [])).toThrow(/empty list/);
  });
});

/** A step that fails on the targets in `bad`, per target. */
function stepFailingOn(bad: Set<string>, options: { onFailure?: 'continue'; catchErrors?: true } = {}) {
  return (batch: { name: string }[]) => parallelize(batch, (t) => runCommand(bad.has(t.name) ? 'exit 3' : 'true', t.name, options));
}

describe('rollout()', () => {
  it('stops before the next batch once the budget is spent, and names the targets never touched', async () => {
    h = await planHarness({ count: 10 });
    const bad = new Set(['t3', 't5']);
    const calls: string[][] = [];
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        const report = await rollout(
          targets,
          async (batch) => {
            calls.push(targetNames(batch));
            const sets = await stepFailingOn(bad, { catchErrors: true })(batch);
            return sets.flatMap((s) => [...s]).length; // a value, not a ResultSet: failures come from the sets below
          },
          { batches: [1, 3], failureBudget: 1, catchErrors: true },
        );
        return report;
      },
    });
    // catchErrors on the steps alone hides the failures from rollout: it counts what the callback reports.
    const hidden = (await h.runner.run(plan, { targets: 'web' })) as RolloutReport<number>;
    expect(hidden.ok).toBe(true);
    expect(calls).toEqual([['t1'], ['t2', 't3', 't4'], ['t5', 't6', 't7'], ['t8', 't9', 't10']]);

    calls.length = 0;
    const counted = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        return rollout(
          targets,
          async (batch) => {
            calls.push(targetNames(batch));
            await stepFailingOn(bad, { onFailure: 'continue' })(batch);
          },
          { batches: [1, 3], failureBudget: 1, catchErrors: true },
        );
      },
    });
    // Continue mode: the steps record t3 and t5; the budget (1) is spent after batch 3; the plan
    // then fails at its end because of the failed targets (bolt#3321).
    await expect(h.runner.run(counted, { targets: 'web' })).rejects.toMatchObject({ kind: 'bolt/run-failure' });
    expect(calls).toEqual([['t1'], ['t2', 't3', 't4'], ['t5', 't6', 't7']]);
    const finish = h.events.filter((e): e is Extract<RivetEvent, { type: 'rollout_finish' }> => e.type === 'rollout_finish').at(-1)!;
    expect(finish).toMatchObject({ status: 'stopped', reason: 'failure_budget', failed: ['t3', 't5'], untouched: ['t8', 't9', 't10'], succeeded: 5 });
    const batches = h.events.filter((e): e is Extract<RivetEvent, { type: 'batch_finish' }> => e.type === 'batch_finish').slice(-3);
    expect(batches.map((b) => [b.batch, b.batches, b.failed, b.failures, b.failureBudget])).toEqual([
      [1, 4, [], 0, 1],
      [2, 4, ['t3'], 1, 1],
      [3, 4, ['t5'], 2, 1],
    ]);
  });

  it('a ResultSet returned by the callback (steps with catchErrors) counts its failed targets', async () => {
    h = await planHarness({ count: 4 });
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        return rollout(targets, (batch) => runCommand('test "$RIVET_T" != t2', batch, { catchErrors: true, envVars: { RIVET_T: batch[0]!.name } }), {
          batches: 1,
          failureBudget: '25%',
          catchErrors: true,
        });
      },
    });
    const report = (await h.runner.run(plan, { targets: 'web' })) as RolloutReport<unknown>;
    expect(report.ok).toBe(true); // 1 failure, budget floor(4 * 25%) = 1
    expect(report.failureBudget).toBe(1);
    expect(targetNames(report.failed)).toEqual(['t2']);
    expect(targetNames(report.succeeded)).toEqual(['t1', 't3', 't4']);
    expect(report.untouched).toEqual([]);
    expect(report.batches.map((b) => b.value && (b.value as { ok: boolean }).ok)).toEqual([true, false, true, true]);
  });

  it('in the default throw mode a failing step fails its whole batch, and the rollout throws RolloutFailure with the plan file:line', async () => {
    h = await planHarness({ count: 3 });
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        await rollout(targets, (batch) => runCommand(batch.some((t) => t.name === 't1') ? 'false' : 'true', batch), { batches: 2 }); // ROLLOUT-CALL
      },
    });
    const error = (await h.runner.run(plan, { targets: 'web' }).catch((e: unknown) => e)) as RolloutFailure;
    expect(error).toBeInstanceOf(RolloutFailure);
    expect(error.kind).toBe('rivet/rollout-failure');
    expect(error.location).toMatchObject({ file: FILE, line: await lineOf(FILE, '// ROLLOUT-CALL') });
    expect(error.message).toMatch(/^rollout stopped after batch 1 of 2: 2 targets failed, the failure budget allows 0; never touched: t3 \(/);
    expect(targetNames(error.report.failed)).toEqual(['t1', 't2']);
    expect(targetNames(error.report.untouched)).toEqual(['t3']);
    expect(error.report.batches[0]!.error?.kind).toBe('bolt/run-failure');
    expect(error.toJSON().details).toMatchObject({ reason: 'failure_budget', untouched: ['t3'], failed: ['t1', 't2'], failure_budget: 0 });
  });

  it('a failing health check stops the rollout (returning false, or throwing a Rivet error)', async () => {
    h = await planHarness({ count: 5 });
    const checked: number[] = [];
    const plan = definePlan({
      params: { targets: 'TargetSpec', how: 'String' },
      async run({ targets, how }) {
        return rollout(targets, (batch) => runCommand('true', batch), {
          batches: [1, 2],
          pauseMs: 1,
          catchErrors: true,
          healthCheck: async (batch) => {
            checked.push(batch.index);
            if (batch.index < 2) return true;
            if (how === 'false') return false;
            failPlan('site answers 503', 'site/unhealthy');
          },
        });
      },
    });
    for (const how of ['false', 'throw']) {
      checked.length = 0;
      const report = (await h.runner.run(plan, { targets: 'web', how })) as RolloutReport<unknown>;
      expect(checked).toEqual([1, 2]);
      expect(report.ok).toBe(false);
      expect(report.stopped).toMatchObject({ reason: 'health_check', batch: 2 });
      expect(report.stopped!.message).toMatch(how === 'false' ? /the health check failed$/ : /the health check failed: site answers 503/);
      expect(targetNames(report.succeeded)).toEqual(['t1', 't2', 't3']);
      expect(report.batches.map((b) => b.healthy)).toEqual([true, false]);
      expect(targetNames(report.untouched)).toEqual(['t4', 't5']);
    }
  });

  it('an empty target list runs nothing and succeeds', async () => {
    h = await planHarness({ count: 1 });
    let called = false;
    const plan = definePlan({
      async run() {
        return rollout([], () => (called = true), { batches: [1, '10%'], failureBudget: '10%' });
      },
    });
    const report = (await h.runner.run(plan)) as RolloutReport<boolean>;
    expect(called).toBe(false);
    expect(report).toMatchObject({ ok: true, batches: [], succeeded: [], failed: [], untouched: [], failureBudget: 0 });
    expect(h.events.filter((e) => e.type.startsWith('rollout_')).map((e) => e.type)).toEqual(['rollout_start', 'rollout_finish']);
  });

  it('works inside catchErrors, and re-throws bugs (non-Rivet errors) after ending its progress', async () => {
    h = await planHarness({ count: 2 });
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        const caught = await catchErrors(() => rollout(targets, (batch) => runCommand('false', batch)), ['rivet/rollout-failure']);
        const kind = (caught as RolloutFailure).kind;
        await rollout(targets, () => {
          throw new TypeError('oops');
        });
        return kind;
      },
    });
    await expect(h.runner.run(plan, { targets: 'web' })).rejects.toThrow('oops');
    const finishes = h.events.filter((e): e is Extract<RivetEvent, { type: 'rollout_finish' }> => e.type === 'rollout_finish');
    expect(finishes.map((f) => [f.status, f.reason, f.message])).toEqual([
      ['stopped', 'failure_budget', 'rollout stopped after batch 1 of 1: 2 targets failed, the failure budget allows 0'],
      ['stopped', null, 'rollout ended by an error'],
    ]);
  });

  it('checks its options', async () => {
    h = await planHarness({ count: 2 });
    const plan = definePlan({
      params: { budget: 'String' },
      async run({ budget }) {
        return rollout('web', () => undefined, { failureBudget: budget as `${number}%` });
      },
    });
    await expect(h.runner.run(plan, { budget: 'lots' })).rejects.toThrow(/option 'failureBudget' must be a number or a percentage from 0 to 100/);
  });
});
