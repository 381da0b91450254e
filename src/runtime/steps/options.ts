/**
 * What a step needs from a target's transport config: run-as, sudo, tmpdir, cleanup,
 * interpreters. Step options beat target config (P-14).
 *
 * @example
 * ```ts
 * const runAs = resolveRunAs(target, { runAs: 'root' });
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';
import { transportOptions, type Target } from '../../core/target.ts';
import type { RunAs } from '../../transports/transport.ts';

export interface StepRunOptions {
  /** Become this user (beats the target's `run-as`). */
  runAs?: string | undefined;
  /** Extra env vars for commands and scripts (P-03). */
  env?: Readonly<Record<string, string>> | undefined;
  /** Per-target timeout of the step, in milliseconds. */
  timeoutMs?: number | undefined;
  /** Overrides the target's `tmpdir`. */
  tmpdir?: string | undefined;
}

export function resolveRunAs(target: Target, options: StepRunOptions): RunAs | undefined {
  const config = transportOptions(target);
  const user = options.runAs ?? stringOption(config, 'run-as', target);
  if (user === undefined || user === '') return undefined;
  const command = config['run-as-command'];
  if (command !== undefined && (!Array.isArray(command) || !command.every((c) => typeof c === 'string'))) {
    throw new RivetError(ErrorKind.Validation, `run-as-command of ${target.name} must be a list of strings`, { target: target.name });
  }
  return {
    user,
    password: stringOption(config, 'sudo-password', target) ?? target.password ?? stringOption(config, 'password', target),
    command: command as string[] | undefined,
    sudoExecutable: stringOption(config, 'sudo-executable', target),
  };
}

export function resolveTmpdir(target: Target, options: StepRunOptions): string | undefined {
  return options.tmpdir ?? stringOption(transportOptions(target), 'tmpdir', target);
}

export function resolveCleanup(target: Target): boolean {
  const value = transportOptions(target)['cleanup'];
  return value === undefined ? true : value !== false;
}

/**
 * The interpreter for a file extension from the target's `interpreters` (T-28): keys with or
 * without the dot, values a path or an argv list.
 */
export function resolveInterpreter(target: Target, fileName: string): string[] | undefined {
  const interpreters = transportOptions(target)['interpreters'];
  if (interpreters === undefined || interpreters === null) return undefined;
  if (typeof interpreters !== 'object' || Array.isArray(interpreters)) {
    throw new RivetError(ErrorKind.Validation, `interpreters of ${target.name} must be a map of file extension to interpreter`, { target: target.name });
  }
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = fileName.slice(dot + 1);
  const entry = (interpreters as Record<string, unknown>)[`.${ext}`] ?? (interpreters as Record<string, unknown>)[ext];
  if (entry === undefined) return undefined;
  if (typeof entry === 'string') return [entry];
  if (Array.isArray(entry) && entry.length > 0 && entry.every((e) => typeof e === 'string')) return entry as string[];
  throw new RivetError(ErrorKind.Validation, `interpreters.${ext} of ${target.name} must be a path or a list of strings`, { target: target.name });
}

function stringOption(config: Record<string, unknown>, key: string, target: Target): string | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new RivetError(ErrorKind.Validation, `${key} of ${target.name} must be a string`, { target: target.name });
  return value;
}
