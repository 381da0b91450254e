import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.ts';
import { HumanRenderer } from '../../../src/cli/render/human.ts';

function capture() {
  const out = { text: '', write(s: string) { this.text += s; }, isTTY: true };
  const err = { text: '', write(s: string) { this.text += s; }, isTTY: true };
  return { out, err };
}

describe('human renderer', () => {
  it('shows a live progress line on a terminal and clears it before printing results', async () => {
    const { out, err } = capture();
    const r = new HumanRenderer({ out, err, color: false, verbose: false, stream: false, progress: true });
    const bus = new EventBus();
    bus.on((e) => r.onEvent(e));
    bus.emit({ type: 'step_start', stepId: 1, action: 'command', object: 'x', description: 'command x', targets: ['a', 'b'] });
    bus.emit({ type: 'target_start', stepId: 1, target: 'a' });
    bus.emit({ type: 'target_start', stepId: 1, target: 'b' });
    await new Promise((res) => setTimeout(res, 250));
    expect(err.text).toMatch(/0\/2 done, 2 running/);
    bus.emit({ type: 'target_finish', stepId: 1, target: 'a', durationMs: 1, result: { target: 'a', action: 'command', object: 'x', status: 'failure', value: { _error: { kind: 'k', msg: 'boom', details: {} } } } });
    await new Promise((res) => setTimeout(res, 150));
    expect(err.text).toMatch(/1\/2 done, 1 failed, 1 running/);
    expect(err.text).toContain('\r\x1b[K');
    expect(out.text).toContain('Failed on a:\n  boom\n');
    r.stop();
  });

  it('prints task results as Bolt does: _output, then the other keys as JSON', () => {
    const { out, err } = capture();
    const r = new HumanRenderer({ out, err, color: false, verbose: false, stream: false, progress: false });
    expect(r.formatResult({ target: 'web1', action: 'task', object: 't', status: 'success', value: { _output: 'text\n', a: 1 } })).toBe('Finished on web1:\n  text\n  {\n    "a": 1\n  }');
    expect(r.formatResult({ target: 'web1', action: 'task', object: 't', status: 'success', value: {} })).toBe('Finished on web1:\n  Task completed successfully with no result');
  });

  it('colors only when asked', () => {
    const { out, err } = capture();
    const r = new HumanRenderer({ out, err, color: true, verbose: false, stream: false, progress: false });
    expect(r.formatResult({ target: 'a', action: 'command', object: 'x', status: 'success', value: { merged_output: 'hi' } })).toContain('\x1b[32m');
  });
});
