/**
 * {@link copyPath}: `fs.cp` (recursive, timestamps kept, existing files replaced) that stops part-way
 * when its AbortSignal aborts. `fs.cp` itself takes no signal, so each file's bytes go through a
 * stream pipeline that does (a large file stops mid-copy, a named pipe that never ends too), and a
 * directory copy checks the signal at every entry. Directories, symlinks and modes are `fs.cp`'s.
 *
 * @example
 * ```ts
 * await copyPath('site', '/tmp/rivet.x/site', signal, { verbatimSymlinks: true });
 * ```
 * @module
 */
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { chmod, cp, lstat, utimes } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { ErrorKind, RivetError } from '../../core/errors.ts';

export interface CopyPathOptions {
  /** As `fs.cp`'s: a link is copied as the same link (not made absolute). */
  verbatimSymlinks?: boolean | undefined;
}

/** Copies `source` (a file, a named pipe read to its end, a directory or a link) to `dest`. */
export async function copyPath(source: string, dest: string, signal: AbortSignal, options: CopyPathOptions = {}): Promise<void> {
  signal.throwIfAborted();
  const info = await lstat(source);
  if (isStreamed(info)) return copyFile(source, dest, info, signal);
  await cp(source, dest, {
    recursive: true,
    preserveTimestamps: true,
    verbatimSymlinks: options.verbatimSymlinks === true,
    // Called for every entry before cp copies it (its parent directory exists by then): files are
    // copied here, under the signal, and skipped by cp.
    filter: async (from, to) => {
      signal.throwIfAborted();
      if (from === source) return true;
      const entry = await lstat(from);
      if (!isStreamed(entry)) return true;
      await copyFile(from, to, entry, signal);
      return false;
    },
  });
}

function isStreamed(info: Stats): boolean {
  return info.isFile() || info.isFIFO();
}

/** One file's bytes under `signal`, then its timestamps and exact mode (as `fs.cp` leaves them). */
async function copyFile(source: string, dest: string, info: Stats, signal: AbortSignal): Promise<void> {
  const mode = info.mode & 0o7777;
  await pipeline(createReadStream(source), createWriteStream(dest, { mode: mode | 0o200 }), { signal });
  await utimes(dest, info.atime, info.mtime);
  await chmod(dest, mode);
}

/** The error of a local copy stopped by its signal (kind `rivet/canceled`, as an ssh transfer's). */
export function canceledCopy(target: string, what: string): RivetError {
  return new RivetError(ErrorKind.Canceled, `local ${target}: ${what} canceled`, { target, issueCode: 'CANCELED' });
}
