/**
 * `rivet worker`: takes batches of durable runs' targets from the `rivet-workers` queue in
 * Postgres and runs them with this machine's copy of the project (see docs/durable.md,
 * "Workers"). Its flags only; the worker itself (and DBOS) is loaded when it runs.
 *
 * @module
 */
import { Command, Option } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { addRunFlags, printWarnings, runtimeFromFlags, type GlobalFlags } from '../common.ts';
import type { CliContext } from '../context.ts';

type WorkerFlags = GlobalFlags & { id: string; durable?: string; globalConcurrency?: number; workerConcurrency?: number; rateLimit?: { limitPerPeriod: number; periodSec: number }; stopTimeout?: number };

function count(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a whole number of batches (1, 2, ...), got '${value}'`);
    return n;
  };
}

/** `--stop-timeout 30`: seconds (a positive number). */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--stop-timeout expects a number of seconds, e.g. 30, got '${value}'`);
  return n;
}

/** `--rate-limit 10/60`: at most 10 batches started per 60 seconds. */
export function rateLimit(value: string): { limitPerPeriod: number; periodSec: number } {
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) <= 0) throw new UsageError(`--rate-limit expects BATCHES/SECONDS, e.g. 10/60, got '${value}'`);
  return { limitPerPeriod: Number(match[1]), periodSec: Number(match[2]) };
}

export function workerCommand(ctx: CliContext): Command {
  const cmd = addRunFlags(
    new Command('worker').description("Run batches of durable runs' targets taken from the shared queue in Postgres, until stopped (see docs/durable.md)"),
    // No display or timeout flags: a worker prints no results, and the controller's step options set each step's timeout.
    { targets: false, display: false },
  )
    .requiredOption('--id <name>', 'this worker\'s stable executor ID: a restarted worker with the same ID finishes the batches it had')
    .option('--durable <postgres-url>', "Postgres URL of durable runs (default: the project's 'durable' setting, then RIVET_DURABLE_URL)")
    .addOption(new Option('--global-concurrency <n>', 'set the queue\'s limit of batches running at once over all workers (stored in Postgres)').argParser(count('--global-concurrency')))
    .addOption(new Option('--worker-concurrency <n>', 'set the queue\'s limit of batches running at once in each worker (stored in Postgres)').argParser(count('--worker-concurrency')))
    .addOption(new Option('--rate-limit <batches/seconds>', 'set the queue\'s limit of batches started per period over all workers, e.g. 10/60 (stored in Postgres)').argParser(rateLimit))
    .addOption(new Option('--stop-timeout <seconds>', 'on SIGTERM or Ctrl-C, wait at most this long for the database to close, then exit anyway (default: RIVET_DURABLE_STOP_TIMEOUT, else 30)').argParser(seconds))
    .addHelpText(
      'after',
      '\nExamples:\n  rivet worker --id worker-a --durable postgres://rivet@db/rivet_runs\n  rivet worker --id worker-b --global-concurrency 4 --rate-limit 20/60\n  rivet plan run site::deploy --targets all --durable --workers   # the controller\n\nSee docs/durable.md, "Workers".',
    );
  cmd.action(async (flags: WorkerFlags) => {
    const [{ durableUrl, stopTimeoutMs }, { openWorker }, { serializerFor }] = await Promise.all([import('./durable.ts'), import('../../runtime/durable/workers.ts'), import('../../runtime/durable/engine.ts')]);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(flags.id)) throw new UsageError(`--id expects a name of letters, digits, '.', '_' and '-', got '${flags.id}'`);
    // Not Ctrl-C's signal: a stopping worker must not record its in-flight targets as canceled (they run again when it restarts).
    const runtime = await runtimeFromFlags(flags, ctx.io, new AbortController().signal);
    ctx.onRuntime(runtime);
    printWarnings(runtime, ctx.io);
    const { url, source } = durableUrl(flags.durable, { url: runtime.project.config.durable, file: runtime.project.file }, ctx.io.env);
    const log = (entry: unknown) => runtime.events.log('debug', `DBOS: ${entry instanceof Error ? entry.message : String(entry)}`);
    const worker = await openWorker({
      url,
      urlSource: source,
      runtime,
      executorId: flags.id,
      serializer: serializerFor({ url, key: ctx.io.env['RIVET_DURABLE_KEY'] }),
      logger: { info: log, debug: log, warn: log, error: log },
      queue: { globalConcurrency: flags.globalConcurrency, workerConcurrency: flags.workerConcurrency, rateLimit: flags.rateLimit },
    });
    ctx.io.err.write(`Worker ${flags.id} is taking batches from the rivet-workers queue (stop it with Ctrl-C or SIGTERM)\n`);
    await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true })));
    const outcome = await worker.close(flags.stopTimeout !== undefined ? flags.stopTimeout * 1000 : stopTimeoutMs(ctx.io.env));
    if (!outcome.stopped) ctx.io.err.write(`Worker ${flags.id} did not stop cleanly (${outcome.reason}); exiting anyway\n`);
    ctx.io.err.write(`Worker ${flags.id} stopped; batches it had not finished continue when a worker with the same --id starts\n`);
  });
  return cmd;
}
