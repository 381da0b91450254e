/**
 * The `max-output` cut of a captured stream ({@link BoundedCapture}): it counts bytes, never
 * splits a UTF-8 character (the marker follows whole text), and wherever the chunks split the
 * text, what is kept plus what is counted as dropped is all of it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedCapture, truncationMarker } from '../../../src/transports/posix/capture.ts';

function capture(limit: number, chunks: readonly Buffer[]): BoundedCapture {
  const out = new BoundedCapture(limit);
  for (const chunk of chunks) out.push(chunk);
  return out;
}

describe('BoundedCapture', () => {
  it('keeps the first bytes and ends with the marker counting the dropped bytes', () => {
    const out = capture(4, [Buffer.from('abcdef')]);
    expect(out.dropped).toBe(2);
    expect(out.toBuffer().toString()).toBe(`abcd${truncationMarker(2, 4)}`);
  });

  it('a limit inside a character drops the whole character: no U+FFFD before the marker', () => {
    // 'ab€cd': the limit of 3 falls after e2 of '€' (e2 82 ac).
    const out = capture(3, [Buffer.from('ab€cd')]);
    expect(out.toBuffer().toString()).toBe(`ab${truncationMarker(5, 3)}`);
    expect(out.dropped).toBe(5);
  });

  it('a character begun in an earlier kept chunk is taken back out when the limit splits it', () => {
    // '😀' (f0 9f 98 80) arrives in three chunks; the limit of 4 falls after its second byte.
    const out = capture(4, [Buffer.from('ab'), Buffer.from([0xf0]), Buffer.from([0x9f, 0x98]), Buffer.from([0x80, 0x0a])]);
    expect(out.toBuffer().toString()).toBe(`ab${truncationMarker(5, 4)}`);
  });

  it('nothing is kept after the cut, even when taking back a character left room', () => {
    // The limit of 3 is reached at e2 of '€'; the next chunk shows it split, so e2 goes: 1 byte of room, not used for 'c'.
    const out = capture(3, [Buffer.from([0x61, 0x62, 0xe2]), Buffer.from([0x82, 0xac]), Buffer.from('c')]);
    expect(out.toBuffer().toString()).toBe(`ab${truncationMarker(4, 3)}`);
  });

  it('any text, any chunks, any limit: kept bytes are at most the limit, whole characters, and kept + dropped is everything', () => {
    const text = fc.string({ unit: fc.constantFrom('a', '\n', 'é', '€', '😀'), minLength: 1 });
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 1, max: 40 }), (s, cuts, limit) => {
        const bytes = Buffer.from(s);
        const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i, all) => bytes.subarray(start, all[i + 1] ?? bytes.length));
        const out = capture(limit, chunks);
        const whole = out.toBuffer();
        const kept = out.dropped === 0 ? whole : whole.subarray(0, whole.length - Buffer.byteLength(truncationMarker(out.dropped, limit)));
        expect(kept.length).toBeLessThanOrEqual(limit);
        expect(kept.length + out.dropped).toBe(bytes.length);
        expect(s.startsWith(kept.toString('utf8'))).toBe(true);
        if (out.dropped > 0) expect(limit - kept.length).toBeLessThanOrEqual(3);
      }),
      { numRuns: 300 },
    );
  });
});
