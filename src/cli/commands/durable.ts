/**
 * What the durable-run commands do: `rivet plan run --durable`, `rivet plan resume`, `retry`,
 * `runs` and `show-run`. Loaded only when one of them runs; it loads the durable engine (DBOS).
 *
 * @module
 */
import { ErrorKind, RivetError, UsageError } from '../../core/errors.ts';
import type { CreatedRuntime } from '../../runtime/create.ts';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../runtime/durable/stop.ts';
import { EXECUTOR_BUSY, executorBusy } from '../../runtime/durable/executor-lock.ts';
import { newRunId, openDurable, runExecutorId, withDurableClient, type DurableRunInfo, type DurableRuns, type DurableStepInfo } from '../../runtime/durable/engine.ts';
import type { PlanRunner } from '../../runtime/plans/index.ts';
import { findProject } from '../../runtime/project.ts';
import type { AnyPlan } from '../../sdk/plan.ts';
import type { CliContext } from '../context.ts';
import type { CliIO } from '../render/writer.ts';
import { makeRunner, runAndRender, type PlanFlags } from './plan.ts';

/** The Postgres URL of durable runs and where it came from (named in errors, never with its password). */
export interface DurableUrl {
  url: string;
  /** `--durable`, `the 'durable' setting of /srv/site/rivet-project.yaml` or `RIVET_DURABLE_URL`. */
  source: string;
}

/** The project's `durable` setting and the file it is in. */
export type ProjectDurable = { url: string | undefined; file: string | undefined } | undefined;

/** The Postgres URL: the flag's value, else the project's `durable` setting, else `RIVET_DURABLE_URL`. */
export function durableUrl(flag: string | boolean | undefined, project: ProjectDurable, env: Readonly<Record<string, string | undefined>>): DurableUrl {
  const found: DurableUrl | undefined =
    typeof flag === 'string'
      ? { url: flag, source: '--durable' }
      : project?.url !== undefined
        ? { url: project.url, source: `the 'durable' setting of ${project.file ?? 'the project file'}` }
        : env['RIVET_DURABLE_URL'] !== undefined
          ? { url: env['RIVET_DURABLE_URL'], source: 'RIVET_DURABLE_URL' }
          : undefined;
  if (found === undefined || found.url === '') {
    throw new UsageError(`Durable runs need a Postgres URL: --durable <postgres-url>, the project's 'durable' setting, or RIVET_DURABLE_URL${found === undefined ? '' : ` (${found.source} is empty)`}`);
  }
  // Only the scheme is echoed: the URL may hold a password.
  if (!/^postgres(ql)?:\/\//.test(found.url)) throw new UsageError(`The durable run database (from ${found.source}) must be a postgres:// URL, got one starting '${found.url.split(':')[0]}:'`);
  return found;
}

function projectDurable(ctx: CliContext, projectFlag: string | undefined): ProjectDurable {
  try {
    const project = findProject({ cwd: ctx.io.cwd, env: ctx.io.env as Record<string, string>, ...(projectFlag !== undefined ? { projectFlag } : {}) });
    return { url: project.config.durable, file: project.file };
  } catch {
    return undefined;
  }
}

/** Seconds a stopping controller or worker waits for the database (RIVET_DURABLE_STOP_TIMEOUT, default 30). */
export function stopTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env['RIVET_DURABLE_STOP_TIMEOUT'];
  if (raw === undefined || raw === '') return DEFAULT_STOP_TIMEOUT_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`RIVET_DURABLE_STOP_TIMEOUT expects a number of seconds, e.g. 30, got '${raw}'`);
  return seconds * 1000;
}

/**
 * `work`, unless the run was stopped (Ctrl-C, SIGTERM) and `work` has not settled `ms` after the
 * stop (its database does not answer): then a `rivet/canceled` error, so the controller exits.
 */
function boundedAfterStop<T>(work: Promise<T>, signal: AbortSignal, ms: number, runId: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => reject(new RivetError(ErrorKind.Canceled, `The durable run did not finish within ${ms / 1000} s of the stop (the database does not answer); what it recorded is kept: continue it with rivet plan resume ${runId}`)), ms);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  late.catch(() => {});
  return Promise.race([work, late]).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  });
}

function announce(io: CliIO, flags: PlanFlags, runId: string, plan: string, what: string): void {
  if (flags.format === 'jsonl') io.out.write(`${JSON.stringify({ type: 'durable_run', time: new Date().toISOString(), runId, plan, what })}\n`);
  else io.err.write(`Durable run ${runId} (${what}); if it stops, continue it with: rivet plan resume ${runId}\n`);
}

/**
 * Runs `use` on durable runs of run `runId` opened for its executor ID, closing them afterwards.
 * A stop (Ctrl-C, SIGTERM) is bounded: the run and the close each get RIVET_DURABLE_STOP_TIMEOUT.
 */
async function withDurable<T>(ctx: CliContext, where: DurableUrl, runner: PlanRunner, runId: string, use: (durable: DurableRuns) => Promise<T>, flags: PlanFlags): Promise<T> {
  const stopMs = stopTimeoutMs(ctx.io.env);
  let durable: DurableRuns | undefined;
  const executorId = runExecutorId(runId);
  const work = (async () => {
    durable = await openDurable({
      url: where.url,
      urlSource: where.source,
      runner,
      executorId,
      key: ctx.io.env['RIVET_DURABLE_KEY'],
      workers: flags.workers === true,
      batchSize: flags.batchSize,
      closeTimeoutMs: stopMs,
    }).catch((error: unknown) => {
      // The executor ID is the run's: a live process (the run's controller, another resume) runs it.
      throw error instanceof RivetError && error.kind === EXECUTOR_BUSY ? executorBusy(executorId, runId) : error;
    });
    return use(durable);
  })();
  try {
    return await boundedAfterStop(work, ctx.signal, stopMs, runId);
  } finally {
    await (durable as DurableRuns | undefined)?.close();
  }
}

/** `rivet plan run --durable`: the run id is announced before the plan starts. */
export async function runDurable(ctx: CliContext, runtime: CreatedRuntime, runner: PlanRunner, plan: AnyPlan, name: string, params: Record<string, unknown>, flags: PlanFlags): Promise<number> {
  if (flags.preview === true || flags.record !== undefined || flags.replay !== undefined) throw new UsageError('--durable cannot be combined with --preview, --record or --replay');
  const where = durableUrl(flags.durable, { url: runtime.project.config.durable, file: runtime.project.file }, ctx.io.env);
  const runId = newRunId();
  announce(ctx.io, flags, runId, name, 'started');
  return runAndRender(ctx, runtime, runner, plan, name, params, flags, {
    fields: { runId },
    recordsRerun: true,
    execute: () => withDurable(ctx, where, runner, runId, async (durable) => (await durable.start(name, params, { runId })).result, flags),
  });
}

/** `rivet plan resume <run-id>`. */
export async function resumeRun(ctx: CliContext, runId: string, flags: PlanFlags): Promise<number> {
  const where = durableUrl(flags.durable, projectDurable(ctx, flags.project), ctx.io.env);
  const { run } = await withDurableClient({ url: where.url, urlSource: where.source }, (client) => client.show(runId));
  const { runtime, runner } = await makeRunner(ctx, flags);
  announce(ctx.io, flags, runId, run.plan, `resuming, was ${run.status}`);
  return runAndRender(ctx, runtime, runner, undefined, run.plan, {}, flags, {
    fields: { runId },
    execute: () => withDurable(ctx, where, runner, runId, (durable) => durable.resume(runId), flags),
  });
}

/** `rivet plan retry <run-id> --from-step N`: a new run, announced with its own id. */
export async function retryRun(ctx: CliContext, runId: string, fromStep: number, flags: PlanFlags): Promise<number> {
  const where = durableUrl(flags.durable, projectDurable(ctx, flags.project), ctx.io.env);
  const { run } = await withDurableClient({ url: where.url, urlSource: where.source }, (client) => client.show(runId));
  const { runtime, runner } = await makeRunner(ctx, flags);
  const newId = newRunId();
  announce(ctx.io, flags, newId, run.plan, `retry of ${runId} from step ${fromStep}`);
  return runAndRender(ctx, runtime, runner, undefined, run.plan, {}, flags, {
    fields: { runId: newId },
    execute: () => withDurable(ctx, where, runner, newId, async (durable) => (await durable.retry(runId, fromStep, newId)).result, flags),
  });
}

/** `rivet plan runs`. */
export async function listRunsCli(ctx: CliContext, flags: { durable?: string; project?: string; format: string }): Promise<void> {
  const where = durableUrl(flags.durable, projectDurable(ctx, flags.project), ctx.io.env);
  const runs = await withDurableClient({ url: where.url, urlSource: where.source }, (client) => client.list());
  if (flags.format === 'json') {
    ctx.io.out.write(`${JSON.stringify({ runs }, null, 2)}\n`);
    return;
  }
  ctx.io.out.write(runs.length === 0 ? 'No durable runs.\n' : formatRuns(runs));
}

function formatRuns(runs: DurableRunInfo[]): string {
  const rows = [['RUN ID', 'STATUS', 'PLAN', 'STARTED'], ...runs.map((r) => [r.runId, r.status, r.plan, r.createdAt])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** `rivet plan show-run <run-id>`: exit 0, or 1 when a recorded result failed or the run failed. */
export async function showRunCli(ctx: CliContext, runId: string, flags: { durable?: string; project?: string; format: string }): Promise<number> {
  const where = durableUrl(flags.durable, projectDurable(ctx, flags.project), ctx.io.env);
  const { run, steps } = await withDurableClient({ url: where.url, urlSource: where.source }, (client) => client.show(runId));
  const failed = run.status === 'ERROR' || steps.some((s) => s.results.some((r) => r.status === 'failure'));
  if (flags.format === 'json') ctx.io.out.write(`${JSON.stringify({ run, steps }, null, 2)}\n`);
  else ctx.io.out.write(formatRun(run, steps));
  return failed ? 1 : 0;
}

function formatRun(run: DurableRunInfo, steps: DurableStepInfo[]): string {
  const lines = [`Run ${run.runId}: plan ${run.plan}, ${run.status}, started ${run.createdAt}${run.forkedFrom ? `, retry of ${run.forkedFrom}` : ''}`];
  for (const step of steps) {
    const bad = step.results.filter((r) => r.status === 'failure');
    lines.push(`  step ${step.step}: ${step.action} ${step.object ?? ''}`.trimEnd() + ` (${step.results.length - bad.length} succeeded, ${bad.length} failed)`);
    for (const r of bad) lines.push(`    failed on ${r.target}: ${JSON.stringify((r.value as { _error?: { msg?: string } })._error?.msg ?? r.value)}`);
  }
  if (steps.length === 0) lines.push('  no step has finished yet');
  return `${lines.join('\n')}\n`;
}
