/**
 * Asking for a secret on the terminal, without echo. Without a terminal it is an error (Bolt's
 * `bolt/no-tty-error`): Rivet never waits on a stdin nobody types into.
 *
 * @module
 */
import { StringDecoder } from 'node:string_decoder';
import { ErrorKind, RivetError } from '../core/errors.ts';
import type { CliIO } from './render/writer.ts';

export async function promptSecret(question: string, io: Pick<CliIO, 'err' | 'stdinIsTTY'>): Promise<string> {
  const stdin = process.stdin;
  if (!io.stdinIsTTY || !stdin.isTTY) {
    throw new RivetError(ErrorKind.NoTty, `Cannot ask '${question.replace(/:\s*$/, '')}': standard input is not a terminal`, { issueCode: 'NO_TTY' });
  }
  io.err.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      // A character typed or pasted may arrive in two reads.
      const decoder = new StringDecoder('utf8');
      const onData = (data: Buffer): void => {
        for (const ch of decoder.write(data)) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData);
            io.err.write('\n');
            return resolve(value);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            io.err.write('\n');
            return reject(new RivetError(ErrorKind.Canceled, 'Canceled at the password prompt'));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
