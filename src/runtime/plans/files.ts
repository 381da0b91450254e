/**
 * Plan files on disk: `plans/**\/*.ts` (and `.mts`) under a module or project, without
 * declaration, generated and test files, and Bolt's `.pp` and `.yaml`/`.yml` plans. Kept apart from plan loading so that the project file
 * checks (which warn about plans a nameless project ignores) do not load the SDK.
 *
 * @example
 * ```ts
 * planFilesOf('/srv/site'); // ['/srv/site/plans/deploy.ts']
 * ```
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PLAN_FILE = /\.(ts|mts|pp|yaml|yml)$/;
/** Bolt's plan files (Puppet language and YAML), translated to TypeScript when they load. */
export const BOLT_PLAN_FILE = /\.(pp|yaml|yml)$/;
const NOT_PLANS = /\.(d|gen|test|spec)\.(ts|mts)$/;
/** When a plan name has several files, TypeScript wins, then Puppet, then YAML. */
const RANK: Record<string, number> = { ts: 0, mts: 1, pp: 2, yaml: 3, yml: 4 };

function rank(file: string): number {
  return RANK[/\.([a-z]+)$/.exec(file)?.[1] ?? ''] ?? 9;
}

function walk(dir: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      continue;
    }
    if (isDir) walk(path, out);
    else if (PLAN_FILE.test(name) && !NOT_PLANS.test(name)) out.push(path);
  }
}

/**
 * The plan files under `<moduleDir>/plans` (any depth, sorted), named validly or not: for a
 * project, the plans it would have with a name.
 *
 * @example
 * ```ts
 * planFilesOf('/srv/site'); // ['/srv/site/plans/deploy.ts']
 * ```
 */
export function planFilesOf(moduleDir: string): string[] {
  const files: string[] = [];
  walk(join(moduleDir, 'plans'), files);
  // Sorted by path without the extension, then by kind: `deploy.ts` comes before `deploy.pp`.
  const stem = (f: string): string => f.replace(PLAN_FILE, '');
  return files.sort((a, b) => (stem(a) < stem(b) ? -1 : stem(a) > stem(b) ? 1 : rank(a) - rank(b)));
}

