/**
 * The CLI's lazily loaded modules: every `import()` of the CLI is here, in this small module.
 *
 * Why one place: tsx (a plan file run as `npx tsx plans/x.ts` loads Rivet through tsx's hooks)
 * rewrites every module that contains a dynamic `import()` and gives it a source map of the whole
 * file, which Node then decodes; a module without one passes through almost untouched. Measured
 * (docs/PERFORMANCE.md, "Start-up"): ~25 ms of CPU for a 23 kB module with `import()`, next to
 * nothing without. So the big modules (main, common, commands/plan) import their lazy parts
 * through these small loaders.
 *
 * @example
 * ```ts
 * const { promptSecret } = await loadPrompt();
 * ```
 * @module
 */

/** The terminal prompt (passwords, plan parameters). */
export const loadPrompt = () => import('./prompt.ts');
/** The JSON and JSON Lines renderers (`--format json|jsonl`). */
export const loadJsonRenderer = () => import('./render/json.ts');
/** `rivet plan` and the direct run of a plan file. */
export const loadPlanCommand = () => import('./commands/plan.ts');
/** `rivet plan convert`. */
export const loadPlanConvertCommand = () => import('./commands/plan-convert.ts');
/** The durable subcommands of `rivet plan`. */
export const loadDurableCommands = () => import('./commands/durable-commands.ts');
/** `rivet plan run --durable`. */
export const loadDurableRun = () => import('./commands/durable.ts');
/** `rivet command|script|file`. */
export const loadAdhocCommands = () => import('./commands/adhoc.ts');
/** `rivet task`. */
export const loadTaskCommand = () => import('./commands/task.ts');
/** `rivet inventory|group`. */
export const loadInventoryCommands = () => import('./commands/inventory.ts');
/** `rivet types`. */
export const loadTypesCommand = () => import('./commands/types.ts');
/** `rivet module`. */
export const loadModuleCommand = () => import('./commands/module.ts');
/** `rivet worker`. */
export const loadWorkerCommand = () => import('./commands/durable-worker.ts');
/** `rivet init`. */
export const loadInitCommand = () => import('./commands/init.ts');
/** The plan type checker (`--typecheck`). */
export const loadTypecheck = () => import('../runtime/plans/typecheck.ts');
/** Plan recordings (`--replay`). */
export const loadRecording = () => import('../runtime/plans/recording.ts');
/** The runtime factory (`rivet plan show`). */
export const loadCreateRuntime = () => import('../runtime/create.ts');
/** The project's content allow-lists (`rivet plan show`). */
export const loadAllowList = () => import('../runtime/allow-list.ts');
