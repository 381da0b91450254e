/**
 * The durable-run subcommands of `rivet plan` (`resume`, `retry`, `runs`, `show-run`): their
 * flags only. What they do is in `durable.ts`, loaded when one of them runs, so DBOS is loaded
 * only by durable runs.
 *
 * @module
 */
import { Command, Option } from 'commander';
import { addRunFlags } from '../common.ts';
import type { CliContext } from '../context.ts';
import type { PlanFlags } from './plan.ts';
import { UsageError } from '../../core/errors.ts';

const URL_HELP = "Postgres URL of durable runs (default: the project's 'durable' setting, then RIVET_DURABLE_URL)";

function positiveStep(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--from-step expects a step number (1, 2, ...), got '${value}'`);
  return n;
}

function batchSize(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--batch-size expects a whole number (1, 2, ...), got '${value}'`);
  return n;
}

/** `--workers` and `--batch-size`, as `plan run --durable` has them. */
function addBatchFlags(cmd: Command, what: string): Command {
  return cmd
    .option('--workers', `run the steps ${what} on \`rivet worker\` processes, in batches (give it when the run was started with --workers)`)
    .addOption(new Option('--batch-size <n>', 'targets per batch (default 500; with --workers 100)').argParser(batchSize));
}

export function durablePlanCommands(ctx: CliContext): Command[] {
  const load = () => import('./durable.ts');
  const resume = addRunFlags(new Command('resume').description('Continue a durable run: finished steps are not run again, and only targets without a result run').argument('<run-id>', 'the run id printed when the run started'), { targets: false })
    .option('--durable <postgres-url>', URL_HELP);
  addBatchFlags(resume, 'left').addHelpText('after', '\nExamples:\n  rivet plan resume r20261201T143000-1a2b3c4d\n  rivet plan resume r20261201T143000-1a2b3c4d --workers --batch-size 200\n\nSee docs/durable.md.');
  resume.action(async (runId: string, flags: PlanFlags) => {
    ctx.exitCode = await (await load()).resumeRun(ctx, runId, flags);
  });
  const retry = addRunFlags(new Command('retry').description('Run a durable run again from a step, as a new run (the steps before it keep their results)').argument('<run-id>', 'the run to retry'), { targets: false })
    .requiredOption('--from-step <n>', 'the first plan step to run again (1-based, as `rivet plan show-run` numbers them)', positiveStep)
    .option('--durable <postgres-url>', URL_HELP);
  addBatchFlags(retry, 'from --from-step on').addHelpText('after', '\nExamples:\n  rivet plan retry r20261201T143000-1a2b3c4d --from-step 4\n  rivet plan retry r20261201T143000-1a2b3c4d --from-step 4 --workers --batch-size 200\n\nSee docs/durable.md.');
  retry.action(async (runId: string, flags: PlanFlags & { fromStep: number }) => {
    ctx.exitCode = await (await load()).retryRun(ctx, runId, flags.fromStep, flags);
  });
  const runs = new Command('runs')
    .description('List durable runs with their status, newest first')
    .option('--durable <postgres-url>', URL_HELP)
    .option('--project <dir>', 'project directory')
    .addOption(new Option('--format <format>', 'human or json').choices(['human', 'json']).default('human'));
  runs.action(async (flags: { durable?: string; project?: string; format: string }) => {
    await (await load()).listRunsCli(ctx, flags);
  });
  const show = new Command('show-run')
    .description("Show a durable run's status and each step's results per target")
    .argument('<run-id>', 'the run id')
    .option('--durable <postgres-url>', URL_HELP)
    .option('--project <dir>', 'project directory')
    .addOption(new Option('--format <format>', 'human or json').choices(['human', 'json']).default('human'));
  show.action(async (runId: string, flags: { durable?: string; project?: string; format: string }) => {
    ctx.exitCode = await (await load()).showRunCli(ctx, runId, flags);
  });
  return [resume, retry, runs, show];
}
