/**
 * Bounded capture of a process's output: the first `limit` bytes are kept, the rest are counted
 * and dropped, so one target printing gigabytes cannot exhaust the controller's memory. A
 * truncated capture ends with a marker line saying how much was left out.
 *
 * @example
 * ```ts
 * const out = new BoundedCapture(4);
 * out.push(Buffer.from('abcdef'));
 * out.toBuffer().toString(); // 'abcd\n[rivet: output truncated: 2 more bytes not kept (max-output 4 bytes)]\n'
 * ```
 * @module
 */
import { splitCharBytes } from '../../core/utf8.ts';

/** Default cap on each of stdout, stderr and their merged form, per target and step: 10 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024;

/** The marker line appended to a truncated capture. */
export function truncationMarker(dropped: number, limit: number): string {
  return `\n[rivet: output truncated: ${dropped} more bytes not kept (max-output ${limit} bytes)]\n`;
}

export class BoundedCapture {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #dropped = 0;

  constructor(readonly limit: number = DEFAULT_MAX_OUTPUT_BYTES) {}

  /**
   * Keeps what fits under the limit; counts the rest. The cut never splits a UTF-8 character: the
   * bytes of one the limit would cut are dropped too (and counted), so the marker follows whole text.
   */
  push(chunk: Buffer): void {
    if (this.#dropped > 0) {
      this.#dropped += chunk.length;
      return;
    }
    const room = this.limit - this.#kept;
    if (room >= chunk.length) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
      return;
    }
    const tail = this.#keptTail(3);
    const split = splitCharBytes(Buffer.concat([tail, chunk.subarray(0, room + 1)]), tail.length + room);
    const take = Math.max(0, room - split);
    // A copy, so the kept bytes don't pin the (possibly large) chunk they came from.
    if (take > 0) this.#chunks.push(Buffer.from(chunk.subarray(0, take)));
    this.#kept += take;
    this.#unkeep(split - (room - take));
    this.#dropped += chunk.length - take;
  }

  /** Bytes that did not fit. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The kept bytes, with the truncation marker when something was dropped. */
  toBuffer(): Buffer {
    const kept = Buffer.concat(this.#chunks);
    return this.#dropped === 0 ? kept : Buffer.concat([kept, Buffer.from(truncationMarker(this.#dropped, this.limit))]);
  }

  /** The last `n` kept bytes (fewer when fewer were kept). */
  #keptTail(n: number): Buffer {
    const parts: Buffer[] = [];
    let length = 0;
    for (let i = this.#chunks.length - 1; i >= 0 && length < n; i--) {
      const chunk = this.#chunks[i]!;
      const part = chunk.subarray(Math.max(0, chunk.length - (n - length)));
      parts.unshift(part);
      length += part.length;
    }
    return Buffer.concat(parts);
  }

  /** Moves the last `n` kept bytes to the dropped ones. */
  #unkeep(n: number): void {
    let left = n;
    while (left > 0 && this.#chunks.length > 0) {
      const last = this.#chunks[this.#chunks.length - 1]!;
      const cut = Math.min(left, last.length);
      if (cut === last.length) this.#chunks.pop();
      else this.#chunks[this.#chunks.length - 1] = last.subarray(0, last.length - cut);
      left -= cut;
      this.#kept -= cut;
      this.#dropped += cut;
    }
  }
}
