/**
 * The registries that generated declarations (`rivet module generate-types`, issue 5) augment, so
 * that `runTask`, `runTaskWith` and `runPlan` check task and plan names, parameters and results at
 * compile time. Empty registries mean untyped mode: any name, `Record<string, unknown>` params.
 *
 * @example
 * ```ts
 * declare module 'rivetops' {
 *   interface TaskRegistry {
 *     'package': { params: { action: 'install' | 'status'; name: string }; result: { status: string } };
 *   }
 * }
 * ```
 * @module
 */

/** Augmented by generated declarations: task name -> { params; result; }. Empty = untyped mode. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TaskRegistry {}
/** Augmented likewise for plans: plan name -> { params; result; }. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PlanRegistry {}
