/**
 * {@link OutputText}: one step's live output of one target, decoded per stream across chunks;
 * ended once (what a stream left unfinished, one U+FFFD per cut character); chunks after that
 * are decoded alone, with no decoder kept.
 */
import { describe, expect, it } from 'vitest';
import { OutputText } from '../../src/runtime/output-text.ts';

describe('OutputText', () => {
  it('keeps stdout and stderr apart, each decoded across its chunks, byte by byte', () => {
    const text = new OutputText();
    const out = Buffer.from('a€😀\n');
    const err = Buffer.from('é日\n');
    let stdout = '';
    let stderr = '';
    for (let i = 0; i < Math.max(out.length, err.length); i++) {
      if (i < out.length) stdout += text.write('stdout', out.subarray(i, i + 1));
      if (i < err.length) stderr += text.write('stderr', err.subarray(i, i + 1));
    }
    expect([stdout, stderr]).toEqual(['a€😀\n', 'é日\n']);
    expect(text.end()).toEqual([]);
  });

  it('end gives one U+FFFD for each stream cut inside a character, stdout first', () => {
    const text = new OutputText();
    expect(text.write('stderr', Buffer.from([0x78, 0xf0, 0x9f, 0x98]))).toBe('x');
    expect(text.write('stdout', Buffer.from([0xe2, 0x82]))).toBe('');
    expect(text.end()).toEqual([
      { stream: 'stdout', text: '\ufffd' },
      { stream: 'stderr', text: '\ufffd' },
    ]);
  });

  it('after end, a late chunk is decoded alone and end has nothing more', () => {
    const text = new OutputText();
    text.end();
    expect(text.write('stdout', Buffer.from([0x61, 0xe2]))).toBe('a\ufffd');
    expect(text.end()).toEqual([]);
  });
});
