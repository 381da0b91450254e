/**
 * Errors with stable kinds, in Bolt's shape: `{kind, msg, details, issue_code?}`.
 *
 * Every failure Rivet reports, whether a target's step failed, an inventory file is wrong or a plan
 * called {@link failPlan}, is a {@link RivetError}. Its `kind` is the stable part to match on; the
 * message is for people.
 *
 * @example
 * ```ts
 * import { RivetError, ErrorKind, isRivetError } from 'rivetops/core';
 * const err = new RivetError(ErrorKind.Connect, 'Connection refused', { issueCode: 'CONNECT_ERROR' });
 * if (isRivetError(err) && err.kind === ErrorKind.Connect) console.log(err.toJSON());
 * ```
 * @module
 */

/** Bolt's error kinds, plus Rivet's own (prefixed `rivet/`). Match on these, not on messages. */
export const ErrorKind = {
  Command: 'puppetlabs.tasks/command-error',
  Task: 'puppetlabs.tasks/task-error',
  Connect: 'puppetlabs.tasks/connect-error',
  Escalate: 'puppetlabs.tasks/escalate-error',
  TaskFile: 'puppetlabs.tasks/task_file_error',
  Exception: 'puppetlabs.tasks/exception-error',
  MissingResult: 'puppetlabs.bolt/missing-result-error',
  InvalidTaskError: 'bolt/invalid-task-error',
  Generic: 'bolt/error',
  RunFailure: 'bolt/run-failure',
  ParallelFailure: 'bolt/parallel-failure',
  RolloutFailure: 'rivet/rollout-failure',
  PlanFailure: 'bolt/plan-failure',
  NoImplementation: 'bolt/no-implementation',
  InvalidPlanResult: 'bolt/invalid-plan-result',
  NoTty: 'bolt/no-tty-error',
  Inventory: 'bolt.inventory/validation-error',
  /** Bolt's `Bolt::ValidationError`: e.g. a target with no host. */
  TargetValidation: 'bolt/validation-error',
  WildcardError: 'bolt.inventory/wildcard-error',
  Timeout: 'rivet/timeout',
  Canceled: 'rivet/canceled',
  /** The connection dropped while a command ran (keepalive timeout, reset): its outcome is unknown. */
  ConnectionLost: 'rivet/connection-lost',
  Usage: 'rivet/usage-error',
  Project: 'rivet/project-error',
  Validation: 'rivet/validation-error',
} as const;

export type KnownErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** The serialised form of an error, exactly as Bolt prints it in results and JSON output. */
export interface ErrorData {
  kind: string;
  msg: string;
  details: Record<string, unknown>;
  issue_code?: string;
}

/** Where in a plan (or other source file) something happened. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

export interface RivetErrorOptions {
  details?: Record<string, unknown>;
  issueCode?: string;
  /** The target the error belongs to, when there is one. */
  target?: string;
  /** The plan file:line of the call that failed. */
  location?: SourceLocation;
  cause?: unknown;
}

const RIVET_ERROR = Symbol.for('rivet.error');

/**
 * The one error class of Rivet. Subclasses only narrow `kind` and add typed fields.
 */
export class RivetError extends Error {
  override readonly name: string = 'RivetError';
  readonly kind: string;
  readonly details: Record<string, unknown>;
  readonly issueCode: string | undefined;
  readonly target: string | undefined;
  location: SourceLocation | undefined;

  constructor(kind: string, msg: string, options: RivetErrorOptions = {}) {
    super(msg, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.details = options.details ?? {};
    this.issueCode = options.issueCode;
    this.target = options.target;
    this.location = options.location;
    Object.defineProperty(this, RIVET_ERROR, { value: true });
  }

  /** Bolt's `msg` (the same as `message`). */
  get msg(): string {
    return this.message;
  }

  /** Bolt's error shape. The plan location, when known, is added to `details` as `file`/`line`. */
  toJSON(): ErrorData {
    const details = { ...this.details };
    if (this.location && details['file'] === undefined) {
      details['file'] = this.location.file;
      details['line'] = this.location.line;
    }
    const data: ErrorData = { kind: this.kind, msg: this.message, details };
    if (this.issueCode !== undefined) data.issue_code = this.issueCode;
    return data;
  }

  /** Rebuilds an error from its Bolt shape (as found in a task's `_error`). */
  static fromData(data: ErrorData, target?: string): RivetError {
    const options: RivetErrorOptions = { details: data.details };
    if (data.issue_code !== undefined) options.issueCode = data.issue_code;
    if (target !== undefined) options.target = target;
    return new RivetError(data.kind, data.msg, options);
  }
}

/** True for any Rivet error, even one thrown by another copy of the package. */
export function isRivetError(value: unknown): value is RivetError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RIVET_ERROR] === true;
}

/** A user mistake on the command line or in a call: the CLI exits 2 for these. */
export class UsageError extends RivetError {
  override readonly name = 'UsageError';
  constructor(msg: string, options: RivetErrorOptions = {}) {
    super(ErrorKind.Usage, msg, options);
  }
}

/**
 * A problem in a file the user wrote (inventory, project file, task metadata): names the file,
 * the line when known, and the key.
 */
export class ConfigError extends RivetError {
  override readonly name = 'ConfigError';
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly key: string | undefined;
  constructor(
    kind: string,
    msg: string,
    where: { file?: string; line?: number; key?: string } = {},
    options: RivetErrorOptions = {},
  ) {
    const prefix = where.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '';
    const keyPart = where.key ? `${where.key}: ` : '';
    super(kind, `${prefix}${keyPart}${msg}`, {
      ...options,
      details: { ...options.details, ...(where.file ? { file: where.file } : {}), ...(where.line ? { line: where.line } : {}), ...(where.key ? { key: where.key } : {}) },
    });
    this.file = where.file;
    this.line = where.line;
    this.key = where.key;
  }
}

/** Turns anything thrown into a RivetError, keeping Rivet errors as they are. */
export function toRivetError(error: unknown, target?: string): RivetError {
  if (isRivetError(error)) return error;
  if (error instanceof Error) {
    const options: RivetErrorOptions = {
      details: { class: error.name, stack_trace: error.stack ?? '' },
      issueCode: 'EXCEPTION',
      cause: error,
    };
    if (target !== undefined) options.target = target;
    return new RivetError(ErrorKind.Exception, error.message, options);
  }
  const options: RivetErrorOptions = { issueCode: 'EXCEPTION' };
  if (target !== undefined) options.target = target;
  return new RivetError(ErrorKind.Exception, String(error), options);
}
