/**
 * The one order tasks are looked up in (T-09), shared by the runtime (`TaskCatalog`) and
 * `rivet types` (codegen's read phase), so the types always describe the task a run picks.
 *
 * Bolt 3.30 (`lib/bolt/config.rb` `modulepath`, `lib/bolt/config/modulepath.rb` `full_modulepath`):
 * its own bolt-modules, the project's modulepath, `<project>/.modules` (always), then its packaged
 * modules (`facts`, `package`, `service`, ...) last. Rivet's built-in modules stand where Bolt's
 * packaged modules do, so a module installed into `.modules` (or kept in `modules/`) with a
 * built-in's name wins over the built-in one.
 *
 * @example
 * ```ts
 * taskModulepath(['/p/modules'], '/p', BUILTIN_MODULES_DIR); // ['/p/modules', '/p/.modules', '<rivet>/builtin-modules']
 * ```
 * @module
 */
import { join, resolve } from 'node:path';

/**
 * `modulepath`, then `<projectDir>/.modules` unless it is on it already, then `builtinDir`: every
 * directory absolute, each once.
 */
export function taskModulepath(modulepath: readonly string[], projectDir: string | undefined, builtinDir: string): string[] {
  const managed = projectDir === undefined ? [] : [join(projectDir, '.modules')];
  return [...new Set([...modulepath, ...managed, builtinDir].map((dir) => resolve(dir)))];
}
