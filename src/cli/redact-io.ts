/**
 * Keeps passwords written in target URIs (`ssh://user:pw@host`, `user:pw@host`) out of everything
 * the CLI prints, at every log level and in every format: the CLI's writers pass their text
 * through {@link uriPasswordRedactor} first.
 *
 * @example
 * ```ts
 * const redact = uriPasswordRedactor(['-t', 'ssh://root:hunter2@web1']);
 * redact('Started on ssh://root:hunter2@web1...'); // 'Started on ssh://root@web1...'
 * ```
 * @module
 */
import { safeUri } from '../runtime/inventory/uri.ts';
import type { CliIO, Writer } from './render/writer.ts';

/** `scheme://user:password@`: any URI with a password, wherever it appears. */
const URI_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi;
/** An argument word that is a target with a password but no scheme (`user:pw@host`). */
const BARE_WITH_PASSWORD = /^[^\s:@/]+:[^\s@/]*@[^\s@]+$/;

/**
 * A function that removes URI passwords from text: every `scheme://user:password@` and every
 * target named in `argv` as `user:password@host` (comma-separated lists included).
 */
export function uriPasswordRedactor(argv: readonly string[]): (text: string) => string {
  const bare = new Map<string, string>();
  for (const arg of argv) {
    for (const word of arg.split(/[\s,]+/)) {
      if (BARE_WITH_PASSWORD.test(word)) bare.set(word, safeUri(word));
    }
  }
  const pairs = [...bare].sort((a, b) => b[0].length - a[0].length);
  return (text) => {
    let out = text.replace(URI_WITH_PASSWORD, '$1@');
    for (const [unsafe, safe] of pairs) if (out.includes(unsafe)) out = out.replaceAll(unsafe, safe);
    return out;
  };
}

/** The CLI's IO with both writers redacting URI passwords (see {@link uriPasswordRedactor}). */
export function redactingIO(io: CliIO, argv: readonly string[]): CliIO {
  const redact = uriPasswordRedactor(argv);
  const wrap = (writer: Writer): Writer => ({ write: (text) => writer.write(redact(text)), isTTY: writer.isTTY, backlog: writer.backlog });
  return { ...io, out: wrap(io.out), err: wrap(io.err) };
}
