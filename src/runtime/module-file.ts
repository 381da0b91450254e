/**
 * Finding a file the CLI names (`rivet script run`, `rivet file upload`) as Bolt's
 * `lib/bolt/application.rb` `find_file` does: a path that exists (from the current directory) or
 * is absolute is used as is; otherwise `<module>/<rest>` is looked up through the modulepath (the
 * project counts as a module of its own name, T-08): `<module>/files/<rest>`, then
 * `<module>/<rest>` (`lib/bolt/util.rb` `search_module`). When the module exists but not the
 * file, the result is `<module>/files/<rest>`, so the "does not exist" error names where Rivet
 * looked.
 *
 * @example
 * ```ts
 * findCliFile('mymod/scripts/x.sh', { cwd: '/work', modulepath: ['/proj/modules'] });
 * // '/proj/modules/mymod/scripts/x.sh' (when /work/mymod/scripts/x.sh does not exist)
 * ```
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export interface FindFileScope {
  /** Where a relative path is tried first. */
  cwd: string;
  /** Directories holding modules, in lookup order. */
  modulepath: readonly string[];
  /** The project, which is a module named after it. */
  project?: { name: string | undefined; dir: string } | undefined;
}

/** The absolute path of the file `path` names; see the module doc. */
export function findCliFile(path: string, scope: FindFileScope): string {
  const local = resolve(scope.cwd, path);
  if (isAbsolute(path) || existsSync(local)) return local;
  const slash = path.indexOf('/');
  const moduleName = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  const moduleDir = findModule(moduleName, scope);
  if (moduleDir === undefined) return local;
  return searchModule(moduleDir, rest) ?? join(moduleDir, 'files', rest);
}

function findModule(name: string, scope: FindFileScope): string | undefined {
  if (name === '' || name === '.' || name === '..') return undefined;
  if (scope.project?.name === name) return scope.project.dir;
  for (const dir of scope.modulepath) {
    const candidate = join(dir, name);
    if (isDirectory(candidate)) return candidate;
  }
  return undefined;
}

/** `files/<rest>` first, then the new-style `<rest>` (Bolt's `search_module`). */
function searchModule(moduleDir: string, rest: string): string | undefined {
  const inFiles = join(moduleDir, 'files', rest);
  if (existsSync(inFiles)) return inFiles;
  const direct = join(moduleDir, rest);
  return existsSync(direct) ? direct : undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
