/**
 * {@link MarkerLine}: takes one `<prefix><value>\n` line out of a byte stream (the bootstrap's
 * process group report on stderr) and passes everything else through unchanged and at once. Only
 * a trailing partial line that could still become the marker is held back, so a sudo prompt (no
 * newline) is never delayed.
 *
 * @example
 * ```ts
 * const pgid = new MarkerLine('RIVET_1f2e_PGID:');
 * const passed = pgid.push(chunk); // the chunk without the marker line
 * pgid.value;                      // '4242' once the line went by
 * ```
 * @module
 */

/** A marker line longer than this is not Rivet's: give up and pass it through. */
const MAX_MARKER_LINE = 1024;

export class MarkerLine {
  readonly #prefix: Buffer;
  #held: Buffer = Buffer.alloc(0);
  #done = false;
  /** The text after the prefix, once the marker line went by. */
  value: string | undefined;

  constructor(prefix: string) {
    this.#prefix = Buffer.from(prefix);
  }

  /** Feeds a chunk; returns what passes through (possibly empty). */
  push(chunk: Buffer): Buffer {
    if (this.#done) return chunk;
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = Buffer.alloc(0);
    const at = data.indexOf(this.#prefix);
    if (at >= 0) {
      const newline = data.indexOf(0x0a, at);
      if (newline < 0) {
        if (data.length - at > MAX_MARKER_LINE) return this.#giveUp(data);
        this.#held = data.subarray(at);
        return data.subarray(0, at);
      }
      this.value = data.subarray(at + this.#prefix.length, newline).toString('utf8');
      this.#done = true;
      return Buffer.concat([data.subarray(0, at), data.subarray(newline + 1)]);
    }
    const keep = this.#partialPrefixLength(data);
    this.#held = Buffer.from(data.subarray(data.length - keep));
    return data.subarray(0, data.length - keep);
  }

  /** Ends the stream: returns whatever was held back. */
  flush(): Buffer {
    return this.#giveUp(this.#held);
  }

  #giveUp(data: Buffer): Buffer {
    this.#done = true;
    this.#held = Buffer.alloc(0);
    return data;
  }

  /** The length of the longest end of `data` that is a proper beginning of the prefix. */
  #partialPrefixLength(data: Buffer): number {
    for (let k = Math.min(data.length, this.#prefix.length - 1); k > 0; k--) {
      if (data.subarray(data.length - k).equals(this.#prefix.subarray(0, k))) return k;
    }
    return 0;
  }
}
