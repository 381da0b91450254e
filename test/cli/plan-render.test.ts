/** The human renderer in plan mode (C-12): Bolt's Starting/Finished wording, N targets over 5, verbose. */
import { describe, expect, it } from 'vitest';
import type { RivetEvent } from '../../src/core/events.ts';
import { HumanRenderer } from '../../src/cli/render/human.ts';

function render(events: Omit<RivetEvent, 'time'>[], verbose = false, stream = false): string {
  let out = '';
  const r = new HumanRenderer({ out: { write: (s) => void (out += s) }, err: { write: () => undefined }, color: false, verbose, stream, progress: false, plan: true });
  for (const e of events) r.onEvent({ ...e, time: '' } as RivetEvent);
  r.stop();
  return out;
}

describe('plan-mode human output', () => {
  const targets = ['a', 'b', 'c', 'd', 'e', 'f'];
  const events = [
    { type: 'plan_start', plan: 'site::deploy', params: {} },
    { type: 'step_start', stepId: 1, action: 'task', object: 'package', description: 'task package', targets },
    ...targets.map((t) => ({ type: 'target_finish', stepId: 1, target: t, durationMs: 5, result: { target: t, action: 'task', object: 'package', status: t === 'c' ? 'failure' : 'success', value: t === 'c' ? { _error: { kind: 'k', msg: 'broken', details: {} } } : { status: 'ok' } } })),
    { type: 'step_finish', stepId: 1, action: 'task', object: 'package', description: 'task package', durationMs: 1234, failures: 1, count: 6 },
    { type: 'step_start', stepId: 2, action: 'command', object: 'uptime', description: 'command uptime', targets: ['a', 'b'] },
    { type: 'step_finish', stepId: 2, action: 'command', object: 'uptime', description: 'command uptime', durationMs: 20, failures: 0, count: 2 },
    { type: 'step_start', stepId: 3, action: 'upload', object: '/x', description: 'push the site', targets: ['a'] },
    { type: 'message', level: 'message', text: 'hello' },
    { type: 'message', level: 'verbose', text: 'details' },
    { type: 'plan_finish', plan: 'site::deploy', durationMs: 2500, status: 'success' },
  ] as Omit<RivetEvent, 'time'>[];

  it('C-12: Starting/Finished lines, "N targets" above 5, failures counted, custom descriptions (P-13)', () => {
    expect(render(events).split('\n')).toEqual([
      'Starting: plan site::deploy',
      'Starting: task package on 6 targets',
      'Finished: task package with 1 failure in 1.23 sec',
      "Starting: command 'uptime' on a, b",
      "Finished: command 'uptime' in 0.02 sec",
      'Starting: push the site on a',
      'hello',
      'Finished: plan site::deploy in 2.50 sec',
      '',
    ]);
  });

  it('--verbose adds each target\'s result and out.verbose messages', () => {
    const text = render(events, true);
    expect(text).toContain('Failed on c:\n  broken');
    expect(text).toContain('Finished on a:\n  {\n    "status": "ok"\n  }');
    expect(text).toContain('details');
  });
});

describe('rollout progress', () => {
  const batches = [['a'], ['b', 'c'], ['d', 'e']];
  const base = { rolloutId: 1, description: 'deploy', batches: 3 };
  const events = [
    { type: 'rollout_start', rolloutId: 1, description: 'deploy', targets: ['a', 'b', 'c', 'd', 'e'], batches, failureBudget: 1 },
    { type: 'batch_start', ...base, batch: 1, targets: ['a'] },
    { type: 'batch_finish', ...base, batch: 1, durationMs: 1000, count: 1, failed: [], failures: 0, failureBudget: 1, healthy: true },
    { type: 'batch_start', ...base, batch: 2, targets: ['b', 'c'] },
    { type: 'batch_finish', ...base, batch: 2, durationMs: 2000, count: 2, failed: ['b', 'c'], failures: 2, failureBudget: 1, healthy: null },
    { type: 'rollout_finish', ...base, durationMs: 3000, status: 'stopped', reason: 'failure_budget', message: 'deploy stopped after batch 2 of 3: 2 targets failed, the failure budget allows 1', succeeded: 1, failed: ['b', 'c'], untouched: ['d', 'e'] },
  ] as unknown as Omit<RivetEvent, 'time'>[];

  it('shows each batch, the budget used, the health check, and the targets never touched', () => {
    expect(render(events).split('\n')).toEqual([
      'Starting: deploy on 5 targets in 3 batches (failure budget: 1)',
      'Starting: batch 1/3 of deploy on a',
      'Finished: batch 1/3 of deploy in 1.00 sec (failures so far: 0, budget: 1, healthy)',
      'Starting: batch 2/3 of deploy on b, c',
      'Finished: batch 2/3 of deploy with 2 failures in 2.00 sec (failures so far: 2, budget: 1)',
      'Stopped: deploy stopped after batch 2 of 3: 2 targets failed, the failure budget allows 1',
      'Never touched (2): d, e',
      '',
    ]);
  });
});

describe('--stream', () => {
  it('C-06: results leave out the output that was streamed (unlike Bolt)', () => {
    const result = { target: 'a', action: 'command', object: 'x', status: 'success', value: { stdout: 'hi\n', stderr: '', merged_output: 'hi\n', exit_code: 0 } };
    const events = [
      { type: 'target_output', stepId: 1, target: 'a', stream: 'stdout', text: 'hi\n' },
      { type: 'target_finish', stepId: 1, target: 'a', durationMs: 1, result },
    ] as unknown as Omit<RivetEvent, 'time'>[];
    expect(render(events, true, true)).toBe('[a] out: hi\nFinished on a:\n');
    expect(render(events, true, false)).toBe('Finished on a:\n  hi\n');
  });
});
