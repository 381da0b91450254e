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
import { uriPasswordRedactorFor } from '../core/uri-passwords.ts';
import type { CliIO, Writer } from './render/writer.ts';

/**
 * A function that removes URI passwords from text: every `scheme://user:password@` and every
 * target named in `argv` with a password (`user:password@host`, comma-separated lists included).
 */
export function uriPasswordRedactor(argv: readonly string[]): (text: string) => string {
  return uriPasswordRedactorFor(argv.flatMap((arg) => arg.split(/[\s,]+/)));
}

/** The CLI's IO with both writers redacting URI passwords (see {@link uriPasswordRedactor}). */
export function redactingIO(io: CliIO, argv: readonly string[]): CliIO {
  const redact = uriPasswordRedactor(argv);
  const wrap = (writer: Writer): Writer => ({ write: (text) => writer.write(redact(text)), isTTY: writer.isTTY, backlog: writer.backlog });
  return { ...io, out: wrap(io.out), err: wrap(io.err) };
}
