/**
 * A project named like one of its modules (`name: ops` with `modules/ops`): the project is loaded
 * as the module `ops` (T-08) and hides the real one. Bolt warns (`lib/bolt/pal.rb`
 * `detect_project_conflict`, "The project 'ops' shadows an existing module of the same name");
 * Rivet warns too and repeats it in the unknown-task error.
 *
 * @example
 * ```ts
 * const dirs = shadowedModuleDirs('ops', ['/site/modules']); // ['/site/modules/ops'] when it exists
 * if (dirs.length > 0) console.warn(projectShadowsModule('ops', dirs));
 * ```
 * @module
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The module directories on `modulepath` named like the project: the project (loaded as a module
 * of that name, T-08) hides them. Bolt's `PAL#detect_project_conflict`.
 *
 * @example
 * ```ts
 * shadowedModuleDirs('ops', ['/site/modules']); // ['/site/modules/ops'] when that directory exists
 * ```
 */
export function shadowedModuleDirs(projectName: string | undefined, modulepath: readonly string[]): string[] {
  if (projectName === undefined) return [];
  return modulepath.map((dir) => join(dir, projectName)).filter(isDir);
}

/** Bolt's warning (`project_shadows_module`), naming the hidden module directories. */
export function projectShadowsModule(projectName: string, dirs: readonly string[]): string {
  return `The project '${projectName}' shadows an existing module of the same name (${dirs.join(', ')}): that module's tasks are hidden; rename the project or the module`;
}

