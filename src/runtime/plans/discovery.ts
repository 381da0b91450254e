/**
 * Finding and loading plans (P-39): `<project>::<path>` for `plans/**\/*.ts` in the project and
 * `<module>::<path>` for `modules/<module>/plans/**\/*.ts` on the modulepath. `init.ts` directly
 * under `plans/` is the bare module name. Segments must match `[a-z][a-z0-9_]*`. The project comes
 * first, then the modulepath in order; the first plan of a name wins.
 *
 * @example
 * ```ts
 * const plans = discoverPlans({ projectDir: '/srv/site', projectName: 'site', modulepath: ['/srv/site/modules'] });
 * const plan = await loadPlan(plans.find((p) => p.name === 'site::deploy')!);
 * ```
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { ErrorKind, RivetError, UsageError } from '../../core/errors.ts';
import { closeNames } from '../../core/puppet-types/suggest.ts';
import { isPlan, type AnyPlan } from '../../sdk/plan.ts';
import { loadBoltPlans } from '../lazy.ts';
import { BOLT_PLAN_FILE, PLAN_FILE, planFilesOf } from './files.ts';
import { importTypeScript } from './typescript.ts';

export { planFilesOf } from './files.ts';

export interface PlanEntry {
  name: string;
  /** Absolute path of the plan file. */
  file: string;
  /** The module (or project) name. */
  module: string;
  /** The module's directory (the project directory for project plans). */
  moduleDir: string;
}

export interface PlanSources {
  projectDir: string;
  /** Project plans need a project name (`name:` in rivet-project.yaml). */
  projectName?: string | undefined;
  modulepath: readonly string[];
}

const SEGMENT = /^[a-z][a-z0-9_]*$/;
/** The plan name of a file under `<moduleDir>/plans`, or undefined when a segment is invalid. */
export function planNameFor(module: string, plansDir: string, file: string): string | undefined {
  const segments = relative(plansDir, file).replace(PLAN_FILE, '').split(sep);
  if (!segments.every((s) => SEGMENT.test(s))) return undefined;
  if (segments.length === 1 && segments[0] === 'init') return module;
  return [module, ...segments].join('::');
}

function modulePlans(module: string, moduleDir: string, seen: Set<string>, out: PlanEntry[]): void {
  const plansDir = join(moduleDir, 'plans');
  if (!existsSync(plansDir)) return;
  for (const file of planFilesOf(moduleDir)) {
    const name = planNameFor(module, plansDir, file);
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    out.push({ name, file, module, moduleDir });
  }
}

/** Every plan of the project and its modulepath, sorted by name. */
export function discoverPlans(sources: PlanSources): PlanEntry[] {
  const out: PlanEntry[] = [];
  const seen = new Set<string>();
  if (sources.projectName !== undefined) modulePlans(sources.projectName, resolve(sources.projectDir), seen, out);
  for (const dir of sources.modulepath) {
    let modules: string[];
    try {
      modules = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const module of modules) {
      if (!SEGMENT.test(module)) continue;
      modulePlans(module, join(dir, module), seen, out);
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The entry of a plan name; a UsageError (with close names) when there is none. */
export function findPlan(plans: readonly PlanEntry[], name: string, sources?: PlanSources): PlanEntry {
  const entry = plans.find((p) => p.name === name);
  if (entry) return entry;
  const close = closeNames(name, plans.map((p) => p.name));
  const hint = close.length ? ` Did you mean: ${close.slice(0, 5).join(', ')}?` : plans.length ? '' : ' No plans were found.';
  const projectHint =
    sources && sources.projectName === undefined && existsSync(join(sources.projectDir, 'plans'))
      ? ` Project plans need a project name: add 'name: <name>' to rivet-project.yaml.`
      : '';
  throw new UsageError(`Could not find a plan named '${name}'.${hint}${projectHint} Run 'rivet plan show' to list plans.`);
}

/**
 * Imports a plan file and returns its default export, which must come from `definePlan`. A Bolt
 * plan (`.pp`, `.yaml`) is translated to TypeScript first (`src/plan-convert`, loaded only then);
 * `name` is its plan name (a YAML plan's name comes from its path).
 */
export async function loadPlanFile(file: string, name?: string): Promise<AnyPlan> {
  if (BOLT_PLAN_FILE.test(file)) {
    const { loadBoltPlan } = await loadBoltPlans();
    return loadBoltPlan(file, name);
  }
  let mod: { default?: unknown };
  try {
    mod = await importTypeScript(file);
  } catch (error) {
    throw new RivetError(ErrorKind.Generic, `Cannot load the plan file ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      issueCode: 'PLAN_LOAD_ERROR',
      details: { file },
      cause: error,
    });
  }
  // CommonJS interop (a plan file loaded as CJS): `module.exports.default` is the plan.
  const inner = (mod.default as { default?: unknown } | undefined)?.default;
  if (!isPlan(mod.default) && isPlan(inner)) return inner;
  if (!isPlan(mod.default)) {
    throw new RivetError(ErrorKind.Generic, `The plan file ${file} must export a plan: 'export default definePlan({ ... })'`, {
      issueCode: 'PLAN_LOAD_ERROR',
      details: { file },
    });
  }
  return mod.default;
}

export function loadPlan(entry: PlanEntry): Promise<AnyPlan> {
  return loadPlanFile(entry.file, entry.name);
}

/** The name of a plan object: its catalog name when its file is a known plan, else the file's stem. */
export function nameOfPlan(plan: AnyPlan, plans: readonly PlanEntry[]): string {
  if (plan.file !== undefined) {
    const entry = plans.find((p) => resolve(p.file) === resolve(plan.file!));
    if (entry) return entry.name;
    return basename(plan.file).replace(PLAN_FILE, '');
  }
  return 'plan';
}
