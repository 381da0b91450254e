/**
 * Rivet's private plan cache: a directory under the system temp dir, one per user, mode 700, for
 * plans compiled from TypeScript (`compile.ts`) and translated from Bolt's languages
 * (`bolt-plans.ts`). A directory another user planted (or a link to one) is refused.
 *
 * @example
 * ```ts
 * const dir = await privateCacheDir(); // '/tmp/rivet-plans-1000'
 * ```
 * @module
 */
import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RivetError } from '../../core/errors.ts';

/** The cache directory, made (mode 700) when missing and checked to be this user's own. */
export async function privateCacheDir(): Promise<string> {
  const dir = join(tmpdir(), `rivet-plans-${process.getuid?.() ?? 'user'}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir); // not stat: a symbolic link planted by another user is refused
  if (!info.isDirectory() || (process.getuid !== undefined && (info.uid !== process.getuid() || (info.mode & 0o077) !== 0))) {
    throw new RivetError('rivet/plan-cache-error', `The plan cache ${dir} must be a directory owned by this user with mode 700`, { details: { path: dir } });
  }
  return dir;
}
