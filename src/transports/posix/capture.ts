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

  /** Keeps what fits under the limit; counts the rest. */
  push(chunk: Buffer): void {
    const room = this.limit - this.#kept;
    if (room >= chunk.length) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
      return;
    }
    if (room > 0) {
      // A copy, so the kept bytes don't pin the (possibly large) chunk they came from.
      this.#chunks.push(Buffer.from(chunk.subarray(0, room)));
      this.#kept += room;
    }
    this.#dropped += chunk.length - room;
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
}
