/**
 * Cutting UTF-8 without splitting a character (the `max-output` cut, a durable worker's live output
 * bound): every cut point of text with 1- to 4-byte characters, and bytes that are not UTF-8.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCharBytes } from '../../src/core/utf8.ts';

describe('splitCharBytes', () => {
  it('moves a cut inside a character back to its first byte, for 2-, 3- and 4-byte characters', () => {
    for (const char of ['é', '€', '😀']) {
      const bytes = Buffer.from(`a${char}b`);
      const size = Buffer.byteLength(char);
      for (let at = 0; at <= bytes.length; at++) {
        const inside = at > 1 && at < 1 + size;
        expect(splitCharBytes(bytes, at), `${char} cut at ${at}`).toBe(inside ? at - 1 : 0);
      }
    }
  });

  it('any text cut at any byte: what is kept decodes without a replacement character', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '\n', 'é', '€', '日', '😀', '𝄞') }), fc.nat(), (text, n) => {
        const bytes = Buffer.from(text);
        const at = bytes.length === 0 ? 0 : n % (bytes.length + 1);
        const kept = bytes.subarray(0, at - splitCharBytes(bytes, at));
        expect(kept.toString('utf8')).not.toContain('\ufffd');
        expect(text.startsWith(kept.toString('utf8'))).toBe(true);
        expect(at - kept.length).toBeLessThanOrEqual(3);
      }),
    );
  });

  it('leaves bytes that are not UTF-8 where they are', () => {
    expect(splitCharBytes(Buffer.from([0x80, 0x80, 0x80, 0x80]), 2)).toBe(0); // no lead byte within 3
    expect(splitCharBytes(Buffer.from([0xe2, 0x41, 0x82]), 2)).toBe(0); // the lead byte's sequence ended
    expect(splitCharBytes(Buffer.from([0xc2, 0x82, 0x82]), 2)).toBe(0); // a complete 2-byte character before the cut
    expect(splitCharBytes(Buffer.from([0xff, 0x82]), 1)).toBe(0);
  });
});
