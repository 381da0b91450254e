/**
 * The `rivet` command. {@link runCli} parses argv and returns the exit code: 0 when every target
 * succeeded, 1 when any failed, 2 for bad usage (flags, arguments, inventory or project files).
 * With `--format json`, an error before any result is a JSON document on stdout and exit 1, as
 * Bolt's `lib/bolt/cli.rb` `fatal_error` and `exe/bolt` (`Bolt::Error#error_code` is 1): see
 * {@link jsonErrorDocument}.
 * {@link main} wires it to the process: the only place that calls `process.exit`, and that
 * handles Ctrl-C, SIGTERM and SIGHUP alike (first: cancel, kill remote processes, clean temp dirs,
 * print what finished and what was canceled; second: exit at once).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, ErrorKind, RivetError, UsageError, isRivetError } from '../core/errors.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { AnyPlan } from '../sdk/plan.ts';
import type { CliContext } from './context.ts';
import {
  loadAdhocCommands,
  loadDurableCommands,
  loadInitCommand,
  loadInventoryCommands,
  loadModuleCommand,
  loadPlanCommand,
  loadPlanConvertCommand,
  loadTaskCommand,
  loadTypesCommand,
  loadWorkerCommand,
} from './lazy.ts';
import { redactingIO } from './redact-io.ts';
import type { CliIO } from './render/writer.ts';

const USAGE_EXIT = 2;
/** Bolt's kind for a missing or unreadable local file (`Bolt::FileError`). */
const FILE_ERROR_KIND = 'bolt/file-error';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

type CommandFactory = (ctx: CliContext) => Command;

/**
 * The subcommands, in `--help` order, each loaded only when used: a subcommand's module pulls in
 * the runtime, ajv, yaml, tar or codegen, and `rivet --version` or `rivet command run` should not
 * pay for the others (start-up is most of the client's CPU on small fan-outs).
 */
const SUBCOMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<CommandFactory>]> = [
  ['command', async () => (await loadAdhocCommands()).commandCommand],
  ['script', async () => (await loadAdhocCommands()).scriptCommand],
  ['file', async () => (await loadAdhocCommands()).fileCommand],
  ['task', async () => (await loadTaskCommand()).taskCommand],
  ['inventory', async () => (await loadInventoryCommands()).inventoryCommand],
  ['group', async () => (await loadInventoryCommands()).groupCommand],
  [
    'plan',
    async () => {
      const [{ planCommand }, { planConvertCommand }, { durablePlanCommands }] = await Promise.all([loadPlanCommand(), loadPlanConvertCommand(), loadDurableCommands()]);
      return (ctx) => planCommand(ctx, [planConvertCommand(ctx), ...durablePlanCommands(ctx)]);
    },
  ],
  ['types', async () => (await loadTypesCommand()).typesCommand],
  ['module', async () => (await loadModuleCommand()).moduleCommand],
  ['worker', async () => (await loadWorkerCommand()).workerCommand],
  ['init', async () => (await loadInitCommand()).initCommand],
];

/**
 * The subcommands argv needs: the one it names, none for `--version`, and all of them otherwise
 * (help, an unknown name that gets suggestions, no arguments).
 */
async function neededCommands(argv: readonly string[]): Promise<CommandFactory[]> {
  const first = argv[0];
  if (first === '--version') return [];
  const named = SUBCOMMANDS.filter(([name]) => name === first);
  return Promise.all((named.length > 0 ? named : SUBCOMMANDS).map(([, load]) => load()));
}

/** The `rivet` program with the subcommands argv needs (all of them when argv is omitted). */
export async function buildProgram(ctx: CliContext, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('rivet')
    .description('Run commands, scripts, Bolt tasks and TypeScript plans on many machines, over SSH, WinRM or locally.')
    .version(version(), '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nExamples:\n  rivet init my-project\n  rivet command run "uname -a" --targets all\n  rivet task run package action=status name=openssl --targets web\n  rivet plan run example::deploy version=1.1.0\n  rivet script run ./check.sh --targets web -- --fast\n  rivet file upload ./site /var/www --targets web\n  rivet inventory show --detail\n  rivet module add puppetlabs/stdlib\n\nDocs: README.md and docs/ in the Rivet package.',
    );
  for (const factory of await neededCommands(argv)) program.addCommand(factory(ctx));
  program.commands.forEach(function configure(command: Command): void {
    command.showSuggestionAfterError(true).helpOption('-h, --help', 'show help');
    command.commands.forEach(configure);
  });
  return program;
}

/** Runs the CLI on argv (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO, signal: AbortSignal = new AbortController().signal): Promise<number> {
  return runProgram(buildProgram, argv, io, signal, true);
}

/**
 * `rivet plan run` for one plan, with the argv that follows the plan file
 * (`npx tsx plans/deploy.ts --targets web k=v`): same parsing, output and exit codes.
 */
export async function runPlanCli(plan: AnyPlan, argv: readonly string[], io: CliIO, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const { directPlanProgram } = await loadPlanCommand();
  return runProgram((ctx) => directPlanProgram(ctx, plan).showSuggestionAfterError(true).helpOption('-h, --help', 'show help'), argv, io, signal, false);
}

async function runProgram(build: (ctx: CliContext, argv: readonly string[]) => Command | Promise<Command>, argv: readonly string[], rawIO: CliIO, signal: AbortSignal, helpWhenEmpty: boolean): Promise<number> {
  const io = redactingIO(rawIO, argv);
  const runtimes: Runtime[] = [];
  const ctx: CliContext = { io, signal, exitCode: 0, onRuntime: (r) => runtimes.push(r) };
  const program = await build(ctx, argv);
  program.exitOverride();
  program.configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
    for (const leaf of sub.commands) {
      leaf.exitOverride();
      leaf.configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });
    }
  }
  try {
    if (argv.length === 0 && helpWhenEmpty) {
      program.outputHelp();
      return USAGE_EXIT;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    const shape = jsonErrorShape(argv, helpWhenEmpty);
    return shape === undefined ? reportError(error, io) : reportJsonError(error, io, shape);
  } finally {
    await Promise.allSettled(runtimes.map((r) => r.close()));
  }
}

/**
 * Bolt's JSON document for an error before any result (`lib/bolt/outputter/json.rb`
 * `fatal_error`). Commands that print `{ "items": [` before they start (`command run`,
 * `script run`, `file upload|download`, `task run`: `cli.rb` `process_command` calls
 * `print_head` first) close it: `{"items": [], "_error": {kind, msg, details}}`. The others
 * (`plan run`, `show`s) print the bare error `{kind, msg, details}`.
 *
 * @example
 * ```ts
 * jsonErrorDocument(new UsageError('x'), 'envelope'); // { items: [], _error: { kind: 'rivet/usage-error', msg: 'x', details: {} } }
 * ```
 */
export function jsonErrorDocument(error: RivetError, shape: JsonErrorShape): Record<string, unknown> {
  return shape === 'envelope' ? { items: [], _error: error.toJSON() } : { ...error.toJSON() };
}

export type JsonErrorShape = 'envelope' | 'bare';

/** Steps whose JSON output starts with the items list (Bolt's `print_head`). */
const ENVELOPED = new Set(['command run', 'script run', 'file upload', 'file download', 'task run']);

/** The JSON error shape argv asks for, or undefined when the output is not `--format json`. */
function jsonErrorShape(argv: readonly string[], isMainCli: boolean): JsonErrorShape | undefined {
  const json = argv.some((arg, i) => arg === '--format=json' || (arg === '--format' && argv[i + 1] === 'json'));
  if (!json) return undefined;
  return isMainCli && ENVELOPED.has(`${argv[0]} ${argv[1]}`) ? 'envelope' : 'bare';
}

/** Prints the JSON error document on stdout (and the message on stderr for people); exit 1. */
function reportJsonError(error: unknown, io: CliIO, shape: JsonErrorShape): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return 0;
    // Commander already printed its message on stderr; Bolt's kind for CLI mistakes.
    error = new RivetError('bolt/cli-error', error.message.replace(/^error: /, ''));
  } else {
    io.err.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  // An unexpected exception keeps its message only: no stack trace in the document.
  const rivetError = isRivetError(error) ? error : new RivetError(ErrorKind.Exception, error instanceof Error ? error.message : String(error), { issueCode: 'EXCEPTION' });
  io.out.write(`${JSON.stringify(jsonErrorDocument(rivetError, shape), null, 2)}\n`);
  return 1;
}

function reportError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
    // Commander already printed its message, or (a group such as `rivet command` without its
    // subcommand: 'commander.help' with exit code 1) the group's help on stderr.
    return error.exitCode === 0 ? 0 : USAGE_EXIT;
  }
  if (error instanceof UsageError || error instanceof ConfigError || (isRivetError(error) && isUsageKind(error.kind))) {
    io.err.write(`Error: ${error.message}\n`);
    return USAGE_EXIT;
  }
  if (isRivetError(error)) {
    io.err.write(`Error: ${error.message}\n`);
    return 1;
  }
  io.err.write(`Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

/** Errors in what the user asked for or wrote (flags, parameters, inventory, metadata): exit 2. */
function isUsageKind(kind: string): boolean {
  return (
    kind === ErrorKind.Usage ||
    kind === ErrorKind.NoTty ||
    kind === 'bolt/pal-error' ||
    kind === 'bolt/unknown-task' ||
    kind === FILE_ERROR_KIND ||
    kind.startsWith('bolt.inventory/') ||
    kind.startsWith('puppet.tasks/')
  );
}

/** Entry point of the `rivet` binary. */
export function main(): Promise<never> {
  return mainWith(runCli);
}

/** Entry point of a plan file run directly (`npx tsx plans/deploy.ts ...`); see `definePlan`. */
export function mainPlan(plan: AnyPlan): Promise<never> {
  return mainWith((argv, io, signal) => runPlanCli(plan, argv, io, signal));
}

/** Signals that stop a run as Ctrl-C does, with the exit code a process killed by them has. */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const satisfies Partial<Record<NodeJS.Signals, number>>;

async function mainWith(run: (argv: readonly string[], io: CliIO, signal: AbortSignal) => Promise<number>): Promise<never> {
  const controller = new AbortController();
  let stoppedBy: keyof typeof STOP_SIGNALS | undefined;
  // SIGINT (Ctrl-C), SIGTERM and SIGHUP: the first cancels, kills the remote processes, cleans up
  // and prints what finished (and what was canceled); a second one exits at once.
  for (const name of Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]) {
    process.on(name, () => {
      if (stoppedBy === undefined) {
        stoppedBy = name;
        const how = name === 'SIGINT' ? 'Ctrl-C' : name;
        process.stderr.write(`\nStopping: canceling remote processes and cleaning up (${how} again to exit at once)...\n`);
        controller.abort();
      } else {
        process.stderr.write('Exiting now; processes may be left running on targets.\n');
        process.exit(STOP_SIGNALS[name]);
      }
    });
  }
  // After SIGHUP the terminal may be gone: a failed write must not crash the cleanup.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const io: CliIO = {
    out: { write: (s) => void process.stdout.write(s), isTTY: process.stdout.isTTY === true, backlog: () => process.stdout.writableLength },
    err: { write: (s) => void process.stderr.write(s), isTTY: process.stderr.isTTY === true },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
  const code = await run(process.argv.slice(2), io, controller.signal);
  // stdout and stderr are asynchronous on pipes: exiting at once would cut a large report short.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(stoppedBy !== undefined && code === 0 ? STOP_SIGNALS[stoppedBy] : code);
}

/** How long exiting waits for a reader that does not read (a stalled pipe). */
const FLUSH_TIMEOUT_MS = 60_000;

/** Resolves once everything written to `stream` so far has been handed to the OS (or after FLUSH_TIMEOUT_MS). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    setTimeout(resolve, FLUSH_TIMEOUT_MS).unref();
    stream.write('', () => resolve());
  });
}
