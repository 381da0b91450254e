/** The human renderer in plan mode (C-12): Bolt's Starting/Finished wording, N targets over 5, verbose. */
import { describe, expect, it } from 'vitest';
import type { RivetEvent } from '../../src/core/events.ts';
import { HumanRenderer } from '../../src/cli/render/human.ts';

function render(events: Omit<RivetEvent, 'time'>[], verbose = false): string {
  let out = '';
  const r = new HumanRenderer({ out: { write: (s) => void (out += s) }, err: { write: () => undefined }, color: false, verbose, stream: false, progress: false, plan: true });
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
