// Public declarations use Node's types (Buffer, streams, AbortSignal): @types/node is a dependency.
/// <reference types="node" preserve="true" />
/**
 * Rivet's runtime for applications (`import { createRuntime, runPlan } from 'rivetops/runtime'`): make
 * a runtime from a project directory or inline options, run plans or single steps on it, subscribe
 * to its events. No global state: every runtime has its own inventory, connections and limit.
 *
 * @example
 * ```ts
 * import { createRuntime, runPlan } from 'rivetops/runtime';
 * import deploy from './plans/deploy.ts';
 * await using runtime = await createRuntime({ cwd: '/srv/site', inventory: { targets: ['ssh://deploy@10.0.0.5'] } });
 * runtime.events.on((e) => console.log(e.type));
 * const result = await runPlan(deploy, { targets: 'all', version: '1.2' }, { runtime });
 * ```
 * @module
 */
export { createRuntime, type CreateRuntimeOptions, type CreatedRuntime } from './create.ts';
export { Runtime, defaultTransports, type RuntimeInit } from './runtime.ts';
export * from './plans/index.ts';
export * from './durable/index.ts';
