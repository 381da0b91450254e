/**
 * Unpacking a module tarball (`owner-name-1.2.3.tar.gz`) safely. The gzip stream is inflated with
 * a bound on its size (a decompression bomb stops there), every entry is checked before anything
 * is written: no absolute paths, no `..`, no links that point out of the module, only files,
 * directories and links, at most {@link TARBALL_LIMITS} entries and bytes. Only then does `tar`
 * extract it (top directory stripped, owners not kept).
 *
 * @example
 * ```ts
 * await unpackModuleTarball(buffer, '/p/.rivet-stage-x/modules/stdlib', 'puppetlabs-stdlib-9.0.0');
 * ```
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser, x as extract, type ReadEntry } from 'tar';
import { installError } from './errors.ts';

export const TARBALL_LIMITS = {
  /** Inflated bytes (the tar stream). */
  maxBytes: 128 * 1024 * 1024,
  /** Entries. */
  maxEntries: 20_000,
};

interface Entry {
  path: string;
  type: string;
  linkpath: string | undefined;
  size: number;
}

function inflate(gz: Buffer, what: string, maxBytes: number): Buffer {
  try {
    return gunzipSync(gz, { maxOutputLength: maxBytes });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw installError(`${what} unpacks to more than ${maxBytes} bytes (a decompression bomb?): not installed`, { file: what, limit: maxBytes });
    }
    throw installError(`${what} is not a valid .tar.gz file: ${(error as Error).message}`, { file: what }, error);
  }
}

async function list(tarBytes: Buffer, what: string, maxEntries: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  let problem: Error | undefined;
  await new Promise<void>((done) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (entries.length >= maxEntries) problem ??= installError(`${what} has more than ${maxEntries} entries: not installed`, { file: what, limit: maxEntries });
        else entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath, size: entry.size });
        entry.resume();
      },
    });
    parser.on('error', (error: Error) => {
      problem ??= installError(`${what} is not a valid tar archive: ${error.message}`, { file: what }, error);
      done();
    });
    parser.on('end', () => done());
    parser.on('close', () => done());
    parser.end(tarBytes);
  });
  if (problem !== undefined) throw problem;
  if (entries.length === 0) throw installError(`${what} is empty or not a tar archive`, { file: what });
  return entries;
}

/** The entry's path inside the module (top directory removed), or a reason it is refused. */
function check(entries: readonly Entry[], what: string): void {
  const hostile = (entry: Entry, why: string): never => {
    throw installError(`${what} has a hostile entry '${entry.path}': ${why}; not installed`, { file: what, entry: entry.path });
  };
  let top: string | undefined;
  for (const entry of entries) {
    const path = entry.path.replace(/\\/g, '/');
    if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) hostile(entry, 'absolute path');
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) hostile(entry, "'..' in the path");
    if (parts.length === 0) continue;
    top ??= parts[0];
    if (parts[0] !== top) hostile(entry, `outside the top directory '${top}'`);
    const inner = parts.slice(1).join('/');
    switch (entry.type) {
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
      case 'Directory':
        break;
      case 'SymbolicLink':
      case 'Link': {
        const target = (entry.linkpath ?? '').replace(/\\/g, '/');
        if (target.startsWith('/') || /^[a-zA-Z]:/.test(target)) hostile(entry, `link to the absolute path '${target}'`);
        if (entry.type === 'SymbolicLink') {
          // Relative to the link's own directory inside the module.
          const rel = posix.normalize(posix.join(posix.dirname(inner === '' ? '.' : inner), target));
          if (rel === '..' || rel.startsWith('../')) hostile(entry, `link out of the module to '${target}'`);
        } else {
          // A hard link names another path in the archive.
          const linkParts = target.split('/').filter((p) => p !== '' && p !== '.');
          if (linkParts.includes('..') || linkParts[0] !== top) hostile(entry, `link out of the module to '${target}'`);
        }
        break;
      }
      default:
        hostile(entry, `entry type ${entry.type} is not allowed`);
    }
  }
  if (top === undefined) throw installError(`${what} has no files`, { file: what });
}

/**
 * Checks and unpacks a module tarball into `dest` (created), stripping the top directory.
 * Nothing is written when any check fails.
 */
export async function unpackModuleTarball(gz: Buffer, dest: string, what: string, limits = TARBALL_LIMITS): Promise<void> {
  const tarBytes = inflate(gz, what, limits.maxBytes);
  const entries = await list(tarBytes, what, limits.maxEntries);
  check(entries, what);
  const total = entries.reduce((sum, e) => sum + e.size, 0);
  if (total > limits.maxBytes) throw installError(`${what} holds ${total} bytes, more than the limit of ${limits.maxBytes}: not installed`, { file: what, limit: limits.maxBytes });
  await mkdir(dest, { recursive: true });
  await new Promise<void>((done, fail) => {
    const stream = extract({ cwd: dest, strip: 1, preserveOwner: false, strict: true });
    stream.on('error', (error: Error) => fail(installError(`cannot unpack ${what}: ${error.message}`, { file: what }, error)));
    stream.on('finish', () => done());
    stream.on('close', () => done());
    stream.end(tarBytes);
  });
}
