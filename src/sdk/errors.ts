/**
 * The errors plans throw and catch, in Bolt's shapes (P-11, P-16, P-17, P-36). Each is a
 * `RivetError` with a stable `kind`, `msg`, `details` and, when known, the plan file:line of the
 * failing call (`location`, serialised as `details.file`/`details.line`).
 *
 * @example
 * ```ts
 * try { await runCommand('false', targets); }
 * catch (e) { if (isRunFailure(e)) console.log(e.resultSet.errorSet.names, e.location); }
 * ```
 * @module
 */
import { ErrorKind, RivetError, isRivetError, type RivetErrorOptions, type SourceLocation } from '../core/errors.ts';
import type { ResultSet } from '../core/result.ts';

/** A step failed on some targets (`bolt/run-failure`); `resultSet` has every target's result. */
export class RunFailure extends RivetError {
  override readonly name = 'RunFailure';
  readonly resultSet: ResultSet;
  readonly action: string;
  readonly object: string | null;

  constructor(resultSet: ResultSet, action: string, object: string | null, location?: SourceLocation) {
    const failed = resultSet.errorSet.length;
    const what = object === null ? action : `${action} '${object}'`;
    const where = location ? ` (${location.file}:${location.line})` : '';
    const first = resultSet.errorSet.first;
    const reason = first ? `: ${first.target.name}: ${first.error()?.msg ?? 'failed'}${failed > 1 ? ` (and ${failed - 1} more)` : ''}` : '';
    super(ErrorKind.RunFailure, `${what} failed on ${failed} target${failed === 1 ? '' : 's'}${where}${reason}`, {
      details: { action, object, result_set: resultSet },
      location,
    });
    this.resultSet = resultSet;
    this.action = action;
    this.object = object;
  }
}

/** `failPlan()` (P-16), or a plan that failed for another reason. */
export class PlanFailure extends RivetError {
  override readonly name = 'PlanFailure';
  constructor(msg: string, kind: string = ErrorKind.PlanFailure, options: RivetErrorOptions = {}) {
    super(kind, msg, options);
  }
}

/** `parallelize()` had failures (P-17): `details.failed_indices` and `details.results` (input order). */
export class ParallelFailure extends RivetError {
  override readonly name = 'ParallelFailure';
  readonly results: readonly unknown[];
  readonly failedIndices: readonly number[];
  constructor(results: readonly unknown[], failedIndices: readonly number[], location?: SourceLocation) {
    const where = location ? ` (${location.file}:${location.line})` : '';
    super(ErrorKind.ParallelFailure, `parallelize() failed for ${failedIndices.length} of ${results.length} items (indices ${failedIndices.join(', ')})${where}`, {
      details: { action: 'parallelize', failed_indices: [...failedIndices], results: [...results] },
      location,
    });
    this.results = results;
    this.failedIndices = failedIndices;
  }
}

export function isRunFailure(error: unknown): error is RunFailure {
  return isRivetError(error) && error.kind === ErrorKind.RunFailure && 'resultSet' in error;
}

export function isParallelFailure(error: unknown): error is ParallelFailure {
  return isRivetError(error) && error.kind === ErrorKind.ParallelFailure;
}
