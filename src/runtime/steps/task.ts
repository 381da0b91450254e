/**
 * Running Bolt tasks (T-24..T-43, X-08) in fewer round trips than Bolt: a task without `files`
 * is one exec request (executable and parameters travel on its stdin; the remote side makes, runs
 * and removes the temp dir); a task with `files` is two (unpack, run). Bolt makes five.
 *
 * @example
 * ```ts
 * const set = await runTaskStep(executor, catalog, 'package', targets, { action: 'status', name: 'openssl' });
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';
import type { ResultSet } from '../../core/result.ts';
import type { Target } from '../../core/target.ts';
import type { Executor } from '../executor.ts';
import type { TaskCatalog } from '../task-catalog.ts';
import type { TaskDefinition } from '../tasks/discovery.ts';
import { selectImplementation } from '../tasks/implementation.ts';
import { taskInput } from '../tasks/input.ts';
import { prepareTaskParams } from '../tasks/params.ts';
import { INVALID_OUTPUT_KIND, checkTaskOutput } from '../tasks/validate.ts';
import { redactDeep, secretStrings } from '../tasks/redact.ts';
import type { CommonStepOptions } from './basic.ts';
import { resolveCleanup, resolveInterpreter, resolveRunAs, resolveTmpdir } from './options.ts';
import { taskValue, warnIfTruncated } from './output.ts';
import { resolveMaxOutput } from '../output-limit.ts';

export interface TaskStepOptions extends Omit<CommonStepOptions, 'env'> {
  /** Run in no-operation mode (`--noop`, T-15/T-43): only for tasks with `supports_noop`. */
  noop?: boolean | undefined;
}

/** Parameters for every target, or a function giving each target its own (P-02). */
export type TaskParams = Readonly<Record<string, unknown>> | ((target: Target) => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>);

/**
 * Runs a task on targets. Unknown tasks and invalid parameters (when the same for every target)
 * throw before anything runs; per-target parameters that are invalid fail only that target.
 */
export async function runTaskStep(
  executor: Executor,
  catalog: TaskCatalog,
  name: string,
  targets: readonly Target[],
  params: TaskParams,
  options: TaskStepOptions = {},
): Promise<ResultSet> {
  const task = await catalog.loadToRun(name);
  const prepare = (raw: Readonly<Record<string, unknown>>) => prepareTaskParams(task, raw, { noop: options.noop });
  const shared = typeof params === 'function' ? undefined : prepare(params);
  return executor.runStep({
    action: 'task',
    object: task.name,
    description: options.description,
    targets,
    signal: options.signal,
    onOutput: options.onOutput,
    onTargetResult: options.onTargetResult,
    work: async ({ target, connection, signal, onOutput, warn }) => {
      const prepared = shared ?? prepare(await (params as Exclude<TaskParams, Readonly<Record<string, unknown>>>)(target));
      const features = [...new Set([...connection.features, ...target.features])];
      const implementation = selectImplementation(task, { name: target.name, features });
      const splatParams = implementation.inputMethod === 'powershell';
      if (splatParams && !connection.features.includes('powershell')) throw noPowerShell(task, target);
      // input_method powershell: the parameters travel as JSON on stdin and are splatted (WinRM).
      const inputFor = (params: Readonly<Record<string, unknown>>) => {
        const input = taskInput(params, implementation.inputMethod);
        return splatParams ? { env: input.env, stdin: JSON.stringify(input.params) } : input;
      };
      const common = {
        signal,
        interpreter: resolveInterpreter(target, implementation.name),
        // A step option beats `_run_as`, which beats the target's `run-as` (run_task.rb options).
        runAs: resolveRunAs(target, { runAs: options.runAs ?? prepared.meta.runAs }),
        timeoutMs: options.timeoutMs,
        tmpdir: resolveTmpdir(target, options),
        cleanup: resolveCleanup(target),
        ...(splatParams ? { splatParams } : {}),
        onOutput: options.stream ? onOutput : undefined,
        maxOutputBytes: resolveMaxOutput(target),
      };
      const run = implementation.usesInstallDir
        ? await connection.runBundle({
            ...common,
            archive: await catalog.bundle(task, implementation),
            entry: implementation.installPath,
            input: (installDir) => inputFor({ ...prepared.params, _installdir: installDir }),
          })
        : await runSingleFile();
      async function runSingleFile() {
        const input = inputFor(prepared.params);
        const content = await catalog.read(implementation.path);
        return connection.runFile({ ...common, file: { name: implementation.name, content }, env: input.env, stdin: input.stdin });
      }
      warnIfTruncated(run, target.name, common.maxOutputBytes, warn);
      let value = taskValue(run, task.name, target.name, options.timeoutMs);
      // A declared output (extensions.rivet.output) is checked; a mismatch fails this target.
      const why = task.metadata.output === undefined || '_error' in value ? undefined : checkTaskOutput(task.name, task.metadata.output, value);
      if (why !== undefined) value = { _error: { kind: INVALID_OUTPUT_KIND, msg: why, details: { value } } };
      // A task that echoes a sensitive parameter back must not leak it into results or logs.
      const secrets = secretStrings(prepared.params, prepared.sensitive);
      return secrets.length > 0 ? (redactDeep(value, secrets) as Record<string, unknown>) : value;
    },
  });
}

function noPowerShell(task: TaskDefinition, target: Target): RivetError {
  return new RivetError(ErrorKind.NoImplementation, `No suitable implementation of ${task.name} for ${target.name}: PowerShell tasks need a WinRM target`, {
    target: target.name,
  });
}
