/**
 * `task run` and `task show` (C-07, C-08, C-11).
 *
 * @module
 */
import { Command, Option } from 'commander';
import { createRuntime } from '../../runtime/create.ts';
import { filterByAllowList } from '../../runtime/allow-list.ts';
import { BUILTIN_MODULES_DIR, isBuiltinTask } from '../../runtime/task-catalog.ts';
import type { TaskDefinition } from '../../runtime/tasks/discovery.ts';
import { taskShowData } from '../../runtime/tasks/discovery.ts';
import { parseCliParams } from '../../runtime/tasks/params.ts';
import { addRunFlags, parseFilter, prepareRun, printWarnings, readArgument, renderStep, timeoutMs, type GlobalFlags } from '../common.ts';
import type { CliContext } from '../context.ts';
import type { CliIO } from '../render/writer.ts';

/** `--params` takes JSON, `@file` or `-` (stdin). */
export function paramsJsonArg(value: string | undefined, io: CliIO): Promise<string | undefined> {
  return value === undefined ? Promise.resolve(undefined) : readArgument(value, io, '--params');
}

export function taskCommand(ctx: CliContext): Command {
  const cmd = new Command('task').description('Run Bolt tasks and show what tasks there are');

  const run = new Command('run')
    .description('Run a task on targets (parameters as name=value, or --params)')
    .argument('<task>', 'task name, e.g. package or mymodule::deploy')
    .argument('[parameters...]', 'parameters as name=value (values are JSON when that fits the declared type)')
    .option('--params <json>', 'parameters as a JSON object, @file, or - for stdin')
    .option('--noop', 'run in no-operation mode (only tasks that support it)')
    .addHelpText('after', '\nExamples:\n  rivet task run package action=status name=openssl --targets web\n  rivet task run mymod::deploy --params @params.json -t web --noop');
  addRunFlags(run, { rerun: true }).action(async (name: string, pairs: string[], flags: GlobalFlags & { params?: string; noop?: boolean }) => {
    const paramsJson = await paramsJsonArg(flags.params, ctx.io);
    const { runtime, targets } = await prepareRun(flags, ctx);
    const task = await runtime.tasks.loadToRun(name);
    const params = parseCliParams(pairs, paramsJson, task.metadata.parameters);
    ctx.exitCode = await renderStep(flags, ctx.io, runtime, () =>
      runtime.runTask(task.name, targets, params, { noop: flags.noop, timeoutMs: timeoutMs(flags), stream: flags.stream }),
    );
  });

  const show = new Command('show')
    .description('List tasks, or show one task with its parameters')
    .argument('[task]', 'the task to show')
    .addOption(new Option('--filter <text>', 'only tasks whose name contains this ([a-z0-9_:]+)').argParser(parseFilter))
    .option('--project <dir>', 'project directory')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'))
    .addHelpText('after', '\nExamples:\n  rivet task show\n  rivet task show package --format json');
  show.action(async (name: string | undefined, flags: { filter?: string; project?: string; format: string }) => {
    const runtime = await createRuntime({ cwd: ctx.io.cwd, env: ctx.io.env, projectFlag: flags.project, signal: ctx.signal });
    ctx.onRuntime(runtime);
    printWarnings(runtime, ctx.io);
    if (name !== undefined) {
      const task = await runtime.tasks.load(name);
      ctx.io.out.write(flags.format === 'json' ? `${JSON.stringify(taskShowData(task, { builtinModulesDir: BUILTIN_MODULES_DIR }), null, 2)}\n` : describeTask(task));
    } else {
      const { builtin, ...list } = await runtime.tasks.list();
      // The project's `tasks:` allow-list (Bolt's PAL#filter_content), then --filter.
      list.tasks = filterByAllowList(list.tasks, runtime.project.config.tasks, ([n]) => n);
      if (flags.filter !== undefined) list.tasks = list.tasks.filter(([n]) => n.includes(flags.filter!));
      if (flags.format === 'json') {
        ctx.io.out.write(`${JSON.stringify(list, null, 2)}\n`);
      } else {
        const shown = list.tasks.map(([n, d]): [string, string | null] => [builtin.includes(n) ? `${n} (built in)` : n, d]);
        const width = Math.max(0, ...shown.map(([n]) => n.length));
        const rows = shown.map(([n, d]) => `  ${n.padEnd(width)}  ${d ?? ''}`.trimEnd());
        ctx.io.out.write(`Tasks\n${rows.join('\n') || '  (none)'}\n\nModulepath\n  ${list.modulepath.join('\n  ')}\n\nUse \`rivet task show <task>\` to see a task's parameters.\n`);
      }
    }
    ctx.exitCode = 0;
  });

  return cmd.addCommand(run).addCommand(show);
}

/** C-11's human detail: name, description, usage, parameters, module. */
function describeTask(task: TaskDefinition): string {
  const parameters = task.metadata.parameters ?? {};
  const entries = Object.entries(parameters);
  const usage = ['rivet task run', task.name, '--targets <targets>'];
  if (task.metadata.supports_noop) usage.push('[--noop]');
  for (const [param, spec] of entries) {
    const optional = spec.default !== undefined || /^Optional\[/.test(spec.type ?? '');
    usage.push(optional ? `[${param}=<value>]` : `${param}=<value>`);
  }
  const lines = [task.name, ''];
  if (task.metadata.description) lines.push(`  ${task.metadata.description}`, '');
  lines.push('Usage', `  ${usage.join(' ')}`, '');
  if (entries.length > 0) {
    lines.push('Parameters');
    for (const [param, spec] of entries) {
      lines.push(`  ${param}  ${spec.type ?? 'Any'}${spec.sensitive ? ' (sensitive)' : ''}`);
      if (spec.description) lines.push(`    ${spec.description}`);
      if (spec.default !== undefined) lines.push(`    Default: ${JSON.stringify(spec.default)}`);
    }
    lines.push('');
  }
  lines.push('Module', `  ${isBuiltinTask(task) ? 'built-in module' : task.moduleDir}`, '');
  return `${lines.join('\n')}`;
}
