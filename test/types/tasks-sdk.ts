/**
 * A model of the SDK's registry contract (src/sdk/registry.ts and the `runTask`/`runTaskWith`
 * signatures of src/sdk/steps.ts), for type tests of generated declarations inside the
 * repository's own (untyped-mode) program: `tasks-fixture.gen.ts` augments THIS module, so the
 * augmentation does not turn the rest of the program into typed mode. Nothing here runs.
 *
 * The real SDK is checked with generated declarations by the example project (`.rivet/`).
 */
import type { Sensitive } from '../../src/core/result.ts';
import type { Target } from '../../src/core/target.ts';

export type { Sensitive, Target };
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type TargetSpec = string | Target | readonly TargetSpec[];
export type PlanParams<T> = T extends { __params?: infer P } ? NonNullable<P> : never;
export type PlanReturn<T> = T extends { run: (args: never) => Promise<infer R> } ? R : unknown;

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TaskRegistry {}
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PlanRegistry {}

type IsEmpty<R> = [keyof R] extends [never] ? true : false;
export type TaskName = IsEmpty<TaskRegistry> extends true ? string : Extract<keyof TaskRegistry, string>;
export type TaskParamsOf<K> = K extends keyof TaskRegistry ? (TaskRegistry[K] extends { params: infer P } ? P : Record<string, never>) : Record<string, unknown>;
export type TaskResultOf<K> = K extends keyof TaskRegistry ? (TaskRegistry[K] extends { result: infer R } ? R : JsonObject) : JsonObject;
export type ParamsArgs<P, O> = {} extends P ? [params?: P, options?: O] : [params: P, options?: O];
export interface TaskOptions {
  noop?: boolean;
  catchErrors?: boolean;
}
export interface ResultOf<V> {
  target: Target;
  value: V;
}

export declare function runTask<K extends TaskName>(task: K, targets: TargetSpec, ...args: ParamsArgs<TaskParamsOf<K>, TaskOptions>): Promise<ResultOf<TaskResultOf<K>>[]>;
export declare function runTaskWith<K extends TaskName>(
  task: K,
  targets: TargetSpec,
  params: (target: Target) => TaskParamsOf<K> | Promise<TaskParamsOf<K>>,
  options?: TaskOptions,
): Promise<ResultOf<TaskResultOf<K>>[]>;
