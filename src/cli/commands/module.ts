/**
 * `rivet module add|install|show` (I-24, Bolt's `bolt module`): install Forge, git and local
 * modules into `.modules` with a lock, and list what is on the modulepath. Installing regenerates
 * the project's task types, as `rivet types` does.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { Command, Option } from 'commander';
import { generateTaskTypes } from '../../codegen/index.ts';
import { installModules, moduleInfo, moduleList, type InstallReport, type ModuleInfo } from '../../runtime/modules/index.ts';
import { findProject, type Project } from '../../runtime/project.ts';
import { BUILTIN_MODULES_DIR } from '../../runtime/task-catalog.ts';
import type { CliContext } from '../context.ts';
import { typesOptions } from './types.ts';

function projectFor(ctx: CliContext, flag: string | undefined): Project {
  const project = findProject({ cwd: ctx.io.cwd, env: ctx.io.env, ...(flag === undefined ? {} : { projectFlag: flag }) });
  for (const w of project.warnings) ctx.io.err.write(`Warning: ${w}\n`);
  return project;
}

/** Regenerates `.rivet/tasks.gen.ts` (written only when it changes). */
async function regenerateTypes(ctx: CliContext, flag: string | undefined): Promise<void> {
  // Found again: npm modules or the new .modules change the modulepath.
  const project = findProject({ cwd: ctx.io.cwd, env: ctx.io.env, ...(flag === undefined ? {} : { projectFlag: flag }) });
  const generated = await generateTaskTypes(typesOptions(project));
  const current = await readFile(generated.path, 'utf8').catch(() => undefined);
  const shown = relative(ctx.io.cwd, generated.path) || generated.path;
  if (current === generated.content) return;
  await mkdir(dirname(generated.path), { recursive: true });
  await writeFile(generated.path, generated.content);
  ctx.io.out.write(`Wrote ${shown} (${generated.counts.tasks} tasks, ${generated.counts.plans} plans).\n`);
}

function reportInstall(ctx: CliContext, report: InstallReport): void {
  for (const w of report.warnings) ctx.io.err.write(`Warning: ${w}\n`);
  const lock = relative(ctx.io.cwd, report.lockPath) || report.lockPath;
  const dir = relative(ctx.io.cwd, report.modulesDir) || report.modulesDir;
  if (report.upToDate) {
    ctx.io.out.write(`Modules are up to date: ${report.modules.length} in ${dir}, as ${lock} says.\n`);
    return;
  }
  for (const name of report.removed) ctx.io.out.write(`Removed ${name}\n`);
  const changed = new Set(report.changed);
  for (const m of report.modules) {
    if (!changed.has(m.dir)) continue;
    const what = m.source === 'forge' ? `${m.name} ${m.version}` : m.source === 'git' ? `${m.name} ${m.commit.slice(0, 12)} (${m.ref})` : `${m.name} from ${m.path}`;
    ctx.io.out.write(`Installed ${what}\n`);
  }
  ctx.io.out.write(`Installed ${report.modules.length} module${report.modules.length === 1 ? '' : 's'} into ${dir} and wrote ${lock}.\n`);
}

function printInfo(ctx: CliContext, info: ModuleInfo): void {
  const meta = info.metadata;
  const lines = [info.name];
  if (typeof meta['version'] === 'string') lines.push(`  version: ${meta['version']}`);
  if (typeof meta['summary'] === 'string') lines.push(`  ${meta['summary']}`);
  lines.push(`  path: ${info.path}`);
  if (info.source !== undefined) {
    const s = info.source;
    lines.push(`  installed from: ${s.source === 'forge' ? `the Forge, ${s.file} (sha256 ${s.sha256})` : s.source === 'git' ? `${s.git} ${s.ref} (commit ${s.commit})` : s.path}`);
  }
  const deps = Array.isArray(meta['dependencies']) ? (meta['dependencies'] as { name?: unknown; version_requirement?: unknown }[]) : [];
  if (deps.length > 0) lines.push('  dependencies:', ...deps.map((d) => `    ${String(d.name)} ${typeof d.version_requirement === 'string' ? d.version_requirement : ''}`.trimEnd()));
  lines.push(`  tasks: ${info.tasks.join(', ') || 'none'}`, `  plans: ${info.plans.join(', ') || 'none'}`);
  ctx.io.out.write(`${lines.join('\n')}\n`);
}

export function moduleCommand(ctx: CliContext): Command {
  const module = new Command('module').description('Install and list modules (Forge, git, local and npm) for the project');

  const install = async (flags: { project?: string; force?: boolean; resolve?: boolean }, add?: string): Promise<void> => {
    const project = projectFor(ctx, flags.project);
    // The heading is printed with the first progress line: a project with nothing to install prints only Bolt's one line.
    let headed = false;
    const heading = () => {
      if (!headed) ctx.io.out.write(add === undefined ? 'Installing project modules\n' : `Adding module ${add} to the project\n`);
      headed = true;
    };
    const report = await installModules({
      project,
      ...(flags.force === true ? { force: true } : {}),
      ...(flags.resolve === false ? { resolve: false } : {}),
      ...(add === undefined ? {} : { add }),
      signal: ctx.signal,
      onProgress: (line) => {
        heading();
        ctx.io.out.write(`  ${line}\n`);
      },
    });
    if (report.noDependencies === true) {
      // Bolt 3.30's message and exit 0 (lib/bolt/application.rb install_modules), on stdout as its print_message.
      ctx.io.out.write(`Project configuration file ${project.file} does not specify any module dependencies. Nothing to do.\n`);
      return;
    }
    heading();
    if (report.alreadyAdded === true) {
      ctx.io.out.write(`Project configuration file ${project.file} already includes ${add}. Nothing to do.\n`);
      return;
    }
    reportInstall(ctx, report);
    await regenerateTypes(ctx, flags.project);
  };

  module
    .command('install')
    .description("Install the project's modules into .modules, as rivet-lock.yaml says (resolving and writing the lock when needed)")
    .option('--force', 'resolve the modules again and rewrite the lock, even when it still satisfies the project file')
    .option('--resolve', "resolve the project file's modules and their dependencies (the default)")
    .option('--no-resolve', 'install the modules of the Puppetfile as written, without resolving dependencies')
    .option('--project <dir>', 'project directory')
    .addHelpText('after', '\nExamples:\n  rivet module install\n  rivet module install --force\n  rivet module install --no-resolve')
    .action((flags: { project?: string; force?: boolean; resolve?: boolean }) => install(flags));

  module
    .command('add <name>')
    .description("Add a Forge module (owner/name) to the project file's modules, resolve its dependencies and install")
    .option('--project <dir>', 'project directory')
    .addHelpText('after', '\nExamples:\n  rivet module add puppetlabs/stdlib')
    .action((name: string, flags: { project?: string }) => install(flags, name));

  module
    .command('show [name]')
    .description('List the modules on the modulepath, or show one module')
    .option('--project <dir>', 'project directory')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'))
    .addHelpText('after', '\nExamples:\n  rivet module show\n  rivet module show puppetlabs/stdlib --format json')
    .action((name: string | undefined, flags: { project?: string; format: string }) => {
      const project = projectFor(ctx, flags.project);
      if (name !== undefined) {
        const info = moduleInfo(project, BUILTIN_MODULES_DIR, name);
        if (flags.format === 'json') ctx.io.out.write(`${JSON.stringify(info, null, 2)}\n`);
        else printInfo(ctx, info);
        return;
      }
      const list = moduleList(project, BUILTIN_MODULES_DIR);
      if (flags.format === 'json') {
        ctx.io.out.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      for (const [dir, modules] of Object.entries(list)) {
        const group = dir === BUILTIN_MODULES_DIR ? 'Packaged modules' : dir === project.modulepath.find((d) => d.endsWith('/.modules')) ? 'Project dependencies' : dir;
        ctx.io.out.write(`${group}${group === dir ? '' : ` (${dir})`}\n`);
        if (modules.length === 0) ctx.io.out.write('  (none)\n');
        for (const m of modules) ctx.io.out.write(`  ${m.name}${m.version === null ? '' : ` ${m.version}`}\n`);
      }
    });
  return module;
}
