// Public declarations use Node's types (Buffer, streams, AbortSignal): @types/node is a dependency.
/// <reference types="node" preserve="true" />
/**
 * Rivet's plan SDK: what plans import (`import { definePlan, runTask } from 'rivetops'`).
 *
 * The SDK holds types, the public functions and a context lookup; it never imports the runtime.
 * Every function finds its run through the {@link PlanContext} that `rivet plan run`,
 * `npx tsx plans/x.ts` or `runPlan()` from `rivetops/runtime` installs, and throws outside one.
 *
 * @example
 * ```ts
 * import { definePlan, runTask, runCommand, uploadFile, out } from 'rivetops';
 * export default definePlan({
 *   description: 'Deploy the web app',
 *   params: { targets: 'TargetSpec', version: 'String[1]', restart: { type: 'Boolean', default: true } },
 *   async run({ targets, version, restart }) {
 *     await uploadFile(`dist/${version}`, '/srv/app', targets);
 *     if (restart) await runCommand('systemctl restart app', targets);
 *     out.message(`Deployed ${version}`);
 *   },
 * });
 * ```
 * @module
 */
export type { TaskRegistry, PlanRegistry } from './registry.ts';
export type { JsonValue, JsonObject, JsonPrimitive } from './json.ts';
export type { FromPuppet, TargetSpec } from './puppet.ts';
export type { ParamDecl, ParamsDecl, PuppetParamDecl, SchemaParamDecl, JsonSchemaDecl, RunArgs, CallerParams, FromSchema } from './params.ts';
export type { StepOptions, CommandOptions, ScriptOptions, TaskOptions, TransferOptions, WaitOptions, RunPlanOptions, PromptOptions, OnFailure } from './options.ts';
export { definePlan, isPlan, type Plan, type PlanInput, type AnyPlan, type PlanParams, type PlanReturn } from './plan.ts';
export {
  runTask,
  runTaskWith,
  runCommand,
  runScript,
  uploadFile,
  downloadFile,
  writeFile,
  waitUntilAvailable,
  runPlan,
  type TaskName,
  type PlanName,
  type TaskParamsOf,
  type TaskResultOf,
  type PlanParamsOf,
  type PlanResultOf,
} from './steps.ts';
export { sh, ShellCommand, RawShellText, type ShellTag, type ShellValue, type ShellDialect, type CommandLine } from './shell.ts';
export {
  rollout,
  planBatches,
  RolloutFailure,
  type RolloutOptions,
  type RolloutReport,
  type RolloutBatch,
  type RolloutBatchInfo,
  type RolloutStop,
  type TargetCount,
} from './rollout.ts';
export { parallelize, catchErrors, failPlan, ctrl, withoutDefaultLogging } from './flow.ts';
export { background, wait, Future, type WaitForOptions } from './futures.ts';
export { out, log, prompt } from './output.ts';
export { getTargets, getTarget, createTarget, setVar, vars, facts, addFacts, setFeature, setConfig, addToGroup, removeFromGroup } from './targets.ts';
export { file, dir, env } from './local.ts';
/** Puppet-language semantics for plans converted from Bolt (`rivet plan convert`). */
export * as pp from './pp.ts';
export { RunFailure, PlanFailure, ParallelFailure, isRunFailure, isParallelFailure } from './errors.ts';
export { planContextStorage, currentContext, type PlanContext, type PlanLike } from './context.ts';
export { Result, ResultSet, Sensitive, type ResultData, type ResultValue, type CommandValue } from '../core/result.ts';
export { RivetError, ErrorKind, isRivetError, type ErrorData, type SourceLocation } from '../core/errors.ts';
export type { Target } from '../core/target.ts';
