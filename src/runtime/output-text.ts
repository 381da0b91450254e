/**
 * Live output as text: one target's stdout and stderr chunks of one step, decoded as UTF-8 streams
 * (Node's `StringDecoder`), so a character whose bytes arrive in two chunks is decoded whole, not
 * as two replacement characters. {@link end} gives what a stream left unfinished: a last character
 * cut short shows as one U+FFFD, never silently dropped. After that, chunks are decoded alone and
 * the decoders are released (a transport that reports output late holds no decoder).
 *
 * @example
 * ```ts
 * const text = new OutputText();
 * text.write('stdout', Buffer.from([0xe2, 0x82])); // ''
 * text.write('stdout', Buffer.from([0xac, 0x0a])); // '€\n'
 * text.end(); // [] (nothing left over)
 * ```
 * @module
 */
import { StringDecoder } from 'node:string_decoder';

export type OutputStream = 'stdout' | 'stderr';

export class OutputText {
  #decoders: Partial<Record<OutputStream, StringDecoder>> | undefined = {};

  /** The text of `chunk` that is complete so far (possibly empty). */
  write(stream: OutputStream, chunk: Buffer): string {
    const decoders = this.#decoders;
    if (decoders === undefined) return chunk.toString('utf8');
    return (decoders[stream] ??= new StringDecoder('utf8')).write(chunk);
  }

  /** Ends both streams: the text each left unfinished (U+FFFD for a cut character), in stdout, stderr order. */
  end(): { stream: OutputStream; text: string }[] {
    const decoders = this.#decoders;
    this.#decoders = undefined;
    if (decoders === undefined) return [];
    const rest: { stream: OutputStream; text: string }[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const text = decoders[stream]?.end() ?? '';
      if (text !== '') rest.push({ stream, text });
    }
    return rest;
  }
}
