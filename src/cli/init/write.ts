/**
 * Writing new files all or nothing, for `rivet init`: {@link existingPaths} finds what is already
 * there (the caller refuses before writing anything), and {@link NewFiles} creates each file only if
 * it does not exist yet and, on failure, removes every file and directory it made.
 *
 * @example
 * ```ts
 * if ((await existingPaths(dir, ['package.json'])).length === 0) {
 *   const files = new NewFiles(dir);
 *   try {
 *     await files.write('package.json', '{}\n');
 *   } catch (error) {
 *     await files.rollback();
 *     throw error;
 *   }
 * }
 * ```
 * @module
 */
import { chmod, lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** The paths (relative to `dir`) that exist already, as files, directories or links, in the given order. */
export async function existingPaths(dir: string, paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    try {
      await lstat(join(dir, path));
      found.push(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') found.push(path);
    }
  }
  return found;
}

/** Files created under one directory, remembered so that {@link NewFiles.rollback} can remove them. */
export class NewFiles {
  readonly dir: string;
  readonly #files: string[] = [];
  readonly #dirs: string[] = [];

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Creates the directory, then the file; fails (EEXIST) rather than replace a file that exists. */
  async write(path: string, content: string, options: { executable?: boolean | undefined } = {}): Promise<void> {
    const file = join(this.dir, path);
    const made = await mkdir(dirname(file), { recursive: true });
    if (made !== undefined) this.#dirs.push(made);
    await writeFile(file, content, { flag: 'wx', mode: options.executable ? 0o755 : 0o644 });
    this.#files.push(file);
    // The mode given to writeFile is masked by the umask: an executable must be executable.
    if (options.executable) await chmod(file, 0o755);
  }

  /**
   * Removes the files written, then the directories made for them (those that are empty again),
   * newest first. Never throws: what cannot be removed is left.
   */
  async rollback(): Promise<void> {
    for (const file of [...this.#files].reverse()) await rm(file, { force: true }).catch(() => undefined);
    this.#files.length = 0;
    for (const made of [...this.#dirs].reverse()) {
      // `mkdir -p` reports the first directory it made; remove it and the ones below it if empty.
      await removeEmptyTree(made);
    }
    this.#dirs.length = 0;
  }
}

/** Removes `dir` and its subdirectories when they hold nothing but empty directories. */
async function removeEmptyTree(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isDirectory()) await removeEmptyTree(path);
  }
  await rmdir(dir).catch(() => undefined);
}
