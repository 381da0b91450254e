/**
 * Durable runs for applications, loaded lazily: {@link openDurable} imports the engine (and DBOS)
 * when it is called, so an application that never opens durable runs never loads them.
 *
 * @example
 * ```ts
 * const durable = await openDurable({ url: 'postgres://rivet@db/rivet_runs', runner: new PlanRunner(runtime), executorId: 'deployer-1' });
 * const { runId, result } = await durable.start('site::deploy', { targets: 'web' });
 * console.log(runId, await result, await durable.list());
 * await durable.close();
 * ```
 * @module
 */
import type { DurableRunsApi, OpenDurableOptions } from './types.ts';

export type { DurableOptions, DurableRunInfo, DurableRunsApi, DurableStepInfo, OpenDurableOptions } from './types.ts';

/**
 * Opens durable runs for this process (DBOS on `url`, as executor `executorId`); it also continues
 * this executor ID's unfinished runs. One per process; close it when done.
 */
export async function openDurable(options: OpenDurableOptions): Promise<DurableRunsApi> {
  const engine = await import('./engine.ts');
  return engine.openDurable(options);
}
