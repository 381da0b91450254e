/**
 * A step hook's `run(only, onTargetResult)` is told the results of that step only, each as soon as
 * its target finishes, for every kind of step, while other steps run on the same targets at the
 * same time (a durable run records them this way; events name targets, not steps).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Result, ResultSet } from '../../../src/core/result.ts';
import type { PlanStepCall, StepHook, StepRun } from '../../../src/runtime/plans/index.ts';
import { definePlan, downloadFile, runCommand, runScript, runTask, runTaskWith, uploadFile, waitUntilAvailable, writeFile as writeRemote } from '../../../src/sdk/index.ts';
import { planHarness, type PlanHarness } from './helpers.ts';

let h: PlanHarness;
afterEach(async () => h?.close());

/** Runs every step for real; keeps what each step was told, and how much of it before the step returned. */
class TellingHook implements StepHook {
  readonly told: { action: string; object: string | null; results: Result[]; toldBeforeReturn: number }[] = [];
  async step(call: PlanStepCall, run: StepRun): Promise<ResultSet> {
    const entry = { action: call.action, object: call.object, results: [] as Result[], toldBeforeReturn: 0 };
    this.told.push(entry);
    const set = await run(undefined, (result) => entry.results.push(result));
    entry.toldBeforeReturn = entry.results.length;
    return set;
  }
}

describe('a step hook is told each target result of its own step', () => {
  it('every kind of step, all started together on the same targets, is told its own results only, before it returns', async () => {
    h = await planHarness({
      files: {
        'scripts/hello.sh': '#!/bin/sh\necho from-script\n',
        'files/payload.txt': 'payload\n',
        'modules/site/tasks/hello.sh': '#!/bin/sh\necho "{\\"from\\": \\"task-$PT_who\\"}"\n',
        'modules/site/tasks/hello.json': JSON.stringify({ parameters: { who: { type: 'String' } } }),
      },
    });
    const dest = join(h.dir, 'out');
    const plan = definePlan({
      async run() {
        const sets = await Promise.all([
          runTask('site::hello', 'web', { who: 'all' }),
          runTaskWith('site::hello', 'web', (t) => ({ who: t.name })),
          runScript('scripts/hello.sh', 'web'),
          uploadFile('files/payload.txt', `${dest}-upload`, 'web'),
          writeRemote('written', `${dest}-write`, 'web'),
          downloadFile(join(h.dir, 'files/payload.txt'), 'got', 'web'),
          waitUntilAvailable('web'),
          runCommand('echo from-command', 'web'),
        ]);
        return sets.map((set) => set.results.map((r) => [r.target.name, r.action]));
      },
    });
    const hook = new TellingHook();
    const seen = (await h.runner.run(plan, {}, { stepHook: hook })) as [string, string][][];
    const actions = ['task', 'task', 'script', 'upload', 'upload', 'download', 'wait_until_available', 'command'];
    expect(seen).toEqual(actions.map((a) => [['t1', a], ['t2', a]]));

    expect(hook.told.map((t) => t.action).sort()).toEqual(['command', 'download', 'script', 'task', 'task', 'upload', 'wait_until_available', 'write']);
    for (const step of hook.told) {
      const action = step.action === 'write' ? 'upload' : step.action;
      expect(step.toldBeforeReturn, `${step.action} ${step.object}`).toBe(2);
      expect(step.results.map((r) => [r.target.name, r.action, r.ok]).sort()).toEqual([['t1', action, true], ['t2', action, true]]);
    }
    const outputs = (action: string) => hook.told.filter((t) => t.action === action).flatMap((t) => t.results.map((r) => r.value['stdout'] ?? r.value['from']));
    expect(outputs('command')).toEqual(['from-command\n', 'from-command\n']);
    expect(outputs('script')).toEqual(['from-script\n', 'from-script\n']);
    expect(outputs('task').sort()).toEqual(['task-all', 'task-all', 'task-t1', 'task-t2']);
  });

  it('steps started together reach the hook in the order the plan called them, however long a task step takes to prepare', async () => {
    h = await planHarness({ files: { 'modules/site/tasks/hello.sh': '#!/bin/sh\necho \'{}\'\n' } });
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };
    const plan = definePlan({
      async run() {
        // runTaskWith's functions finish several event-loop turns after the command was called.
        await Promise.all([
          runTaskWith('site::hello', 'web', async () => (await turns(20), {})),
          runCommand('echo second', 'web'),
          runTask('site::hello', 'web'),
          runScript('scripts/missing.sh', 'web').catch(() => null),
          runCommand('echo fifth', 'web'),
        ]);
      },
    });
    const hook = new TellingHook();
    await h.runner.run(plan, {}, { stepHook: hook });
    // The missing script fails in the step itself (after its turn): the others keep their order.
    expect(hook.told.map((t) => [t.action, t.object])).toEqual([
      ['task', 'site::hello'],
      ['command', 'echo second'],
      ['task', 'site::hello'],
      ['script', join(h.dir, 'scripts/missing.sh')],
      ['command', 'echo fifth'],
    ]);
  });

  it('a task step that fails before its turn (unknown task) fails the plan call, and later steps still reach the hook', async () => {
    h = await planHarness();
    const plan = definePlan({
      async run() {
        const [unknown, command] = await Promise.allSettled([runTaskWith('site::nope', 'web', async () => ({})), runCommand('echo after', 'web')]);
        return [unknown.status, command.status];
      },
    });
    const hook = new TellingHook();
    expect(await h.runner.run(plan, {}, { stepHook: hook })).toEqual(['rejected', 'fulfilled']);
    expect(hook.told.map((t) => t.action)).toEqual(['command']);
  });
});
