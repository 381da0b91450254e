/**
 * Ad-hoc commands: `command run`, `script run`, `file upload`, `file download` (C-01).
 *
 * @module
 */
import { Command } from 'commander';
import type { CreatedRuntime } from '../../runtime/create.ts';
import { findCliFile, type FindFileScope } from '../../runtime/module-file.ts';
import { addRunFlags, envVars, prepareRun, readArgument, renderStep, timeoutMs, type GlobalFlags } from '../common.ts';
import type { CliContext } from '../context.ts';

/** Where `script run` and `file upload` look for a file (Bolt's `find_file`): cwd, then modules. */
function fileScope(ctx: CliContext, runtime: CreatedRuntime): FindFileScope {
  return { cwd: ctx.io.cwd, modulepath: runtime.modulepath, project: { name: runtime.project.name, dir: runtime.project.dir } };
}

export function commandCommand(ctx: CliContext): Command {
  const cmd = new Command('command').description('Run a shell command on targets');
  const run = new Command('run')
    .description('Run a command on targets (the command may be @file or - for stdin)')
    .argument('<command>', 'the command line to run, @file, or - for stdin')
    .addHelpText('after', '\nExamples:\n  rivet command run "uname -a" --targets all\n  rivet command run @check.sh -t web --run-as root');
  addRunFlags(run, { envVars: true, rerun: true }).action(async (commandArg: string, flags: GlobalFlags & { envVar?: string[] }) => {
    // `@file` reads the command from a file, `-` from stdin (C-08).
    const command = await readArgument(commandArg, ctx.io, 'command');
    const env = envVars(flags.envVar);
    const { runtime, targets } = await prepareRun(flags, ctx);
    ctx.exitCode = await renderStep(flags, ctx.io, runtime, () =>
      runtime.runCommand(command, targets, { env, timeoutMs: timeoutMs(flags), stream: flags.stream }),
    );
  });
  return cmd.addCommand(run);
}

export function scriptCommand(ctx: CliContext): Command {
  const cmd = new Command('script').description('Copy a script to targets and run it');
  const run = new Command('run')
    .description('Run a local script on targets, with arguments')
    .argument('<script>', 'path of the local script, or <module>/<path> found through the modulepath')
    .argument('[arguments...]', 'arguments passed to the script')
    .addHelpText('after', '\nExamples:\n  rivet script run ./setup.sh --targets web -- --verbose "two words"\n  rivet script run mymod/scripts/check.sh --targets web   # found through the modulepath');
  addRunFlags(run, { envVars: true, rerun: true }).action(async (script: string, args: string[], flags: GlobalFlags & { envVar?: string[] }) => {
    const env = envVars(flags.envVar);
    const { runtime, targets } = await prepareRun(flags, ctx);
    ctx.exitCode = await renderStep(flags, ctx.io, runtime, () =>
      runtime.runScript(findCliFile(script, fileScope(ctx, runtime)), targets, { arguments: args, env, timeoutMs: timeoutMs(flags), stream: flags.stream }),
    );
  });
  return cmd.addCommand(run);
}

export function fileCommand(ctx: CliContext): Command {
  const cmd = new Command('file').description('Copy files and directories to and from targets');
  const upload = new Command('upload')
    .description('Upload a local file or directory to targets')
    .argument('<source>', 'local file or directory, or <module>/<path> found through the modulepath')
    .argument('<destination>', 'path on the targets')
    .addHelpText('after', '\nExamples:\n  rivet file upload ./site /var/www/site --targets web --run-as www-data\n  rivet file upload mymod/nginx.conf /etc/nginx/ --targets web   # modules/mymod/files/nginx.conf\n\nAs in Bolt: onto an existing directory the file or directory goes inside it; the parent of the\ndestination must exist.');
  addRunFlags(upload, { rerun: true, output: false }).action(async (source: string, destination: string, flags: GlobalFlags) => {
    const { runtime, targets } = await prepareRun(flags, ctx);
    ctx.exitCode = await renderStep(flags, ctx.io, runtime, () =>
      runtime.uploadFile(findCliFile(source, fileScope(ctx, runtime)), destination, targets, { timeoutMs: timeoutMs(flags) }),
    );
  });
  const download = new Command('download')
    .description('Download a file or directory from targets into <destination>/<target>/')
    .argument('<source>', 'path on the targets')
    .argument('<destination>', 'local directory: absolute, or relative to the current directory')
    .addHelpText('after', '\nExamples:\n  rivet file download /var/log/syslog logs --targets web\n  # -> ./logs/web1/syslog, ./logs/web2/syslog\n  rivet file download /etc/hosts /tmp/hosts -t web1');
  addRunFlags(download, { rerun: true, output: false }).action(async (source: string, destination: string, flags: GlobalFlags) => {
    const { runtime, targets } = await prepareRun(flags, ctx);
    // Bolt's CLI (Application#download_file) expands the destination against the cwd; only the
    // plan function confines it to <project>/downloads.
    ctx.exitCode = await renderStep(flags, ctx.io, runtime, () => runtime.downloadFile(source, destination, targets, { cwd: ctx.io.cwd, timeoutMs: timeoutMs(flags) }));
  });
  return cmd.addCommand(upload).addCommand(download);
}
