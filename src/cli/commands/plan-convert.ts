/**
 * `rivet plan convert <plan name | file.pp | file.yaml> [--out file.ts]`: a Bolt plan as a
 * TypeScript plan (`src/plan-convert`). Prints the TypeScript (or writes it with `--out`) and
 * lists every construct left as a `// TODO` with its file and line; exits 1 when there is one,
 * unless `--allow-todo`.
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import type { CliContext } from '../context.ts';

interface ConvertFlags {
  out?: string;
  allowTodo?: boolean;
  force?: boolean;
  project?: string;
  modulepath?: string;
}

export function planConvertCommand(ctx: CliContext): Command {
  return new Command('convert')
    .description('Translate a Bolt plan (.pp or .yaml) into a TypeScript plan')
    .argument('<plan>', 'a plan name, or the path of a .pp or .yaml plan file')
    .option('-o, --out <file>', 'write the TypeScript plan to this file (default: print it)')
    .option('--allow-todo', 'exit 0 even when constructs were left as // TODO comments')
    .option('--force', 'overwrite the --out file if it exists')
    .option('--project <dir>', 'project directory')
    .option('-m, --modulepath <paths>', 'module directories, separated by ":"')
    .addHelpText('after', '\nExamples:\n  rivet plan convert mymod::deploy --out plans/deploy.ts\n  rivet plan convert modules/mymod/plans/deploy.pp\n  rivet plan convert plans/setup.yaml --allow-todo')
    .action(async (plan: string, flags: ConvertFlags) => {
      ctx.exitCode = await convert(ctx, plan, flags);
    });
}

async function convert(ctx: CliContext, plan: string, flags: ConvertFlags): Promise<number> {
  const { convertPlanFile, todoReport } = await import('../../plan-convert/index.ts');
  let file: string;
  let name: string | undefined;
  if (/\.(pp|ya?ml)$/.test(plan)) {
    file = resolve(ctx.io.cwd, plan);
    if (!existsSync(file)) throw new UsageError(`The plan file '${plan}' does not exist`);
  } else {
    const { createRuntime } = await import('../../runtime/create.ts');
    const { PlanRunner } = await import('../../runtime/plans/index.ts');
    const runtime = await createRuntime({ cwd: ctx.io.cwd, env: ctx.io.env, projectFlag: flags.project, modulepath: flags.modulepath, inventory: {} });
    ctx.onRuntime(runtime);
    const entry = new PlanRunner(runtime).find(plan);
    if (!/\.(pp|ya?ml)$/.test(entry.file)) throw new UsageError(`The plan ${plan} is already a TypeScript plan (${entry.file})`);
    file = entry.file;
    name = entry.name;
  }
  const shown = relative(ctx.io.cwd, file) || file;
  const result = await convertPlanFile(file, { name, displayFile: shown.startsWith('..') ? file : shown });
  if (flags.out !== undefined) {
    const out = resolve(ctx.io.cwd, flags.out);
    if (!existsSync(dirname(out))) throw new UsageError(`--out ${flags.out}: the directory ${dirname(out)} does not exist`);
    if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`--out ${flags.out} is a directory; name the .ts file to write`);
    if (existsSync(out) && flags.force !== true) throw new UsageError(`${flags.out} exists; pass --force to overwrite it`);
    const temp = `${out}.${process.pid}.tmp`;
    try {
      await writeFile(temp, result.code);
      await rename(temp, out);
    } catch (error) {
      await rm(temp, { force: true });
      throw new UsageError(`--out ${flags.out}: cannot write it: ${(error as Error).message}`);
    }
    ctx.io.err.write(`Wrote ${flags.out} (plan ${result.name}).\n`);
  } else {
    ctx.io.out.write(result.code);
  }
  if (result.todos.length === 0) return 0;
  ctx.io.err.write(`${result.todos.length} construct${result.todos.length === 1 ? ' was' : 's were'} left as // TODO comments:\n${todoReport(result.todos)}\n`);
  if (flags.allowTodo === true) return 0;
  ctx.io.err.write('Translate them by hand, or pass --allow-todo to accept the output as it is.\n');
  return 1;
}
