/**
 * `rivet types`: generate `.rivet/tasks.gen.ts` (task and plan types for `runTask`, `runTaskWith`
 * and `runPlan`) from the project's modulepath; `--check` for CI drift, `--watch` while editing.
 *
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { diffLines } from '../../codegen/diff.ts';
import { DEFAULT_OUT_FILE, generateTaskTypes, type GenerateOptions, type Generated, type Problem } from '../../codegen/index.ts';
import { findProject, type Project } from '../../runtime/project.ts';
import { BUILTIN_MODULES_DIR } from '../../runtime/task-catalog.ts';
import type { CliContext } from '../context.ts';
import type { CliIO } from '../render/writer.ts';

/** Quiet time after the last change before `--watch` regenerates. */
const WATCH_DEBOUNCE_MS = 150;

/**
 * What `rivet types` generates from for a project: its modulepath plus Rivet's built-in modules
 * (what `runTask` searches), its plans, output `.rivet/tasks.gen.ts` in the project directory.
 */
export function typesOptions(project: Pick<Project, 'dir' | 'name' | 'modulepath'> & Partial<Pick<Project, 'config'>>, outFile?: string): GenerateOptions {
  return {
    projectDir: project.dir,
    projectName: project.name,
    modulepath: project.modulepath,
    builtinModulesDir: BUILTIN_MODULES_DIR,
    outFile: outFile ?? DEFAULT_OUT_FILE,
    // The project's allow-lists limit what is typed, as they limit `task show`/`plan show`.
    allowedTasks: project.config?.tasks,
    allowedPlans: project.config?.plans,
  };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function reportProblems(problems: readonly Problem[], io: CliIO): void {
  for (const p of problems) {
    // Load errors already name the file and key in their message.
    const where = p.message.includes(': ') && p.file !== undefined && p.message.startsWith(p.file) ? '' : `${p.file ?? p.task}: ${p.key === '' ? '' : `${p.key}: `}`;
    io.err.write(`${p.severity === 'error' ? 'Error' : 'Warning'}: ${where}${p.message}${p.severity === 'error' ? ` (task ${p.task} is left out of the types)` : ''}\n`);
  }
}

function summary(generated: Generated): string {
  const { tasks, plans } = generated.counts;
  return `${tasks} task${tasks === 1 ? '' : 's'}, ${plans} plan${plans === 1 ? '' : 's'}`;
}

/**
 * A hint when the project's tsconfig.json does not seem to include the generated file. A directory
 * starting with a dot is not matched by `"include": ["."]` or `"**"`: it must be named (`.rivet/*.ts`).
 */
async function tsconfigHint(projectDir: string, path: string): Promise<string | undefined> {
  const tsconfig = await readIfExists(resolve(projectDir, 'tsconfig.json'));
  const rel = relative(projectDir, path).split(/[\\/]/);
  const pattern = rel.length > 1 ? `${rel.slice(0, -1).join('/')}/*.ts` : rel.join('/');
  if (tsconfig === undefined) return `Note: add "${pattern}" to the "include" of your tsconfig.json so TypeScript sees the types.`;
  if (!tsconfig.includes(rel[0] ?? pattern)) return `Note: tsconfig.json does not include "${pattern}": add it to "include" so TypeScript sees the types.`;
  return undefined;
}

async function generateOnce(options: GenerateOptions, io: CliIO, mode: 'write' | 'check'): Promise<{ code: number; generated: Generated }> {
  const generated = await generateTaskTypes(options);
  reportProblems(generated.problems, io);
  const failed = generated.problems.some((p) => p.severity === 'error') ? 1 : 0;
  const shown = relative(io.cwd, generated.path) || generated.path;
  const current = await readIfExists(generated.path);
  if (mode === 'check') {
    if (current === generated.content) {
      io.out.write(`${shown} is up to date (${summary(generated)}).\n`);
      return { code: failed, generated };
    }
    if (current === undefined) io.err.write(`${shown} does not exist.\n`);
    else io.err.write(`${shown} is stale:\n${diffLines(current, generated.content).join('\n')}\n`);
    io.err.write('Run `npx rivet types` to regenerate it.\n');
    return { code: 1, generated };
  }
  if (current !== generated.content) {
    await mkdir(dirname(generated.path), { recursive: true });
    await writeFile(generated.path, generated.content);
    io.out.write(`Wrote ${shown} (${summary(generated)}).\n`);
  } else {
    io.out.write(`${shown} is up to date (${summary(generated)}).\n`);
  }
  return { code: failed, generated };
}

/** Regenerates whenever something changes under the directories the output depends on, until the signal aborts. */
async function watchLoop(options: GenerateOptions, ctx: CliContext, first: Generated): Promise<void> {
  const io = ctx.io;
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const outPath = first.path;
  const rewatch = async (dirs: readonly string[]) => {
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      const info = await stat(dir).catch(() => undefined);
      if (info === undefined || !info.isDirectory()) continue;
      const w = watch(dir, { recursive: true }, (_event, file) => {
        if (file !== null && resolve(dir, file.toString()) === outPath) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          running = running.then(async () => {
            try {
              const { generated } = await generateOnce(options, io, 'write');
              await rewatch(generated.dirs);
            } catch (error) {
              io.err.write(`Error: ${(error as Error).message}\n`);
            }
          });
        }, WATCH_DEBOUNCE_MS);
      });
      w.on('error', () => w.close());
      watchers.set(dir, w);
    }
  };
  await rewatch([...first.dirs, options.projectDir]);
  io.out.write(`Watching ${watchers.size} director${watchers.size === 1 ? 'y' : 'ies'} for changes to task metadata and plans (Ctrl-C to stop).\n`);
  await new Promise<void>((done) => {
    if (ctx.signal.aborted) return done();
    ctx.signal.addEventListener('abort', () => done(), { once: true });
  });
  clearTimeout(timer);
  for (const w of watchers.values()) w.close();
  await running;
}

export function typesCommand(ctx: CliContext): Command {
  return new Command('types')
    .description('Generate TypeScript types for the tasks and plans of the project (runTask/runPlan checked at compile time)')
    .option('--project <dir>', 'project directory')
    .option('--out <file>', `output file, relative to the project directory (default ${DEFAULT_OUT_FILE})`)
    .option('--check', 'do not write; exit 1 when the file is missing or stale (for CI)')
    .option('--watch', 'regenerate whenever task metadata or plans change')
    .addHelpText('after', '\nExamples:\n  rivet types\n  rivet types --check\n  rivet types --watch')
    .action(async (flags: { project?: string; out?: string; check?: boolean; watch?: boolean }) => {
      const project = findProject({ cwd: ctx.io.cwd, env: ctx.io.env, ...(flags.project === undefined ? {} : { projectFlag: flags.project }) });
      for (const w of project.warnings) ctx.io.err.write(`Warning: ${w}\n`);
      const options = typesOptions(project, flags.out);
      const { code, generated } = await generateOnce(options, ctx.io, flags.check === true ? 'check' : 'write');
      ctx.exitCode = code;
      if (flags.check !== true) {
        const hint = await tsconfigHint(project.dir, generated.path);
        if (hint !== undefined) ctx.io.err.write(`${hint}\n`);
      }
      if (flags.watch === true && flags.check !== true) await watchLoop(options, ctx, generated);
    });
}
