/**
 * Plan preview (`rivet plan run --preview`, `runPlan(..., { preview: true })`): the plan runs,
 * its steps do not. Each step is described, numbered, with its plan file:line, as a `message`
 * event (`Preview step 2 (plans/deploy.ts:14): command "systemctl reload nginx" on web1, web2`),
 * and answered by {@link PREVIEW_ASSUMPTION}. No transport is used: no target is connected to.
 *
 * Where the plan reads a step's result (its value, `ok`, `error()`...), the plan's control flow
 * depends on something the preview made up: the preview says so, once per step and plan line
 * (`Preview step 2: plans/deploy.ts:16 reads its result (value); the preview goes on as if it
 * succeeded: {"stdout":"",...}`).
 *
 * Task parameters are checked as a real run checks them (an unknown task or a bad parameter
 * fails the preview, as it would fail the run before anything ran; bad per-target parameters of
 * `runTaskWith` fail their target only).
 *
 * @example
 * ```ts
 * const preview = new PlanPreview(runtime);
 * await new PlanRunner(runtime, { stepHook: preview }).run('site::deploy', { targets: 'web' });
 * preview.steps.map((s) => s.summary); // ['task package on web1 with {"name":"nginx"}', ...]
 * ```
 * @module
 */
import { basename, join } from 'node:path';
import { toRivetError, type RivetError, type SourceLocation } from '../../core/errors.ts';
import { Result, ResultSet, type ResultValue } from '../../core/result.ts';
import type { Target } from '../../core/target.ts';
import { internalFrame, parseFrame } from '../../sdk/location.ts';
import type { Runtime } from '../runtime.ts';
import { downloadBase } from '../steps/basic.ts';
import { prepareTaskParams } from '../tasks/params.ts';
import { describeLocation, describeStep, isPerTarget, stepSummary, type PlanStepCall, type StepDescription, type StepHook } from './step-hook.ts';

/** What the preview assumes of every step (documented in docs/plans.md). */
export const PREVIEW_ASSUMPTION =
  'every step succeeds on every target: commands and scripts exit 0 with empty output, tasks return {}, downloads return their local path, uploads, writes and waits return {}';

/** One previewed step. */
export interface PreviewStep extends StepDescription {
  step: number;
  /** The step in one line. */
  summary: string;
}

export class PlanPreview implements StepHook {
  readonly steps: PreviewStep[] = [];
  readonly #runtime: Runtime;
  #reported = new Set<string>();

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  async step(call: PlanStepCall): Promise<ResultSet> {
    const failures = call.action === 'task' && call.object !== null ? await this.#checkTask(call) : new Map<string, RivetError>();
    const description = describeStep(call, this.#runtime.projectDir);
    const step: PreviewStep = { step: this.steps.length + 1, ...description, summary: stepSummary(description) };
    this.steps.push(step);
    this.#runtime.events.emit({ type: 'message', level: 'message', text: `Preview step ${step.step}${step.location ? ` (${step.location})` : ''}: ${step.summary}` });
    return new ResultSet(
      call.targets.map((target) => {
        const failure = failures.get(target.name);
        if (failure !== undefined) return Result.failure(target, 'task', call.object, failure);
        return this.#watched(step, new Result({ target, action: resultAction(call), object: call.object, value: assumedValue(call, target, this.#runtime.downloadsDir) }));
      }),
    );
  }

  /**
   * Fails the preview where the real run would fail before running anything (an unknown task,
   * bad parameters shared by every target); per-target parameters that are bad (or whose
   * function threw) fail only their target, as in a real run.
   */
  async #checkTask(call: PlanStepCall): Promise<Map<string, RivetError>> {
    const task = await this.#runtime.tasks.load(call.object!);
    const noop = call.options['noop'] === true;
    const failures = new Map<string, RivetError>();
    if (!isPerTarget(call.params)) {
      prepareTaskParams(task, (call.params ?? {}) as Record<string, unknown>, { noop });
      return failures;
    }
    for (const [name, params] of Object.entries(call.params.perTarget)) {
      try {
        if (params instanceof Error) throw params;
        prepareTaskParams(task, params, { noop });
      } catch (error) {
        failures.set(name, toRivetError(error, name));
      }
    }
    return failures;
  }

  /**
   * A result whose `value` reports the plan lines that read it (directly, or through `ok`,
   * `error()`, `ResultSet.ok`...): control flow there depends on the preview's assumption. The
   * value itself stays plain data (plans may clone it, or pass it to `addFacts`).
   */
  #watched(step: PreviewStep, result: Result): Result {
    const runtime = this.#runtime;
    const reported = this.#reported;
    const value = result.value;
    Object.defineProperty(result, 'value', {
      enumerable: true,
      configurable: true,
      get(): ResultValue {
        const reader = planReader(new Error().stack);
        const line = reader === undefined ? null : describeLocation(reader.location, runtime.projectDir);
        if (line !== null && !reported.has(`${step.step}\0${line}`)) {
          reported.add(`${step.step}\0${line}`);
          runtime.events.emit({
            type: 'message',
            level: 'message',
            text: `Preview step ${step.step}: ${line} reads its result (${reader!.via}); the preview goes on as if it succeeded: ${JSON.stringify(value)}`,
          });
        }
        return value;
      },
    });
    return result;
  }
}

const RESULT_MODULE = /\/core\/result\.[jt]s$/;
/**
 * This module's own frames, as built (`dist/…/preview.js`) or as mapped back to its source
 * (`src/…/preview.ts`): Node maps the frames of modules loaded after source maps were turned on
 * (compiling a plan turns them on), and this module is loaded lazily, after that.
 */
const THIS_MODULE = /\/runtime\/plans\/preview\.[jt]s$/;
/** `at get ok (`, `at Result.error (`, `at ResultSet.get errorSet [as errorSet] (`: the member's name. */
const MEMBER = /^\s*at (?:async )?(?:(?:Result|ResultSet)\.)?(?:get )?#?(\w+)/;

/**
 * The plan frame that reads a previewed value and what it used (`value`, or the `Result` or
 * `ResultSet` member that read it), or undefined when Rivet itself reads it (the SDK checking
 * `ok`, rendering, serialising).
 */
function planReader(stack: string | undefined): { location: SourceLocation; via: string } | undefined {
  if (stack === undefined) return undefined;
  let via = 'value';
  for (const line of stack.split('\n').slice(1)) {
    const frame = parseFrame(line);
    if (frame === undefined || THIS_MODULE.test(frame.file)) continue;
    if (RESULT_MODULE.test(frame.file)) {
      via = MEMBER.exec(line)?.[1] ?? via;
      continue;
    }
    if (internalFrame(frame.file)) return undefined;
    return { location: frame, via };
  }
  return undefined;
}

function resultAction(call: PlanStepCall): string {
  return call.action === 'write' ? 'upload' : call.action;
}

function assumedValue(call: PlanStepCall, target: Target, downloadsDir: string): ResultValue {
  switch (call.action) {
    case 'command':
    case 'script':
      return { stdout: '', stderr: '', merged_output: '', exit_code: 0 };
    case 'download': {
      const source = call.object ?? '';
      return { path: join(downloadBase(downloadsDir, String(call.params)), encodeURIComponent(target.name), basename(source.replace(/\/+$/, '')) || 'root') };
    }
    default:
      return {};
  }
}
