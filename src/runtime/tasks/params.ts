/**
 * Task parameters before they are sent: defaults, validation, Sensitive wrapping and
 * metaparameters (T-13, T-15, T-19, T-21, T-23), and typing of CLI `k=v` arguments (C-08).
 *
 * @example
 * ```ts
 * const { params } = prepareTaskParams(task, { version: '1.2' }, { noop: false });
 * // params: { version: '1.2', port: 8080 (default), _task: 'demo::deploy' }
 * parseCliParams(['port=80', 'name=web'], undefined, task.metadata.parameters);
 * ```
 * @module
 */
import { RivetError, Sensitive, UsageError } from '../../core/index.ts';
import { assertTaskParams, matchesType, paramType, taskParamsMessage, type ParamSpec } from './validate.ts';
import type { TaskMetadata } from './metadata.ts';
import type { PuppetType } from '../../core/puppet-types/index.ts';

/**
 * Bolt's metaparameters (`bolt-modules/boltlib/lib/puppet/functions/run_task.rb`
 * `run_task_with_description`): every parameter whose name starts with `_` is partitioned off as
 * an option (`_run_as` becomes `run_as`, `_noop` becomes `noop`, `_catch_errors`, `_env_vars`, an
 * unknown `_foo`...) and never sent to the task. The runner then adds its own `_task`, `_noop`,
 * `_installdir` and `_target`.
 *
 * @example
 * ```ts
 * splitMetaparameters({ name: 'x', _run_as: 'root', _foo: 1 });
 * // { params: { name: 'x' }, options: { run_as: 'root', foo: 1 } }
 * ```
 */
export function splitMetaparameters(raw: Readonly<Record<string, unknown>>): { params: Record<string, unknown>; options: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('_')) options[key.slice(1)] = value;
    else params[key] = value;
  }
  return { params, options };
}

/**
 * Applies `default`s for parameters that are absent or null/undefined (T-13).
 *
 * @example
 * ```ts
 * applyDefaults({ port: { type: 'Integer', default: 80 } }, { port: null }); // { port: 80 }
 * ```
 */
export function applyDefaults(
  parameters: Readonly<Record<string, ParamSpec>> | null | undefined,
  params: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  for (const [name, spec] of Object.entries(parameters ?? {})) {
    if (Object.hasOwn(spec, 'default') && (out[name] === undefined || out[name] === null)) out[name] = structuredClone(spec.default);
  }
  return out;
}

function isSensitiveType(type: PuppetType | undefined): boolean {
  if (type === undefined) return false;
  if (type.kind === 'Sensitive') return true;
  if (type.kind === 'Optional' || type.kind === 'NotUndef' || type.kind === 'Alias') return isSensitiveType(type.type);
  return false;
}

/**
 * The names of parameters that are secret: declared `sensitive: true`, or typed `Sensitive[...]`
 * (also inside `Optional`).
 *
 * @example
 * ```ts
 * sensitiveParamNames({ parameters: { pw: { sensitive: true }, key: { type: 'Sensitive[String]' } } }); // ['pw', 'key']
 * ```
 */
export function sensitiveParamNames(metadata: TaskMetadata): string[] {
  return Object.entries(metadata.parameters ?? {})
    .filter(([, spec]) => spec.sensitive === true || isSensitiveType(spec.parsedType ?? (spec.type === undefined ? undefined : paramType(spec))))
    .map(([name]) => name);
}

/** What the metaparameters of one call ask for (see {@link splitMetaparameters}). */
export interface TaskMetaOptions {
  /** `_run_as`: the user to run the task as. */
  runAs?: string;
}

export interface PrepareOptions {
  /** Run in noop mode (`--noop`, `_noop => true`). */
  noop?: boolean;
  /** The remote directory files were installed to; only used when the implementation has files (T-19). */
  installdir?: string;
  /** The target's connection hash, for remote tasks (T-21). */
  target?: Record<string, unknown>;
}

/** The task fields {@link prepareTaskParams} needs. */
export interface TaskLike {
  name: string;
  metadata: TaskMetadata;
}

/**
 * Metaparameters partitioned off ({@link splitMetaparameters}), then defaults, validation,
 * Sensitive wrapping, then the runner's `_task`, `_noop`, `_installdir`, `_target`.
 *
 * @throws RivetError `bolt/pal-error` / `TYPE_MISMATCH` for invalid parameters;
 *   `bolt/pal-error` / `TASK_NO_NOOP` "Task does not support noop".
 * @example
 * ```ts
 * prepareTaskParams({ name: 'demo', metadata: { supports_noop: true } }, {}, { noop: true }).params;
 * // { _task: 'demo', _noop: true }
 * ```
 */
export function prepareTaskParams(
  task: TaskLike,
  params: Readonly<Record<string, unknown>>,
  options: PrepareOptions = {},
): { params: Record<string, unknown>; sensitive: string[]; meta: TaskMetaOptions } {
  assertNoReservedNames(task.name, params);
  const split = splitMetaparameters(params);
  const meta = metaOptions(task.name, split.options);
  const withDefaults = applyDefaults(task.metadata.parameters, split.params);
  assertTaskParams(task.name, task.metadata.parameters, withDefaults);
  const sensitive = sensitiveParamNames(task.metadata);
  for (const name of sensitive) {
    const value = withDefaults[name];
    if (value !== undefined && !(value instanceof Sensitive)) withDefaults[name] = new Sensitive(value);
  }
  // Ruby truthiness, as Bolt's `options[:noop]`: anything but nil and false.
  if (options.noop === true || (split.options['noop'] !== undefined && split.options['noop'] !== null && split.options['noop'] !== false)) {
    if (task.metadata.supports_noop !== true) {
      throw new RivetError('bolt/pal-error', 'Task does not support noop', { issueCode: 'TASK_NO_NOOP', details: { task: task.name } });
    }
    withDefaults['_noop'] = true;
  }
  withDefaults['_task'] = task.name;
  if (options.installdir !== undefined) withDefaults['_installdir'] = options.installdir;
  if (options.target !== undefined) withDefaults['_target'] = options.target;
  return { params: withDefaults, sensitive, meta };
}

/** Names that mean something to JavaScript objects: refused as parameter names, declared or not. */
const RESERVED_PARAM_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Refuses `__proto__`, `constructor` and `prototype` (also as `_`-metaparameters) with the same
 * error as any other unknown parameter name.
 *
 * @throws RivetError `bolt/pal-error` / `TYPE_MISMATCH`.
 */
function assertNoReservedNames(taskName: string, params: Readonly<Record<string, unknown>>): void {
  const problems = Object.keys(params)
    .filter((name) => RESERVED_PARAM_NAMES.has(name) || RESERVED_PARAM_NAMES.has(name.slice(1)))
    .map((name) => `has no parameter named '${name}' (a reserved name)`);
  if (problems.length > 0) {
    throw new RivetError('bolt/pal-error', taskParamsMessage(taskName, problems), { issueCode: 'TYPE_MISMATCH', details: { task: taskName, problems } });
  }
}

function metaOptions(taskName: string, options: Readonly<Record<string, unknown>>): TaskMetaOptions {
  const runAs = options['run_as'];
  if (runAs === undefined || runAs === null) return {};
  if (typeof runAs !== 'string') {
    throw new RivetError('bolt/pal-error', `Task ${taskName}: _run_as expects a String, got ${JSON.stringify(runAs)}`, { issueCode: 'TYPE_MISMATCH', details: { task: taskName } });
  }
  return { runAs };
}

/**
 * Types a CLI `k=v` value (C-08): JSON-parsed, kept only if it then satisfies the declared type,
 * else the raw string. Undeclared parameters keep any JSON value.
 *
 * @example
 * ```ts
 * typeCliValue('80', { type: 'Integer' }); // 80
 * typeCliValue('80', { type: 'String' }); // '80'
 * typeCliValue('[1]', undefined); // [1]
 * ```
 */
export function typeCliValue(raw: string, spec: ParamSpec | undefined): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (spec === undefined) return parsed;
  return matchesType(paramType(spec), parsed) ? parsed : raw;
}

/**
 * Builds task parameters from CLI arguments (C-08): positional `k=v` pairs, or `--params` JSON
 * (already read from `@file`/`-` by the caller). Using both is an error.
 *
 * @throws UsageError for a mix of both, bad `--params` JSON, or a `k=v` without a name.
 * @example
 * ```ts
 * parseCliParams(['count=3', 'name=x'], undefined, { count: { type: 'Integer' } }); // { count: 3, name: 'x' }
 * parseCliParams([], '{"count": 3}'); // { count: 3 }
 * ```
 */
export function parseCliParams(
  pairs: readonly string[],
  paramsJson: string | undefined,
  parameters?: Readonly<Record<string, ParamSpec>> | null,
): Record<string, unknown> {
  if (paramsJson !== undefined && pairs.length > 0) {
    throw new UsageError('Parameters must be specified through either the --params option or param=value pairs, not both');
  }
  if (paramsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(paramsJson);
    } catch (error) {
      throw new UsageError(`Unable to parse --params value as JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new UsageError('--params must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`Invalid parameter '${pair}': expected name=value`);
    const name = pair.slice(0, eq);
    const spec = parameters !== undefined && parameters !== null && Object.hasOwn(parameters, name) ? parameters[name] : undefined;
    // defineProperty: `__proto__=1` becomes an own key (and is then refused), not the prototype.
    Object.defineProperty(out, name, { value: typeCliValue(pair.slice(eq + 1), spec), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
