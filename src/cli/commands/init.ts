/**
 * `rivet init [dir]` (Bolt's `bolt project init`): writes a working project into `dir` (default the
 * current directory; made if missing): package.json, tsconfig.json, rivet-project.yaml,
 * inventory.yaml with `localhost`, one module with a typed task, a typed plan that runs it, and the
 * task types (`.rivet/tasks.gen.ts`, what `rivet types` writes). It never overwrites: when any of
 * those files exists it writes nothing and exits 2, and a failure halfway removes what it wrote.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, relative, resolve, sep } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_OUT_FILE, generateTaskTypes } from '../../codegen/index.ts';
import { RivetError, ErrorKind, UsageError } from '../../core/errors.ts';
import { findProject } from '../../runtime/project.ts';
import { initProjectName, packageNameFor } from '../init/names.ts';
import { SDK_PACKAGE, examplePlan, exampleModule, projectFiles, type InitFile } from '../init/templates.ts';
import { NewFiles, existingPaths } from '../init/write.ts';
import type { CliContext } from '../context.ts';
import { typesOptions } from './types.ts';

interface RivetPackage {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Ranges used when Rivet's own package.json does not name a package (it always should). */
const FALLBACK_RANGES: Readonly<Record<string, string>> = { tsx: '^4.20.0', typescript: '~5.9.3', '@types/node': '^20.19.0' };

/**
 * The devDependencies of a new project: the running Rivet as `rivetops@^<version>`, and tsx,
 * typescript and @types/node in the ranges Rivet itself uses.
 *
 * @example
 * ```ts
 * initDevDependencies(); // { rivetops: '^0.1.0', tsx: '^4.20.0', typescript: '~5.9.3', '@types/node': '^20.19.0' }
 * ```
 */
export function initDevDependencies(pkg: RivetPackage = rivetPackage()): Record<string, string> {
  const range = (name: string): string => pkg.dependencies?.[name] ?? pkg.devDependencies?.[name] ?? pkg.peerDependencies?.[name] ?? FALLBACK_RANGES[name]!;
  return { [SDK_PACKAGE]: `^${pkg.version}`, tsx: range('tsx'), typescript: range('typescript'), '@types/node': range('@types/node') };
}

function rivetPackage(): RivetPackage {
  return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as RivetPackage;
}

/** A path for the user to type: relative to the cwd when below it, quoted for the shell when needed. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  const text = rel === '' ? '.' : rel.startsWith('..') ? path : rel;
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function listing(files: readonly Pick<InitFile, 'path' | 'about'>[]): string {
  const width = Math.max(...files.map((f) => f.path.length));
  return files.map((f) => `  ${f.path.padEnd(width)}  ${f.about}`).join('\n');
}

export function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .description('Create a project: package.json, tsconfig.json, project file, inventory, an example task and plan')
    .argument('[dir]', 'directory of the new project (default: the current directory; made if missing)')
    .option('--name <name>', 'project name: lowercase letters, digits and _, starting with a letter (default: from the directory name)')
    .addHelpText(
      'after',
      '\nNothing is overwritten: when any of the files exists, nothing is written.\n\nExamples:\n  rivet init\n  rivet init my-infra\n  rivet init my-infra --name infra',
    )
    .action(async (dirArg: string | undefined, flags: { name?: string }) => {
      const io = ctx.io;
      const dir = resolve(io.cwd, dirArg ?? '.');
      const info = await stat(dir).catch(() => undefined);
      if (info !== undefined && !info.isDirectory()) throw new UsageError(`Cannot create a project in ${dir}: it is a file, not a directory`);

      const projectName = initProjectName(flags.name, basename(dir));
      const files = projectFiles({ projectName, packageName: packageNameFor(basename(dir), projectName), devDependencies: initDevDependencies() });
      const typesFile = DEFAULT_OUT_FILE.split(sep).join('/');
      const existing = await existingPaths(dir, [...files.map((f) => f.path), typesFile]);
      if (existing.length > 0) {
        throw new UsageError(
          `Cannot create a project in ${dir}: ${existing.length === 1 ? 'this file exists' : 'these files exist'} and rivet init never overwrites:\n${existing.map((p) => `  ${p}`).join('\n')}\nNothing was written. Move ${existing.length === 1 ? 'it' : 'them'} away, or pass another directory.`,
        );
      }

      const written = new NewFiles(dir);
      let counts: { tasks: number; plans: number };
      try {
        for (const file of files) await written.write(file.path, file.content, { executable: file.executable });
        // What `rivet types` does, for the SDK package the plan imports.
        const project = findProject({ cwd: dir, projectFlag: dir });
        const generated = await generateTaskTypes({ ...typesOptions(project), sdkModule: SDK_PACKAGE });
        const errors = generated.problems.filter((p) => p.severity === 'error');
        if (errors.length > 0) {
          throw new RivetError(ErrorKind.Generic, `Generating the task types failed: ${errors.map((p) => `${p.file ?? p.task}: ${p.message}`).join('; ')}`);
        }
        await written.write(relative(dir, generated.path), generated.content);
        counts = generated.counts;
      } catch (error) {
        await written.rollback();
        throw error;
      }

      const plan = examplePlan(projectName);
      const module = exampleModule(projectName);
      const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
      const into = shown(io.cwd, dir);
      const steps: [string, string][] = [
        ...(into === '.' ? [] : [[`cd ${into}`, ''] as [string, string]]),
        // rivetops is not on the npm registry yet: a plain `npm install` would fail with a 404.
        [`npm install <path>/rivetops-${rivetPackage().version}.tgz`, 'the tarball `npm pack` made (README: "Install")'],
        [`npx rivet plan run ${plan} name=Ada`, 'run the example plan on localhost'],
        ['npx tsx plans/hello.ts name=Ada', 'the same, started from the plan file'],
        [`npx rivet task run ${module}::greet name=Ada -t localhost`, 'just the task'],
        ['npm run typecheck', 'type-check the plans against the task types'],
        ['npx rivet types', 'after adding or changing tasks or plans'],
      ];
      const width = Math.max(...steps.map(([command]) => command.length));
      io.out.write(
        [
          `Created the Rivet project '${projectName}' in ${into === '.' ? 'the current directory' : into}:`,
          listing([...files, { path: typesFile, about: `types of ${plural(counts.tasks, 'task')} and ${plural(counts.plans, 'plan')} for runTask/runPlan (rivet types)` }]),
          '',
          'Next steps:',
          ...steps.map(([command, why]) => (why === '' ? `  ${command}` : `  ${command.padEnd(width)}  # ${why}`)),
          '',
        ].join('\n'),
      );
    });
}
