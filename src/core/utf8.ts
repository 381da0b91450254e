/**
 * Cutting UTF-8 bytes without splitting a character: where a byte limit (`max-output`, the live
 * output a durable worker forwards) cuts a stream, the cut moves back to the start of a character
 * the next bytes complete, so the kept text never ends in a replacement character.
 *
 * @example
 * ```ts
 * const euro = Buffer.from('a€b'); // 61 e2 82 ac 62
 * splitCharBytes(euro, 3); // 2: bytes 1..2 start '€', which goes on past byte 3
 * splitCharBytes(euro, 4); // 0: the cut falls after '€'
 * ```
 * @module
 */

/** Length of the UTF-8 sequence a lead byte starts (0 for a continuation or invalid byte). */
function sequenceLength(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte <= 0xdf) return 2;
  if (byte >= 0xe0 && byte <= 0xef) return 3;
  if (byte >= 0xf0 && byte <= 0xf4) return 4;
  return 0;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/**
 * How many bytes just before `at` belong to a character that goes on at `at`: cutting `bytes` at
 * `at - splitCharBytes(bytes, at)` splits no character. 0 when the cut at `at` splits none (or
 * the bytes there are not UTF-8: nothing is moved for them). `bytes` must hold the character's
 * first byte (up to 3 bytes before `at`) and the byte at `at`.
 */
export function splitCharBytes(bytes: Uint8Array, at: number): number {
  if (at <= 0 || at >= bytes.length || !isContinuation(bytes[at]!)) return 0;
  for (let back = 1; back <= 3 && at - back >= 0; back++) {
    const byte = bytes[at - back]!;
    if (isContinuation(byte)) continue;
    return sequenceLength(byte) > back ? back : 0;
  }
  return 0;
}
