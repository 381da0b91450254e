/**
 * Running Bolt's own plan files: a `.pp` (Puppet language) or `.yaml` plan is translated to
 * TypeScript by `src/plan-convert` (loaded only when such a plan is), written to a private cache
 * file and imported like any TypeScript plan. A plan with a construct that cannot be translated
 * (an `apply` block, a resource, a function Rivet does not know) fails here, before anything runs,
 * naming each construct with its file and line. At run time, errors and stacks name the `.pp` or
 * `.yaml` file and line the failing step came from (the cache file's line map is registered
 * with `src/sdk/location.ts`).
 *
 * @example
 * ```ts
 * const plan = await loadBoltPlan('/srv/site/modules/mymod/plans/deploy.pp', 'mymod::deploy');
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { realpath, rename, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RivetError } from '../../core/errors.ts';
import { privateCacheDir } from './cache-dir.ts';
import { registerTranslatedPlan } from '../../sdk/location.ts';
import type { AnyPlan } from '../../sdk/plan.ts';
import { loadPlanFile } from './discovery.ts';

/** The kind of the error for a plan that cannot run because part of it was not translated. */
export const UNTRANSLATABLE_PLAN = 'rivet/untranslatable-plan';

/** The SDK module of this copy of Rivet, which translated plans import (a project needs no `rivetops` package). */
function sdkSpecifier(): string {
  const here = fileURLToPath(import.meta.url);
  return new URL(`../../sdk/index${extname(here)}`, import.meta.url).href;
}

/** Translates a Bolt plan file and loads the result; fails before running when anything was left as a TODO. */
export async function loadBoltPlan(file: string, name: string | undefined): Promise<AnyPlan> {
  const { convertPlanFile } = await import('../../plan-convert/index.ts');
  const result = await convertPlanFile(file, { name, sdk: sdkSpecifier() });
  if (result.todos.length > 0) {
    const list = result.todos.map((t) => `  ${t.file}:${t.line}: ${t.message}`).join('\n');
    const first = result.todos[0]!;
    throw new RivetError(UNTRANSLATABLE_PLAN, `The plan ${result.name} cannot run: Rivet cannot translate ${result.todos.length === 1 ? 'this construct' : `these ${result.todos.length} constructs`}:\n${list}`, {
      issueCode: 'UNTRANSLATABLE_PLAN',
      details: { file: first.file, line: first.line, todos: result.todos },
      location: { file: first.file, line: first.line },
    });
  }
  const dir = await privateCacheDir();
  // Named by the code and the file it came from: two plan files never share a line map.
  const path = join(dir, `${createHash('sha256').update(file).update('\0').update(result.code).digest('hex').slice(0, 24)}.mts`);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, result.code, { mode: 0o600 });
  await rename(temp, path);
  // Run-time errors name the plan file and line, not the cache file's.
  registerTranslatedPlan(path, file, result.lines);
  registerTranslatedPlan(await realpath(path), file, result.lines);
  return loadPlanFile(path);
}
