/**
 * Local file helpers for plans (P-31): Bolt's `file::`, `dir::` and `system::env`. Paths are
 * absolute, `module/file` (the module's `files/file`, else `module/file` in the module), or
 * relative to the project directory.
 *
 * @example
 * ```ts
 * const page = await file.read('site/index.html'); // modules/site/files/index.html
 * if (await file.exists('tmp/site')) out.message(await dir.children('tmp/site'));
 * ```
 * @module
 */
import { access, constants, readFile, readdir, rm, writeFile as writeLocal } from 'node:fs/promises';
import { join } from 'node:path';
import { currentContext } from './context.ts';

export const file = {
  /** The absolute path a plan path resolves to. */
  resolve(path: string): string {
    return currentContext('file.resolve').resolvePath(path);
  },
  async read(path: string): Promise<string> {
    return readFile(currentContext('file.read').resolvePath(path), 'utf8');
  },
  async write(path: string, content: string | Uint8Array): Promise<void> {
    await writeLocal(currentContext('file.write').resolvePath(path), content);
  },
  async exists(path: string): Promise<boolean> {
    return access(currentContext('file.exists').resolvePath(path)).then(
      () => true,
      () => false,
    );
  },
  async readable(path: string): Promise<boolean> {
    return access(currentContext('file.readable').resolvePath(path), constants.R_OK).then(
      () => true,
      () => false,
    );
  },
  async delete(path: string): Promise<void> {
    await rm(currentContext('file.delete').resolvePath(path), { recursive: true, force: true });
  },
  join(...parts: string[]): string {
    currentContext('file.join');
    return join(...parts);
  },
};

export const dir = {
  /** Names in the directory, `.` and `..` excluded, sorted. */
  async children(path: string): Promise<string[]> {
    return (await readdir(currentContext('dir.children').resolvePath(path))).sort();
  },
};

/** An environment variable of the machine running the plan (`system::env`). */
export function env(name: string): string | undefined {
  return currentContext('env').env(name);
}
