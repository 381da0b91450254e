/**
 * {@link rollout}: run a change over targets in batches (a canary, then a share, then the rest),
 * with a failure budget, an optional pause and health check between batches, progress events per
 * batch and a typed {@link RolloutReport}. Ansible's `serial` and `max_fail_percentage`, as a
 * function.
 *
 * @example
 * ```ts
 * const report = await rollout(targets, async (batch) => {
 *   await runCommand(sh`systemctl restart ${service}`, batch, { onFailure: 'continue' });
 * }, { batches: [1, '10%', '50%', '100%'], failureBudget: '5%', pauseMs: 30_000,
 *      healthCheck: async (batch) => (await runCommand('curl -fsS localhost/health', batch.targets, { catchErrors: true })).ok });
 * out.message(`${report.succeeded.length} done, never touched: ${report.untouched.map((t) => t.name).join(', ')}`);
 * ```
 * @module
 */
import { ErrorKind, RivetError, isRivetError, type SourceLocation } from '../core/errors.ts';
import type { RolloutStopReason } from '../core/events.ts';
import { ResultSet } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import { currentContext, type PlanContext } from './context.ts';
import { sleepFor } from './flow.ts';
import { callerLocation, formatLocation } from './location.ts';
import type { TargetSpec } from './puppet.ts';

/** A number of targets, or a percentage of all the rollout's targets (`'10%'`). */
export type TargetCount = number | `${number}%`;

export interface RolloutOptions {
  /**
   * Batch sizes, as Ansible's `serial`: one size (`10`, `'25%'`) for every batch, or a list
   * (`[1, '10%', '50%']`) whose last size repeats until every target is done. Percentages are of
   * all targets, rounded down, and a batch always has at least one target. Default: one batch.
   */
  batches?: TargetCount | readonly TargetCount[];
  /**
   * How many targets may fail before the rollout stops (a count or a percentage of all targets,
   * rounded down). Once more have failed, no further batch starts. Default 0: the first failure stops it.
   */
  failureBudget?: TargetCount;
  /** Wait this many milliseconds between batches (canceled with the run). */
  pauseMs?: number;
  /**
   * Runs after each batch; returning `false` or throwing a Rivet error stops the rollout (the
   * batch's targets still count as succeeded).
   */
  healthCheck?: (batch: RolloutBatchInfo) => boolean | void | Promise<boolean | void>;
  /** Text for progress output (default `rollout`). */
  description?: string;
  /** Resolve with the report instead of throwing a {@link RolloutFailure} when the rollout stops. */
  catchErrors?: boolean;
}

/** What the callback and the health check get to know about the batch. */
export interface RolloutBatchInfo {
  /** 1-based. */
  readonly index: number;
  /** How many batches the rollout has. */
  readonly count: number;
  readonly targets: readonly Target[];
}

/** One batch that ran. */
export interface RolloutBatch<R> extends RolloutBatchInfo {
  readonly succeeded: Target[];
  readonly failed: Target[];
  /** What the callback returned (undefined when it threw). */
  readonly value: R | undefined;
  /** What the callback threw, if anything. */
  readonly error: RivetError | undefined;
  /** The health check's verdict; undefined without one. */
  readonly healthy: boolean | undefined;
  readonly durationMs: number;
}

export interface RolloutStop {
  readonly reason: RolloutStopReason;
  /** The batch after which it stopped (1-based). */
  readonly batch: number;
  readonly message: string;
  /** The health check's error, when it threw. */
  readonly error?: RivetError | undefined;
}

export interface RolloutReport<R> {
  /** True when every batch ran, the budget held and every health check passed. */
  readonly ok: boolean;
  /** Why it stopped early; undefined when it ran to the end. */
  readonly stopped: RolloutStop | undefined;
  readonly batches: RolloutBatch<R>[];
  readonly succeeded: Target[];
  /** Failed targets, within the budget or not. */
  readonly failed: Target[];
  /** Targets no batch reached (the rollout stopped first). */
  readonly untouched: Target[];
  /** The budget as a number of targets. */
  readonly failureBudget: number;
}

/** A rollout stopped early (`rivet/rollout-failure`); `report` says how far it got. */
export class RolloutFailure extends RivetError {
  override readonly name = 'RolloutFailure';
  readonly report: RolloutReport<unknown>;
  constructor(report: RolloutReport<unknown>, location?: SourceLocation) {
    const stop = report.stopped!;
    const where = location ? ` (${formatLocation(location)})` : '';
    const untouched = report.untouched.length > 0 ? `; never touched: ${report.untouched.map((t) => t.name).join(', ')}` : '';
    super(ErrorKind.RolloutFailure, `${stop.message}${untouched}${where}`, { details: { ...reportJSON(report), reason: stop.reason }, location });
    this.report = report;
  }
}

function reportJSON(report: RolloutReport<unknown>): Record<string, unknown> {
  const names = (ts: readonly Target[]): string[] => ts.map((t) => t.name);
  return {
    batches: report.batches.map((b) => ({ index: b.index, targets: names(b.targets), failed: names(b.failed), healthy: b.healthy ?? null })),
    succeeded: names(report.succeeded),
    failed: names(report.failed),
    untouched: names(report.untouched),
    failure_budget: report.failureBudget,
  };
}

/** A count for `total` targets: numbers as they are, percentages of `total` rounded down. */
export function resolveCount(option: string, value: TargetCount, total: number, min: number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < min) throw new TypeError(`rollout(): option '${option}' must be an integer of at least ${min} or a percentage like '10%', got ${String(value)}`);
    return value;
  }
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(value) : null;
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent >= 0 && percent <= 100) || (min > 0 && percent === 0)) {
    throw new TypeError(`rollout(): option '${option}' must be a number or a percentage from ${min > 0 ? '0 (excluded)' : '0'} to 100 like '10%', got ${JSON.stringify(value)}`);
  }
  return Math.floor((total * percent) / 100);
}

/**
 * Splits targets into batches (Ansible's `serial`): each size in turn, the last repeating;
 * percentages of all targets rounded down, at least one target per batch.
 *
 * @example
 * ```ts
 * planBatches(names20, [1, '10%', '50%']).map((b) => b.length); // [1, 2, 10, 7]
 * ```
 */
export function planBatches<T>(targets: readonly T[], batches: TargetCount | readonly TargetCount[] = '100%'): T[][] {
  const sizes = (Array.isArray(batches) ? batches : [batches]) as readonly TargetCount[];
  if (sizes.length === 0) throw new TypeError("rollout(): option 'batches' must not be an empty list");
  const counts = sizes.map((size) => Math.max(1, resolveCount('batches', size, targets.length, 1)));
  const out: T[][] = [];
  for (let start = 0, i = 0; start < targets.length; i++) {
    const size = counts[Math.min(i, counts.length - 1)]!;
    out.push(targets.slice(start, start + size));
    start += size;
  }
  return out;
}

let rolloutIds = 1;

/**
 * Runs `fn` on the targets batch by batch (see the module doc). Each batch's failed targets are
 * those its steps failed on in `onFailure: 'continue'` mode, those of a ResultSet the callback
 * returns (steps with `catchErrors`), or, when the callback throws a Rivet error, every target of
 * the batch (it did not finish on any). Once more targets have failed than the budget allows, or a
 * health check fails, no further batch starts; the rollout then throws a {@link RolloutFailure}
 * (or, with `catchErrors`, resolves with the report). Errors that are not Rivet errors (bugs in
 * the callback) are re-thrown at once.
 */
export async function rollout<R>(targets: TargetSpec, fn: (batch: Target[], info: RolloutBatchInfo) => Promise<R> | R, options: RolloutOptions = {}): Promise<RolloutReport<R>> {
  const location = callerLocation();
  const ctx = currentContext('rollout');
  if (typeof fn !== 'function') throw new TypeError('rollout(): the second argument must be a function of the batch');
  if (options.pauseMs !== undefined && !(Number.isFinite(options.pauseMs) && options.pauseMs >= 0)) {
    throw new TypeError(`rollout(): option 'pauseMs' must be a number of milliseconds, got ${String(options.pauseMs)}`);
  }
  const all = withoutFailed(ctx, ctx.getTargets(targets));
  const plan = planBatches(all, options.batches);
  const budget = resolveCount('failureBudget', options.failureBudget ?? 0, all.length, 0);
  const description = options.description ?? 'rollout';
  const rolloutId = rolloutIds++;
  const started = performance.now();
  ctx.emit({ type: 'rollout_start', rolloutId, description, targets: all.map((t) => t.name), batches: plan.map((b) => b.map((t) => t.name)), failureBudget: budget });

  const done: (RolloutBatch<R> & { healthError: RivetError | undefined })[] = [];
  const failed = new Map<string, Target>();
  let stopped: RolloutStop | undefined;
  try {
    for (const [i, batchTargets] of plan.entries()) {
      if (i > 0 && options.pauseMs) await sleepFor(options.pauseMs, ctx.signal);
      const info: RolloutBatchInfo = { index: i + 1, count: plan.length, targets: batchTargets };
      const batch = await runBatch(ctx, rolloutId, description, info, fn, options.healthCheck);
      done.push(batch);
      for (const t of batch.failed) failed.set(t.name, t);
      ctx.emit({
        type: 'batch_finish',
        rolloutId,
        description,
        batch: info.index,
        batches: plan.length,
        durationMs: batch.durationMs,
        count: batchTargets.length,
        failed: batch.failed.map((t) => t.name),
        failures: failed.size,
        failureBudget: budget,
        healthy: batch.healthy ?? null,
      });
      if (failed.size > budget) {
        stopped = { reason: 'failure_budget', batch: info.index, message: `${description} stopped after batch ${info.index} of ${plan.length}: ${failed.size} target${failed.size === 1 ? '' : 's'} failed, the failure budget allows ${budget}` };
      } else if (batch.healthy === false) {
        const why = batch.healthError ? `: ${batch.healthError.message}` : '';
        stopped = { reason: 'health_check', batch: info.index, message: `${description} stopped after batch ${info.index} of ${plan.length}: the health check failed${why}`, error: batch.healthError };
      }
      if (stopped) break;
    }
  } finally {
    // Emitted on every way out (a bug re-thrown from the callback included), so progress output ends.
    const sofar = makeReport(all, done, failed, stopped, budget);
    const ended = stopped ?? (done.length < plan.length ? { message: `${description} ended by an error` } : undefined);
    ctx.emit({
      type: 'rollout_finish',
      rolloutId,
      description,
      durationMs: performance.now() - started,
      status: ended ? 'stopped' : 'success',
      reason: stopped?.reason ?? null,
      message: ended?.message ?? `${description} finished: ${sofar.succeeded.length} of ${all.length} targets succeeded`,
      succeeded: sofar.succeeded.length,
      failed: sofar.failed.map((t) => t.name),
      untouched: sofar.untouched.map((t) => t.name),
    });
  }
  const report = makeReport(all, done, failed, stopped, budget);
  if (stopped && options.catchErrors !== true) throw new RolloutFailure(report as RolloutReport<unknown>, location);
  return report;
}

function makeReport<R>(
  all: readonly Target[],
  done: readonly (RolloutBatch<R> & { healthError: RivetError | undefined })[],
  failed: ReadonlyMap<string, Target>,
  stopped: RolloutStop | undefined,
  failureBudget: number,
): RolloutReport<R> {
  const reached = new Set(done.flatMap((b) => b.targets));
  return {
    ok: stopped === undefined,
    stopped,
    batches: done.map(({ healthError: _, ...b }) => b),
    succeeded: [...reached].filter((t) => !failed.has(t.name)),
    failed: [...failed.values()],
    untouched: all.filter((t) => !reached.has(t)),
    failureBudget,
  };
}

/** In continue mode, targets that failed an earlier step are left out (as steps do). */
function withoutFailed(ctx: PlanContext, targets: Target[]): Target[] {
  if (ctx.failedTargets.size === 0) return targets;
  const skipped = targets.filter((t) => ctx.failedTargets.has(t.name));
  if (skipped.length > 0) ctx.log('info', `rollout: skipping ${skipped.length} target(s) that failed earlier: ${skipped.map((t) => t.name).join(', ')}`);
  return targets.filter((t) => !ctx.failedTargets.has(t.name));
}

async function runBatch<R>(
  ctx: PlanContext,
  rolloutId: number,
  description: string,
  info: RolloutBatchInfo,
  fn: (batch: Target[], info: RolloutBatchInfo) => Promise<R> | R,
  healthCheck: RolloutOptions['healthCheck'],
): Promise<RolloutBatch<R> & { healthError: RivetError | undefined }> {
  const t0 = performance.now();
  ctx.emit({ type: 'batch_start', rolloutId, description, batch: info.index, batches: info.count, targets: info.targets.map((t) => t.name) });
  const failedBefore = new Set(ctx.failedTargets.keys());
  let value: R | undefined;
  let error: RivetError | undefined;
  const failedNames = new Set<string>();
  try {
    value = await fn([...info.targets], info);
    if (value instanceof ResultSet) for (const r of value.errorSet) failedNames.add(r.target.name);
  } catch (thrown) {
    if (!isRivetError(thrown)) throw thrown;
    error = thrown;
    for (const t of info.targets) failedNames.add(t.name);
  }
  for (const name of ctx.failedTargets.keys()) if (!failedBefore.has(name)) failedNames.add(name);
  const failed = info.targets.filter((t) => failedNames.has(t.name));
  const succeeded = info.targets.filter((t) => !failedNames.has(t.name));
  let healthy: boolean | undefined;
  let healthError: RivetError | undefined;
  if (healthCheck !== undefined) {
    try {
      healthy = (await healthCheck(info)) !== false;
    } catch (thrown) {
      if (!isRivetError(thrown)) throw thrown;
      healthy = false;
      healthError = thrown;
    }
  }
  return { ...info, succeeded, failed, value, error, healthy, healthError, durationMs: performance.now() - t0 };
}
