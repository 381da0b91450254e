/**
 * `rivet plan run <name> [k=v ...]` and `rivet plan show [name]` (C-01, C-07, C-08, C-10, C-12,
 * P-40..P-42), and {@link runPlanCli}, the same `plan run` for a plan file started directly
 * (`npx tsx plans/deploy.ts --targets web k=v`).
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ErrorKind, UsageError, isRivetError, toRivetError } from '../../core/errors.ts';
import { logLevelEnabled, type LogLevel } from '../../core/events.ts';
import { ResultSet } from '../../core/result.ts';
import type { CreatedRuntime } from '../../runtime/create.ts';
// The plan modules one by one, not runtime/plans/index.ts: that barrel also loads the preview,
// record/replay, typecheck and testing modules, which a plain run never uses (each module costs
// start-up CPU, several times more under tsx's loader hooks).
import { loadPlan, nameOfPlan, type PlanEntry } from '../../runtime/plans/discovery.ts';
import { checkModes, runWithModes, type PlanRunModes } from '../../runtime/plans/modes.ts';
import { normalizeParams, paramMatches, type NormalParam } from '../../runtime/plans/params.ts';
import { PlanRunner } from '../../runtime/plans/run.ts';
import { planResultJSON } from '../../runtime/plans/serialize.ts';
import { isRunFailure } from '../../sdk/errors.ts';
import { callerLocation, userStack } from '../../sdk/location.ts';
import type { AnyPlan } from '../../sdk/plan.ts';
import { addRunFlags, expandTargets, parseFilter, printWarnings, readErrorReason, runtimeFromFlags, type GlobalFlags } from '../common.ts';
import type { CliContext } from '../context.ts';
import { loadAllowList, loadCreateRuntime, loadDurableRun, loadJsonRenderer, loadPrompt, loadRecording, loadTypecheck } from '../lazy.ts';
import { rerunTargets, savePlanRerun } from '../rerun.ts';
import { HumanRenderer } from '../render/human.ts';
import type { CliIO } from '../render/writer.ts';

export type PlanFlags = GlobalFlags & { params?: string; typecheck?: boolean; preview?: boolean; record?: string; replay?: string; durable?: string | boolean; workers?: boolean; batchSize?: number };

const KV = /^([^=]+)=(.*)$/s;

/** `k=v` arguments and `--params` (JSON, `@file` or `-`), never both (C-08). */
export async function readParamArgs(args: readonly string[], paramsFlag: string | undefined, io: CliIO): Promise<{ raw: Record<string, string>; json: Record<string, unknown> | undefined }> {
  if (args.length > 0 && paramsFlag !== undefined) throw new UsageError('Pass parameters either as k=v arguments or with --params, not both');
  const raw: Record<string, string> = {};
  for (const arg of args) {
    const match = KV.exec(arg);
    if (!match) throw new UsageError(`Plan parameters must be given as key=value, got '${arg}'`);
    raw[match[1]!] = match[2]!;
  }
  if (paramsFlag === undefined) return { raw, json: undefined };
  let text = paramsFlag;
  if (paramsFlag === '-') text = await io.readStdin();
  else if (paramsFlag.startsWith('@')) {
    try {
      text = await readFile(resolve(io.cwd, paramsFlag.slice(1)), 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read the parameters file '${paramsFlag.slice(1)}': ${readErrorReason(error)}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--params must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError('--params must be a JSON object');
  return { raw, json: json as Record<string, unknown> };
}

/** A `k=v` value: JSON-parsed and kept when it satisfies the declared type, else the string (C-08). */
export function coerceParam(param: NormalParam | undefined, value: string): unknown {
  if (param === undefined) return value;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (paramMatches(param, parsed)) return parsed;
  } catch {
    // not JSON: the string itself
  }
  return value;
}

/**
 * The plan's parameters from the command line, `--targets` filling `targets` (P-40), or
 * `--rerun` filling it with the targets of the last run (I-18, as Bolt's `run_plan`).
 */
export async function planParams(plan: AnyPlan, args: readonly string[], flags: PlanFlags, io: CliIO, projectDir: string): Promise<Record<string, unknown>> {
  const declared = normalizeParams(plan.params);
  const { raw, json } = await readParamArgs(args, flags.params, io);
  const params: Record<string, unknown> = json ?? {};
  for (const [key, value] of Object.entries(raw)) params[key] = coerceParam(declared.find((p) => p.name === key), value);
  if (flags.rerun !== undefined && flags.targets !== undefined) throw new UsageError("Only one targeting option can be given: '--targets' or '--rerun'");
  const option = flags.rerun !== undefined ? `--rerun ${flags.rerun}` : '--targets';
  if (flags.rerun !== undefined || (flags.targets !== undefined && flags.targets.length > 0)) {
    if (!declared.some((p) => p.name === 'targets')) throw new UsageError(`${option} was given but the plan has no 'targets' parameter`);
    if (params['targets'] !== undefined) throw new UsageError(`Pass the targets either with ${option} or as the 'targets' parameter, not both`);
    params['targets'] = flags.rerun !== undefined ? await rerunTargets(projectDir, flags.rerun) : await expandTargets(flags.targets!, io);
  }
  return params;
}

function terminalPrompt(io: CliIO): ((text: string, options: { sensitive: boolean }) => Promise<string>) | undefined {
  if (!io.stdinIsTTY) return undefined;
  return async (text, { sensitive }) => {
    if (sensitive) return (await loadPrompt()).promptSecret(text, io);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(text);
    } finally {
      rl.close();
    }
  };
}

function positiveCount(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a whole number (1, 2, ...), got '${value}'`);
  return n;
}

/**
 * Runs a plan with the chosen output and returns the exit code (0 success, 1 failure). A durable
 * run passes `execute` (what runs the plan), `fields` (the run id, added to every JSONL event) and
 * `recordsRerun` (a `plan run --durable` records its result for `--rerun`; resume and retry do not).
 */
export async function runAndRender(
  ctx: CliContext,
  runtime: CreatedRuntime,
  runner: PlanRunner,
  plan: AnyPlan | undefined,
  name: string,
  params: Record<string, unknown>,
  flags: PlanFlags,
  durable?: { execute: () => Promise<unknown>; fields: Record<string, unknown>; recordsRerun?: boolean },
): Promise<number> {
  const io = ctx.io;
  const threshold = (flags.logLevel as LogLevel | undefined) ?? 'warn';
  const offs: (() => void)[] = [];
  let human: HumanRenderer | undefined;
  if (flags.format === 'jsonl') {
    const render = (await loadJsonRenderer()).jsonlRenderer(io.out, durable?.fields);
    offs.push(runtime.events.on((event) => (event.type !== 'log' || logLevelEnabled(event.level, threshold) ? render(event) : undefined)));
  } else if (flags.format === 'human') {
    human = new HumanRenderer({
      out: io.out,
      err: io.err,
      color: flags.color ?? (io.out.isTTY === true && io.env['NO_COLOR'] === undefined),
      verbose: flags.verbose ?? false,
      stream: flags.stream ?? false,
      progress: io.err.isTTY === true,
      logLevel: flags.logLevel as LogLevel | undefined,
      plan: true,
    });
    const renderer = human;
    offs.push(runtime.events.on((event) => renderer.onEvent(event)));
  } else {
    // JSON: stdout is the plan's result only; messages and logs go to stderr (P-28).
    offs.push(
      runtime.events.on((event) => {
        if (event.type === 'message' && (event.level === 'message' || flags.verbose)) io.err.write(`${event.text}\n`);
        if (event.type === 'log' && logLevelEnabled(event.level, threshold)) io.err.write(`${event.level.toUpperCase()}: ${event.text}\n`);
      }),
    );
  }
  for (const warning of runtime.warnings) runtime.events.log('warn', warning);
  const started = performance.now();
  let planStarted = false;
  offs.push(runtime.events.on((event) => (planStarted ||= event.type === 'plan_start')));
  try {
    const value = durable !== undefined ? await durable.execute() : await runWithModes(runtime, planModes(flags, io), (stepHook) => runner.run(plan ?? name, params, { name, stepHook }));
    await recordRerun(runtime, flags, value, durable);
    if (flags.format === 'json') io.out.write(`${planResultJSON(value)}\n`);
    else if (flags.format === 'jsonl') io.out.write(`${JSON.stringify({ type: 'plan_result', time: new Date().toISOString(), ...durable?.fields, plan: name, status: 'success', value: JSON.parse(planResultJSON(value, 0)) })}\n`);
    else if (human) printHumanResult(human, io, value, performance.now() - started);
    return 0;
  } catch (error) {
    if (!isRivetError(error) && !(error instanceof Error)) throw error;
    // Bad parameters are a usage error (exit 2), as for tasks: the plan never started.
    if (!planStarted && isRivetError(error) && error.kind === 'bolt/pal-error') throw error;
    await recordRerun(runtime, flags, error, durable);
    const rivetError = toRivetError(error);
    // A bug in the plan (a plain exception): point at the plan's own line, not at Rivet's.
    const stack = error instanceof Error && rivetError.kind === ErrorKind.Exception ? error.stack : undefined;
    if (stack !== undefined) {
      rivetError.location ??= callerLocation(stack);
      if (!logLevelEnabled('debug', threshold)) rivetError.details['stack_trace'] = userStack(stack);
    }
    if (flags.format === 'json') io.out.write(`${JSON.stringify(rivetError.toJSON(), null, 2)}\n`);
    else if (flags.format === 'jsonl') io.out.write(`${JSON.stringify({ type: 'plan_result', time: new Date().toISOString(), ...durable?.fields, plan: name, status: 'failure', error: rivetError.toJSON() })}\n`);
    else if (human) {
      human.stop();
      if (isRunFailure(error)) for (const result of error.resultSet.errorSet) io.out.write(`${human.formatResult(result.toJSON())}\n`);
      const where = rivetError.location ? ` (${rivetError.location.file}:${rivetError.location.line})` : '';
      const errorClass = stack !== undefined && (error as Error).name !== 'Error' ? `${(error as Error).name}: ` : '';
      io.err.write(`Error: ${errorClass}${rivetError.message}${rivetError.message.includes(where) ? '' : where}\n`);
      if (stack !== undefined) io.err.write(`${stackForAuthor(stack, threshold)}\n`);
    }
    return 1;
  } finally {
    human?.stop();
    for (const off of offs) off();
  }
}

/**
 * Records a plan run's outcome for `--rerun` (I-18): not with `--no-save-rerun` or
 * `save-rerun: false`, not for `--preview` or `--replay` (no target was contacted), and not for a
 * durable resume or retry.
 */
async function recordRerun(runtime: CreatedRuntime, flags: PlanFlags, outcome: unknown, durable: { recordsRerun?: boolean } | undefined): Promise<void> {
  if (flags.saveRerun === false || runtime.project.config['save-rerun'] === false) return;
  if (flags.preview === true || flags.replay !== undefined || (durable !== undefined && durable.recordsRerun !== true)) return;
  const problem = await savePlanRerun(runtime.project.dir, outcome, durable !== undefined);
  if (problem !== undefined) runtime.events.log('warn', problem);
}

/** The plan's own frames; Rivet's, commander's and Node's too with `--log-level debug` (or trace). */
function stackForAuthor(stack: string, threshold: LogLevel): string {
  const full = logLevelEnabled('debug', threshold);
  const text = full ? stack : userStack(stack);
  const frames = text.split('\n').filter((l) => /^\s+at /.test(l));
  const hint = full ? '' : '\n  (Rivet\'s own frames are hidden; --log-level debug shows them)';
  return frames.length > 0 ? `${frames.join('\n')}${hint}` : hint.slice(1);
}

/** `--preview`, `--record FILE`, `--replay FILE`, paths from the working directory. */
function planModes(flags: PlanFlags, io: CliIO): PlanRunModes & { replay?: string | undefined } {
  return { preview: flags.preview, record: flags.record === undefined ? undefined : resolve(io.cwd, flags.record), replay: flags.replay === undefined ? undefined : resolve(io.cwd, flags.replay) };
}

function printHumanResult(human: HumanRenderer, io: CliIO, value: unknown, elapsedMs: number): void {
  human.stop();
  if (value === undefined || value === null) {
    io.out.write('Plan completed successfully with no result\n');
  } else if (value instanceof ResultSet) {
    for (const result of value) io.out.write(`${human.formatResult(result.toJSON())}\n`);
    human.summary(value, elapsedMs);
  } else if (typeof value === 'string') {
    io.out.write(`${value}\n`);
  } else {
    io.out.write(`${planResultJSON(value)}\n`);
  }
}

export async function makeRunner(ctx: CliContext, flags: PlanFlags): Promise<{ runtime: CreatedRuntime; runner: PlanRunner }> {
  const runtime = await runtimeFromFlags(flags, ctx.io, ctx.signal);
  ctx.onRuntime(runtime);
  const runner = new PlanRunner(runtime, {
    prompt: terminalPrompt(ctx.io),
    env: ctx.io.env,
    signal: ctx.signal,
    stepTimeoutMs: flags.timeout === undefined ? undefined : Math.round(flags.timeout * 1000),
    stream: flags.stream,
  });
  return { runtime, runner };
}

function planRunCommand(ctx: CliContext, name: string, description: string, direct?: AnyPlan): Command {
  const run = new Command(name).description(description);
  if (!direct) run.argument('<plan>', 'plan name, e.g. site::deploy');
  run.argument('[params...]', 'plan parameters as key=value (values are JSON when they fit the declared type)');
  addRunFlags(run, { rerun: true })
    .option('--params <json>', 'plan parameters as a JSON object, @file or - for stdin')
    .option('--typecheck', "type-check the plan against the project's generated types before running it (needs typescript in the project; default: the project's 'typecheck' setting)")
    .option('--no-typecheck', "do not type-check, whatever the project's 'typecheck' setting says")
    .option('--preview', 'show what each step would run where, running nothing and contacting no target (steps are assumed to succeed)')
    .option('--record <file>', "write every step's inputs and results (secrets redacted) to a JSON recording")
    .option('--replay <file>', 'run the plan against a recording instead of targets; fails where the plan now makes a different call')
    .option('--durable [postgres-url]', "journal every step in Postgres so the run can be resumed (URL default: the project's 'durable' setting, then RIVET_DURABLE_URL); see docs/durable.md")
    .option('--workers', "with --durable: run each step's targets on `rivet worker` processes, in batches, instead of in this process")
    .addOption(new Option('--batch-size <n>', 'with --durable: targets per batch (default 500; with --workers 100)').argParser((v) => positiveCount(v, '--batch-size')));
  if (direct) {
    const params = Object.entries(showParams(direct)).map(([n, p]) => `  ${n}: ${p.type}${p.default_value !== undefined ? ` (default ${JSON.stringify(p.default_value)})` : ''}${p.description ? `  ${p.description}` : ''}`);
    run.addHelpText('after', `\nPlan parameters:\n${params.length ? params.join('\n') : '  (none)'}`);
  } else {
    run.addHelpText(
      'after',
      '\nExamples:\n  rivet plan run site::deploy --targets web version=1.2\n  rivet plan run site::deploy --params \'{"targets":"web","version":"1.2"}\' --format json\n  rivet plan run site::deploy --targets web version=1.2 --preview\n  rivet plan run site::deploy --targets web version=1.2 --record run.json\n  rivet plan run site::deploy --rerun failure version=1.2\n  rivet plan run site::deploy --replay run.json\n\nrivet plan show <plan> lists its parameters.',
    );
  }
  run.action(async (...args: unknown[]) => {
    const planName = direct ? undefined : (args.shift() as string);
    const paramArgs = args[0] as string[];
    const flags = args[1] as PlanFlags;
    const { runtime, runner } = await makeRunner(ctx, flags);
    let plan: AnyPlan;
    let reported: string;
    if (direct) {
      plan = direct;
      const list = runner.list();
      reported = nameOfPlan(direct, list);
    } else {
      const loaded = await runner.load(planName!);
      plan = loaded.plan;
      reported = planName!;
    }
    if (flags.typecheck ?? runtime.project.config.typecheck === true) {
      if (plan.file === undefined) throw new UsageError(`--typecheck: the file of plan ${reported} is not known`);
      (await loadTypecheck()).typecheckPlan(plan.file, runtime.projectDir);
    }
    // Bad modes and recordings are usage errors (exit 2); a replay without parameters replays the recorded ones.
    const modes = planModes(flags, ctx.io);
    checkModes(modes);
    const recording = modes.replay === undefined ? undefined : await (await loadRecording()).readRecording(modes.replay);
    const recorded = recording !== undefined && paramArgs.length === 0 && flags.params === undefined && flags.targets === undefined && flags.rerun === undefined;
    const params = recorded ? recording.params : await planParams(plan, paramArgs, flags, ctx.io, runtime.project.dir);
    if ((flags.workers === true || flags.batchSize !== undefined) && (flags.durable === undefined || flags.durable === false)) throw new UsageError('--workers and --batch-size need --durable');
    if (flags.durable !== undefined && flags.durable !== false) {
      ctx.exitCode = await (await loadDurableRun()).runDurable(ctx, runtime, runner, plan, reported, params, flags);
      return;
    }
    ctx.exitCode = await runAndRender(ctx, runtime, runner, plan, reported, params, flags);
  });
  return run;
}

interface ShowParam {
  type: string;
  sensitive: boolean;
  default_value?: unknown;
  description?: string;
}

function showParams(plan: AnyPlan): Record<string, ShowParam> {
  const out: Record<string, ShowParam> = {};
  for (const p of normalizeParams(plan.params)) {
    const entry: ShowParam = { type: p.type ?? JSON.stringify(p.schema), sensitive: p.sensitive };
    if (p.hasDefault) entry.default_value = p.default;
    if (p.description !== undefined) entry.description = p.description;
    out[p.name] = entry;
  }
  return out;
}

async function planDetail(entry: PlanEntry): Promise<Record<string, unknown>> {
  const plan = await loadPlan(entry);
  const description = plan.description ?? null;
  return {
    name: entry.name,
    description,
    parameters: showParams(plan),
    module_dir: entry.moduleDir,
    private: plan.private,
    summary: description === null ? null : description.split('\n')[0],
    docstring: description,
  };
}

function planShowCommand(ctx: CliContext): Command {
  const show = new Command('show')
    .description('List plans, or show one plan\'s parameters')
    .argument('[plan]', 'plan name')
    .addOption(new Option('--filter <text>', 'only plans whose name contains this text ([a-z0-9_:]+)').argParser(parseFilter))
    .option('--project <dir>', 'project directory')
    .option('-m, --modulepath <paths>', 'module directories, separated by ":"')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'));
  show.action(async (name: string | undefined, flags: { filter?: string; project?: string; modulepath?: string; format: string }) => {
    const { createRuntime } = await loadCreateRuntime();
    const runtime = await createRuntime({ cwd: ctx.io.cwd, env: ctx.io.env, projectFlag: flags.project, modulepath: flags.modulepath, inventory: {} });
    ctx.onRuntime(runtime);
    printWarnings(runtime, ctx.io);
    const runner = new PlanRunner(runtime);
    if (name !== undefined) {
      const detail = await planDetail(runner.find(name));
      if (flags.format === 'json') ctx.io.out.write(`${JSON.stringify(detail, null, 2)}\n`);
      else ctx.io.out.write(humanDetail(detail));
      return;
    }
    const rows: [string, string?][] = [];
    // The project's `plans:` allow-list (Bolt's PAL#filter_content), then --filter.
    const { filterByAllowList } = await loadAllowList();
    for (const entry of filterByAllowList(runner.list(), runtime.project.config.plans, (e) => e.name)) {
      if (flags.filter !== undefined && !entry.name.includes(flags.filter)) continue;
      try {
        const plan = await loadPlan(entry);
        if (plan.private) continue;
        rows.push(plan.description === undefined ? [entry.name] : [entry.name, plan.description.split('\n')[0]!]);
      } catch (error) {
        runtime.events.log('warn', (error as Error).message);
        ctx.io.err.write(`Warning: ${(error as Error).message}\n`);
        rows.push([entry.name]);
      }
    }
    if (flags.format === 'json') {
      ctx.io.out.write(`${JSON.stringify({ plans: rows, modulepath: runtime.modulepath }, null, 2)}\n`);
      return;
    }
    const width = Math.max(0, ...rows.map((r) => r[0].length));
    ctx.io.out.write(rows.length ? rows.map(([n, d]) => (d ? `${n.padEnd(width)}  ${d}` : n)).join('\n') + '\n' : 'No plans found.\n');
    ctx.io.out.write(`\nMODULEPATH\n${runtime.modulepath.join(':')}\n\nUse 'rivet plan show <plan>' to view details and parameters for a specific plan.\n`);
  });
  return show;
}

function humanDetail(detail: Record<string, unknown>): string {
  const params = detail['parameters'] as Record<string, ShowParam>;
  const required = Object.entries(params).filter(([, p]) => p.default_value === undefined && !/^Optional\[/.test(p.type));
  const optional = Object.entries(params).filter(([n]) => !required.some(([r]) => r === n));
  const usage = [
    `rivet plan run ${String(detail['name'])}`,
    ...required.map(([n]) => (n === 'targets' ? '--targets <targets>' : `${n}=<value>`)),
    ...optional.map(([n]) => (n === 'targets' ? '[--targets <targets>]' : `[${n}=<value>]`)),
  ].join(' ');
  const lines = [String(detail['name']), ''];
  if (detail['description']) lines.push(String(detail['description']), '');
  lines.push('USAGE', `  ${usage}`, '');
  if (Object.keys(params).length) {
    lines.push('PARAMETERS');
    for (const [n, p] of Object.entries(params)) {
      lines.push(`  - ${n}: ${p.type}${p.sensitive ? ' (sensitive)' : ''}`);
      if (p.description) lines.push(`      ${p.description}`);
      if (p.default_value !== undefined) lines.push(`      Default: ${JSON.stringify(p.default_value)}`);
    }
    lines.push('');
  }
  lines.push('MODULE', `  ${String(detail['module_dir'])}`, '');
  return lines.join('\n');
}

/**
 * `rivet plan`: run and show here; convert and the durable subcommands come from their own modules,
 * loaded only with the `plan` group (a plan file run directly needs {@link directPlanProgram} only).
 */
export function planCommand(ctx: CliContext, more: readonly Command[] = []): Command {
  const cmd = new Command('plan').description('Run TypeScript and Bolt plans, list and show them, or convert Bolt plans to TypeScript');
  cmd.addCommand(planRunCommand(ctx, 'run', 'Run a plan'));
  cmd.addCommand(planShowCommand(ctx));
  for (const sub of more) cmd.addCommand(sub);
  return cmd;
}

/**
 * `rivet plan run` for one plan object, with argv as given after the plan file
 * (`npx tsx plans/deploy.ts --targets web version=1.2`): same flags, output and exit codes.
 */
export function directPlanProgram(ctx: CliContext, plan: AnyPlan): Command {
  const file = plan.file ?? 'plan';
  return planRunCommand(ctx, file.split('/').pop() ?? 'plan', plan.description ?? 'Run this plan', plan);
}
