/**
 * Task metadata to TypeScript declarations (issue 5): the phases read → validate → normalize →
 * emit → format, one module each (see docs/ARCHITECTURE.md, "Codegen").
 *
 * The output augments the SDK's `TaskRegistry`/`PlanRegistry`, so `runTask('package', targets,
 * { action: 'install', name: 'nginx' })` is checked at compile time and the editor completes task
 * and parameter names with their descriptions.
 *
 * @example
 * ```ts
 * import { generateTaskTypes } from './codegen/index.ts';
 * const { path, content, problems } = await generateTaskTypes({ projectDir: '.', projectName: 'site', modulepath: ['modules'], builtinModulesDir });
 * await writeFile(path, content);
 * ```
 * @module
 */
import { dirname, join, relative, resolve, sep } from 'node:path';
import { emitDeclarations, type EmitOptions } from './emit.ts';
import { formatSource } from './format.ts';
import { taskToIR, type PlanIR } from './ir.ts';
import { readTasks, type PlanSource, type ReadOptions, type TaskSource } from './read.ts';
import { validateTasks, type Problem } from './validate.ts';

export type { Problem } from './validate.ts';
export type { ReadOptions, TaskSource, PlanSource } from './read.ts';
export { readTasks, readMetadataText, readPlans } from './read.ts';
export { validateTasks } from './validate.ts';
export { taskToIR, fromPuppet, fromPuppetLossy, fromJsonSchema, accepts, type TsType, type TaskIR, type PlanIR } from './ir.ts';
export { emitDeclarations, printType, type EmitOptions } from './emit.ts';
export { formatSource } from './format.ts';

/** Where the declarations go, relative to the project directory. */
export const DEFAULT_OUT_FILE = join('.rivet', 'tasks.gen.ts');

export interface GenerateOptions extends ReadOptions {
  /** The output file (default `<projectDir>/.rivet/tasks.gen.ts`). */
  outFile?: string | undefined;
  /** Also type `runPlan(name)` from the project's plan files (default true). */
  plans?: boolean | undefined;
  /** The module specifier of the SDK (default 'rivetops'). */
  sdkModule?: string | undefined;
}

export interface Generated {
  /** Absolute path of the file to write. */
  path: string;
  content: string;
  /** Load errors and validation problems; tasks with errors are left out of `content`. */
  problems: Problem[];
  /** Directories the output depends on (for `--watch`). */
  dirs: string[];
  /** How many tasks and plans the file types. */
  counts: { tasks: number; plans: number };
}

/** A module specifier for `file`, relative to the directory of `from` (`../plans/deploy.ts`). */
function specifier(from: string, file: string): string {
  const rel = relative(dirname(from), file).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * Declarations for tasks and plans already read (phases 2 to 5): pure, no I/O.
 *
 * @example
 * ```ts
 * const { content } = generateFromSources([readMetadataText('golden::x', text)], [], { projectDir: '/p', outFile: '/p/x.gen.ts' });
 * ```
 */
export function generateFromSources(
  tasks: readonly TaskSource[],
  plans: readonly PlanSource[],
  options: { projectDir: string; outFile: string; sdkModule?: string | undefined; generator?: string | undefined },
): { content: string; problems: Problem[]; counts: { tasks: number; plans: number } } {
  const problems = validateTasks(tasks);
  const broken = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.task));
  const taskIR = tasks.filter((t) => !broken.has(t.name)).map(taskToIR);
  const planIR: PlanIR[] = plans.map((p) => ({
    name: p.name,
    importPath: specifier(options.outFile, p.path),
    source: relative(options.projectDir, p.path).split(sep).join('/'),
    boltParams: p.boltParams,
  }));
  const emit: EmitOptions = {};
  if (options.sdkModule !== undefined) emit.sdkModule = options.sdkModule;
  if (options.generator !== undefined) emit.generator = options.generator;
  return { content: formatSource(emitDeclarations(taskIR, planIR, emit)), problems, counts: { tasks: taskIR.length, plans: planIR.length } };
}

/**
 * Reads the project's tasks (and plans) and generates the declarations file's content. Does not
 * write it: the CLI does (or compares, for `--check`).
 *
 * @example
 * ```ts
 * const out = await generateTaskTypes({ projectDir: '/p', projectName: 'site', modulepath: ['/p/modules', '/p/.modules'], builtinModulesDir: BUILTIN_MODULES_DIR });
 * out.path; // '/p/.rivet/tasks.gen.ts'
 * ```
 */
export async function generateTaskTypes(options: GenerateOptions): Promise<Generated> {
  const projectDir = resolve(options.projectDir);
  const path = resolve(projectDir, options.outFile ?? DEFAULT_OUT_FILE);
  const read = await readTasks({ ...options, projectDir });
  const loadProblems: Problem[] = read.errors.map(({ task, error }) => ({
    severity: 'error',
    task,
    file: typeof error.details['file'] === 'string' ? error.details['file'] : undefined,
    key: typeof error.details['key'] === 'string' ? error.details['key'] : '',
    message: error.message,
  }));
  const { content, problems, counts } = generateFromSources(read.tasks, options.plans === false ? [] : read.plans, { projectDir, outFile: path, sdkModule: options.sdkModule });
  return { path, content, problems: [...loadProblems, ...problems], dirs: read.dirs, counts };
}
