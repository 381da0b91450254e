/**
 * Loads the Rivet CLI for a plan file run directly (`npx tsx plans/deploy.ts`): the SDK's one
 * `import()`, kept in this small module (tsx rewrites, with a source map of the whole file, every
 * module that contains a dynamic import: see `src/cli/lazy.ts`).
 *
 * @example
 * ```ts
 * const { mainPlan } = await loadCli();
 * ```
 * @module
 */
import type { Plan } from './plan.ts';

/** The CLI entry for one plan. */
export interface PlanCli {
  mainPlan(plan: Plan): Promise<never>;
}

/** Imports `src/cli/main.ts` (dist: `cli/main.js`). */
export function loadCli(): Promise<PlanCli> {
  // A variable specifier keeps type-checkers and bundlers from treating this as a static edge
  // (the SDK never imports the CLI otherwise).
  const cli = '../cli/main.ts';
  return import(cli) as Promise<PlanCli>;
}
