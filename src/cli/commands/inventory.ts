/**
 * `inventory show [--detail]` and `group show` (C-14).
 *
 * @module
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { TargetDetail } from '../../runtime/inventory/index.ts';
import { expandTargets, printWarnings, runtimeFromFlags, type GlobalFlags } from '../common.ts';
import type { CliContext } from '../context.ts';

/** The inventory and output flags; `targets: false` (group show, which lists every group, as Bolt's) leaves out `--targets`. */
function addInventoryFlags(command: Command, options: { targets?: boolean } = {}): Command {
  if (options.targets !== false) {
    command.addOption(new Option('-t, --targets <spec>', 'targets to show (default all; repeatable)').argParser((v: string, p: string[] = []) => [...p, v]));
  }
  return command
    .option('-i, --inventoryfile <path>', 'inventory file (default <project>/inventory.yaml)')
    .option('--project <dir>', 'project directory')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'));
}

export function inventoryCommand(ctx: CliContext): Command {
  const cmd = new Command('inventory').description('Show the inventory');
  const show = new Command('show')
    .description('List targets (default all), or show their resolved config, vars, facts and groups with --detail')
    .option('--detail', 'show each target resolved: config, vars, facts, features, groups')
    .addHelpText('after', '\nExamples:\n  rivet inventory show\n  rivet inventory show -t web --detail --format json');
  addInventoryFlags(show).action(async (flags: GlobalFlags & { detail?: boolean }) => {
    const runtime = await runtimeFromFlags(flags, ctx.io, ctx.signal);
    ctx.onRuntime(runtime);
    printWarnings(runtime, ctx.io);
    const specs = flags.targets?.length ? await expandTargets(flags.targets, ctx.io) : ['all'];
    // Bolt's document (Application#show_inventory): `file` falls back to the default file.
    const defaultFile = join(runtime.project.dir, 'inventory.yaml');
    const shown = runtime.inventory.show(specs, { detail: flags.detail ?? false, cli: true, defaultFile });
    if (flags.format === 'json') {
      ctx.io.out.write(`${JSON.stringify(shown, null, 2)}\n`);
    } else if (flags.detail) {
      for (const target of shown.targets as TargetDetail[]) ctx.io.out.write(`${target.name}\n${indent(JSON.stringify(target, null, 2))}\n`);
      ctx.io.out.write(`${shown.count} target${shown.count === 1 ? '' : 's'}\n`);
    } else {
      if (shown.inventory.count) ctx.io.out.write(`Targets\n${(shown.inventory.targets as string[]).map((t) => `  ${t}`).join('\n')}\n\n`);
      if (shown.adhoc.count) ctx.io.out.write(`Ad-hoc targets\n${(shown.adhoc.targets as string[]).map((t) => `  ${t}`).join('\n')}\n\n`);
      ctx.io.out.write(`Inventory source\n  ${shown.inventory.file ?? '(none)'}\n\n${shown.count} target${shown.count === 1 ? '' : 's'}\n`);
    }
    ctx.exitCode = 0;
  });
  return cmd.addCommand(show);
}

export function groupCommand(ctx: CliContext): Command {
  const cmd = new Command('group').description('Show inventory groups');
  const show = new Command('show').description('List the groups of the inventory');
  addInventoryFlags(show, { targets: false }).action(async (flags: GlobalFlags) => {
    const runtime = await runtimeFromFlags(flags, ctx.io, ctx.signal);
    ctx.onRuntime(runtime);
    printWarnings(runtime, ctx.io);
    const groups = runtime.inventory.showGroups();
    if (flags.format === 'json') ctx.io.out.write(`${JSON.stringify(groups, null, 2)}\n`);
    else ctx.io.out.write(`Groups\n${groups.groups.map((g) => `  ${g}`).join('\n')}\n\n${groups.count} group${groups.count === 1 ? '' : 's'}\n`);
    ctx.exitCode = 0;
  });
  return cmd.addCommand(show);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
