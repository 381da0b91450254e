/**
 * The seam between a plan's steps and the targets: {@link RuntimePlanContext} describes every
 * step it is asked to run as a {@link PlanStepCall} and, when the run has a {@link StepHook},
 * lets the hook decide what happens: run it for real and record it ({@link PlanRecorder}), run
 * nothing and describe it ({@link PlanPreview}), or answer from a recording ({@link PlanReplayer}).
 *
 * A step's description is what a recording stores and replay compares: task parameters with the
 * task's sensitive parameters (and every `Sensitive` value) redacted, paths under the project
 * directory made relative, the plan file:line of the call.
 *
 * @example
 * ```ts
 * const hook: StepHook = { step: (call, run) => (console.log(describeStep(call, dir).action), run()) };
 * ```
 * @module
 */
import { isAbsolute, relative } from 'node:path';
import type { SourceLocation } from '../../core/errors.ts';
import type { Result, ResultSet } from '../../core/result.ts';
import type { Target } from '../../core/target.ts';
import { redactParams, redactValue } from '../tasks/redact.ts';

/** What a step does: Rivet's result actions, plus `write` for `writeFile`. */
export type PlanStepAction = 'task' | 'command' | 'script' | 'upload' | 'download' | 'write' | 'wait_until_available';

/** One step a plan asked for, before it runs. */
export interface PlanStepCall {
  action: PlanStepAction;
  /** The task name, command, script path, upload source, download source, write destination; null for a wait. */
  object: string | null;
  targets: readonly Target[];
  /**
   * Task parameters (for `runTaskWith`, an object of parameters per target name), script
   * arguments, upload/download destination, `{ bytes }` for a write, `{ waitTime }` for a wait.
   */
  params: unknown;
  /** Step options that change what runs: `runAs`, `noop`, `env` var names. */
  options: Record<string, unknown>;
  /** Names of task parameters that are sensitive (from the task's metadata). */
  sensitive?: readonly string[] | undefined;
  /** The plan file:line of the call. */
  location: SourceLocation | undefined;
  /**
   * What another process needs to run this step itself (durable workers): the real parameters
   * and options. Secrets are left as `Sensitive` values. Absent for steps that must run here.
   */
  remote?: RemoteStep | undefined;
}

/** A step as another Rivet process (a durable worker with the same project) runs it. */
export interface RemoteStep {
  action: 'task' | 'command' | 'script' | 'upload';
  object: string;
  /** Task parameters (or `{ perTarget }`), script arguments, upload destination. */
  params: unknown;
  options: {
    runAs?: string | undefined;
    noop?: boolean | undefined;
    timeoutMs?: number | undefined;
    env?: Record<string, unknown> | undefined;
    description?: string | undefined;
    /** The step streams its output (`--stream`, a step's `stream`): the worker forwards it live. */
    stream?: boolean | undefined;
  };
}

/**
 * Runs a step for real, on every target of the call or on `only` (a subset of them: a durable
 * run's resume re-runs only the targets without a recorded result); `onTargetResult` is told each
 * target's result of this run as soon as that target finishes (a durable run records it at once).
 */
export type StepRun = (only?: readonly Target[], onTargetResult?: (result: Result) => void) => Promise<ResultSet>;

/** Decides how a step runs: `run` runs it for real. */
export interface StepHook {
  step(call: PlanStepCall, run: StepRun): Promise<ResultSet>;
}

/** The JSON form of a step call, secrets redacted (what recordings store and replay compares). */
export interface StepDescription {
  action: PlanStepAction;
  object: string | null;
  targets: string[];
  params: unknown;
  options: Record<string, unknown>;
  /** `plans/deploy.ts:12` (relative to the project directory when inside it). */
  location: string | null;
}

/** A path relative to `projectDir` when it lies inside it, else as given. */
export function projectRelative(path: string, projectDir: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(projectDir, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** `file:line` of a location, the file relative to the project directory. */
export function describeLocation(location: SourceLocation | undefined, projectDir: string): string | null {
  return location === undefined ? null : `${projectRelative(location.file, projectDir)}:${location.line}`;
}

/**
 * A step call as plain JSON with every secret redacted.
 *
 * @example
 * ```ts
 * describeStep({ action: 'task', object: 'db::user', targets, params: { password: 'x' }, options: {}, sensitive: ['password'], location: undefined }, '/srv/site').params;
 * // { password: 'Sensitive [value redacted]' }
 * ```
 */
export function describeStep(call: PlanStepCall, projectDir: string): StepDescription {
  const sensitive = call.sensitive ?? [];
  let params: unknown;
  if (call.action === 'task' && isPerTarget(call.params)) {
    params = { perTarget: Object.fromEntries(Object.entries(call.params.perTarget).map(([name, p]) => [name, p instanceof Error ? { error: p.message } : redactParams(p, sensitive)])) };
  } else if (call.action === 'task') {
    params = redactParams((call.params ?? {}) as Record<string, unknown>, sensitive);
  } else {
    params = redactValue(call.params, false);
  }
  const object = call.object !== null && (call.action === 'script' || call.action === 'upload') ? projectRelative(call.object, projectDir) : call.object;
  return {
    action: call.action,
    object,
    targets: call.targets.map((t) => t.name),
    params: JSON.parse(JSON.stringify(params ?? null)) as unknown,
    options: JSON.parse(JSON.stringify(redactValue(call.options))) as Record<string, unknown>,
    location: describeLocation(call.location, projectDir),
  };
}

/** `runTaskWith` parameters, computed once per target before the step runs. */
export interface PerTargetParams {
  perTarget: Record<string, Record<string, unknown> | Error>;
}

export function isPerTarget(params: unknown): params is PerTargetParams {
  return typeof params === 'object' && params !== null && 'perTarget' in params && Object.keys(params).length === 1;
}

/** A step description in one line: `task package on web1, web2 with {"name":"nginx"}`. */
export function stepSummary(step: StepDescription): string {
  const on = `on ${step.targets.join(', ') || '(no targets)'}`;
  const options = Object.keys(step.options).length > 0 ? ` (${Object.entries(step.options).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')})` : '';
  switch (step.action) {
    case 'task':
      return `task ${step.object} ${on} with ${JSON.stringify(step.params)}${options}`;
    case 'command':
      return `command ${JSON.stringify(step.object)} ${on}${options}`;
    case 'script': {
      const args = Array.isArray(step.params) && step.params.length > 0 ? ` with arguments ${JSON.stringify(step.params)}` : '';
      return `script ${step.object}${args} ${on}${options}`;
    }
    case 'upload':
      return `upload ${step.object} to ${String(step.params)} ${on}${options}`;
    case 'download':
      return `download ${step.object} to downloads/${String(step.params)} from ${step.targets.join(', ')}${options}`;
    case 'write':
      return `write ${(step.params as { bytes?: number } | null)?.bytes ?? 0} bytes to ${step.object} ${on}${options}`;
    case 'wait_until_available':
      return `wait until available: ${step.targets.join(', ')}${options}`;
  }
}
