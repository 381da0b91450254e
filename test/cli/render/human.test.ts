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
  it('--stream cuts an unterminated line into 64 KiB pieces, never inside a surrogate pair (an emoji)', () => {
    const { out, err } = capture();
    const r = new HumanRenderer({ out, err, color: false, verbose: false, stream: true, progress: false });
    // The emoji's two UTF-16 units sit at 65 535 and 65 536: a cut at 65 536 would split them.
    const line = `${'a'.repeat(64 * 1024 - 1)}😀${'b'.repeat(10)}`;
    r.onEvent({ type: 'target_output', stepId: 1, target: 'web1', stream: 'stdout', text: line, time: '' });
    r.onEvent({ type: 'target_finish', stepId: 1, target: 'web1', durationMs: 1, result: { target: 'web1', action: 'command', object: 'x', status: 'success', value: {} }, time: '' });
    const pieces = out.text.split('\n').filter((l) => l.startsWith('[web1] out: ')).map((l) => l.slice('[web1] out: '.length));
    expect(pieces.join('')).toBe(line);
    expect(pieces[0]).toBe('a'.repeat(64 * 1024 - 1));
    expect(pieces.every((p) => !/[\ud800-\udbff]$|^[\udc00-\udfff]/.test(p))).toBe(true);
    // Written out, no half becomes U+FFFD.
    expect(Buffer.from(out.text).toString()).not.toContain('\ufffd');
  });

  it('--stream into a backed-up stdout counts the held partial line in bytes, not UTF-16 units', () => {
    let backlog = 0;
    const out = { text: '', write(s: string) { this.text += s; }, isTTY: false, backlog: () => backlog };
    const err = { text: '', write(s: string) { this.text += s; }, isTTY: false };
    const r = new HumanRenderer({ out, err, color: false, verbose: false, stream: true, progress: false });
    r.onEvent({ type: 'target_output', stepId: 1, target: 'web1', stream: 'stdout', text: '€€', time: '' }); // held: no newline yet
    backlog = Number.MAX_SAFE_INTEGER;
    r.onEvent({ type: 'target_output', stepId: 1, target: 'web1', stream: 'stdout', text: 'é\n', time: '' });
    backlog = 0;
    r.onEvent({ type: 'target_finish', stepId: 1, target: 'web1', durationMs: 1, result: { target: 'web1', action: 'command', object: 'x', status: 'success', value: {} }, time: '' });
    // 6 bytes held ('€€') and 3 bytes arriving ('é\n').
    expect(out.text).toContain('[web1] out: [rivet: 9 bytes of live output not shown');
  });
});
