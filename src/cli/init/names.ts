/**
 * Names for `rivet init`: the project name (from `--name`, checked, or made from the directory
 * name) and the npm package name (made from the directory name).
 *
 * @example
 * ```ts
 * initProjectName(undefined, 'My Site'); // 'my_site'
 * initProjectName('ops', 'My Site');     // 'ops'
 * packageNameFor('My Site', 'my_site');  // 'my-site'
 * ```
 * @module
 */
import { readdirSync } from 'node:fs';
import { UsageError } from '../../core/errors.ts';
import { PROJECT_NAME_PATTERN, projectNameFor } from '../../runtime/project.ts';
import { BUILTIN_MODULES_DIR } from '../../runtime/task-catalog.ts';

/** Names npm refuses as package names whatever their characters. */
const NPM_RESERVED = new Set(['node_modules', 'favicon.ico']);
const NPM_NAME_MAX = 214;

/** The names of Rivet's built-in modules (`facts`, `package`, `service`). */
export function builtinModuleNames(): string[] {
  try {
    return readdirSync(BUILTIN_MODULES_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * The project name for `rivet init`: `given` (`--name`) when it is valid, else a UsageError; without
 * it, a name made from the directory name. A project named like a built-in module would hide that
 * module (`runTask('package')` would look for the project's own `tasks/init.*`), so `--name` may not
 * be one and a derived name gets `_project` added.
 *
 * @example
 * ```ts
 * initProjectName(undefined, 'web-ops'); // 'web_ops'
 * initProjectName(undefined, 'package'); // 'package_project'
 * initProjectName('Web');                // UsageError: --name 'Web' is not a valid project name ...
 * ```
 */
export function initProjectName(given: string | undefined, dirName: string, builtins: readonly string[] = builtinModuleNames()): string {
  if (given !== undefined) {
    if (!PROJECT_NAME_PATTERN.test(given)) {
      const suggestion = projectNameFor(given);
      throw new UsageError(
        `--name '${given}' is not a valid project name: use lowercase letters, digits and _, starting with a letter (${PROJECT_NAME_PATTERN.source}), e.g. '${suggestion}'`,
      );
    }
    if (builtins.includes(given)) {
      throw new UsageError(`--name '${given}' is the name of a Rivet built-in module, which the project would hide (its '${given}' tasks would be looked for in the project): choose another name`);
    }
    return given;
  }
  const derived = projectNameFor(dirName);
  return builtins.includes(derived) ? `${derived}_project` : derived;
}

/**
 * A valid npm package name made from a directory name: lowercase, every run of characters other
 * than letters, digits, `.`, `_` and `-` one `-`, no leading `.`, `_` or `-`; `fallback` (with `_`
 * as `-`) when nothing usable is left.
 *
 * @example
 * ```ts
 * packageNameFor('My Site (v2)', 'my_site_v2'); // 'my-site-v2'
 * packageNameFor('.hidden', 'hidden');          // 'hidden'
 * ```
 */
export function packageNameFor(dirName: string, fallback: string): string {
  const name = dirName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, NPM_NAME_MAX)
    .replace(/[._-]+$/, '');
  return name === '' || NPM_RESERVED.has(name) ? fallback.replace(/_/g, '-') : name;
}
