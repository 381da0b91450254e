/**
 * What every action command shares: the connection and run-context flags (C-02..C-06), turning
 * them into a runtime, rendering results, exit codes.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import type { ResultSet } from '../core/result.ts';
import { LOG_LEVELS, logLevelEnabled, type LogLevel } from '../core/events.ts';
import { createRuntime, type CreatedRuntime } from '../runtime/create.ts';
import type { ConfigOverrides } from '../runtime/inventory/index.ts';
import { expandTargetArgs } from '../runtime/inventory/index.ts';
import { parseByteSize } from '../runtime/output-limit.ts';
import { parseThreadsSetting, type ThreadsSetting } from '../runtime/ssh-threads.ts';
import { HumanRenderer } from './render/human.ts';
import type { Target } from '../core/target.ts';
import type { CliContext } from './context.ts';
import { loadJsonRenderer } from './lazy.ts';
import type { CliIO } from './render/writer.ts';
import { withoutDisabled } from '../core/warning-id.ts';
import { privateKeyFlag, promptFlag, refuseQuery, unusedFlagWarnings } from './connection-flags.ts';
import { RERUN_FILTERS, rerunTargets, saveRerun, type RerunFilter } from './rerun.ts';

export interface GlobalFlags {
  targets?: string[];
  user?: string;
  password?: string;
  passwordPrompt?: boolean;
  privateKey?: string;
  hostKeyCheck?: boolean;
  ssl?: boolean;
  sslVerify?: boolean;
  transport?: string;
  connectTimeout?: number;
  /** `--[no-]tty`, `--[no-]native-ssh`, `--ssh-command`, `--copy-command`: accepted, unused (see connection-flags.ts). */
  tty?: boolean;
  nativeSsh?: boolean;
  sshCommand?: string;
  copyCommand?: string;
  runAs?: string;
  sudoPassword?: string;
  sudoPasswordPrompt?: boolean;
  sudoExecutable?: string;
  envVar?: string[];
  concurrency?: number;
  threads?: ThreadsSetting;
  tmpdir?: string;
  cleanup?: boolean;
  inventoryfile?: string;
  project?: string;
  format: 'human' | 'json' | 'jsonl';
  logLevel?: string;
  stream?: boolean;
  color?: boolean;
  verbose?: boolean;
  timeout?: number;
  maxOutput?: number;
  /** `--rerun`: the targets of the last run with this status (ad-hoc commands and `plan run`). */
  rerun?: RerunFilter;
  /** `--no-save-rerun` makes this false. */
  saveRerun?: boolean;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a whole number of at least 1, got '${value}'`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a number of seconds greater than 0, got '${value}'`);
    return n;
  };
}

function byteSize(name: string) {
  return (value: string): number => {
    const bytes = parseByteSize(value);
    if (bytes === undefined) throw new UsageError(`${name} must be a size in bytes such as 1048576 or 10MiB, got '${value}'`);
    return bytes;
  };
}

/**
 * `task show --filter` and `plan show --filter` (C-07): Bolt's `[a-z0-9_:]+`, with its message.
 *
 * @example
 * ```ts
 * parseFilter('pkg::'); // 'pkg::'
 * parseFilter('Pkg');   // throws: --filter: illegal characters in filter string 'Pkg'. ...
 * ```
 */
export function parseFilter(value: string): string {
  if (!/^[a-z0-9_:]+$/.test(value)) {
    throw new UsageError(`--filter: illegal characters in filter string '${value}'. Filters can only include lowercase letters, numbers, underscores, and colons.`);
  }
  return value;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Adds the targeting, connection, timeout and display flags to an action command. `output: false`
 * (file upload and download, which run nothing that prints) leaves out `--max-output` and hides
 * `--stream` (accepted, as in Bolt, but it has nothing to show). `display: false` (`rivet worker`,
 * which prints no results and runs each step with the controller's step options) leaves out
 * `--format`, `--stream`, `--[no-]color`, `--[no-]verbose` and `--timeout`.
 */
export function addRunFlags(command: Command, options: { targets?: boolean; envVars?: boolean; rerun?: boolean; output?: boolean; display?: boolean } = {}): Command {
  const output = options.output !== false;
  const display = options.display !== false;
  if (options.targets !== false) {
    command.addOption(new Option('-t, --targets <spec>', 'targets to run on: names, groups, aliases, globs, URIs, @file or - (repeatable)').argParser(collect));
    // Bolt's PuppetDB targeting (I-19): refused with an error that names the flag.
    command.addOption(new Option('-q, --query <pql>', 'PuppetDB query (not supported: an error)').argParser(refuseQuery).hideHelp());
  }
  if (options.rerun) {
    command
      .addOption(new Option('--rerun <filter>', 'run on the targets of the last run that had this result (instead of --targets)').choices([...RERUN_FILTERS]))
      .option('--save-rerun', 'record this run\'s results in .rivet/rerun.json for --rerun (the default)')
      .option('--no-save-rerun', 'leave the record of the last run as it is');
  }
  command
    .option('-u, --user <user>', 'user to connect as')
    .option('-p, --password <password>', 'password to connect with (visible in the process list: prefer --password-prompt)')
    .option('--password-prompt', 'ask for the connection password')
    .option('--private-key <path>', 'private key file for SSH')
    .option('--host-key-check', 'check host keys against known_hosts (the default)')
    .option('--no-host-key-check', 'do not check host keys (trust any host key)')
    .option('--ssl', 'WinRM over HTTPS, port 5986 (the default)')
    .option('--no-ssl', 'WinRM over HTTP, port 5985, with NTLM message encryption')
    .option('--ssl-verify', "verify WinRM targets' HTTPS certificates (the default)")
    .option('--no-ssl-verify', "do not verify WinRM targets' HTTPS certificates")
    .addOption(new Option('--transport <name>', 'default transport for targets without one').choices(['ssh', 'local', 'winrm']))
    .addOption(new Option('--connect-timeout <seconds>', 'seconds to wait for a connection').argParser(positiveNumber('--connect-timeout')))
    .option('--tty', "Bolt's PTY request: accepted and ignored, with a warning (Rivet requests no PTY)")
    .option('--no-tty', 'request no pseudo-terminal (what Rivet always does)')
    .option('--native-ssh', "Bolt's external ssh mode: accepted and ignored, with a warning (Rivet uses its own SSH client)")
    .option('--no-native-ssh', "use Rivet's own SSH client (what Rivet always does)")
    .option('--ssh-command <exec>', "Bolt's native-ssh executable: accepted and ignored, with a warning")
    .option('--copy-command <exec>', "Bolt's native-ssh copy command: accepted and ignored, with a warning")
    .option('--run-as <user>', 'user to run as, via sudo')
    .option('--sudo-password <password>', 'password for sudo (prefer --sudo-password-prompt)')
    .option('--sudo-password-prompt', 'ask for the sudo password')
    .option('--sudo-executable <path>', 'sudo program to use (default sudo)')
    .addOption(new Option('-c, --concurrency <n>', 'targets worked on at once (default 100)').argParser(positiveInt('--concurrency')))
    .addOption(
      new Option('--threads <n|auto|off>', 'SSH connections in N worker threads; auto (default): on when a step has 200+ SSH targets and the machine 4+ CPUs').argParser(
        (value: string) => parseThreadsSetting(value, '--threads'),
      ),
    )
    .option('--tmpdir <dir>', 'directory on the target for temporary files (default /tmp)')
    .option('--cleanup', 'remove temporary files from targets (the default)')
    .option('--no-cleanup', 'leave temporary files on targets')
    .option('-i, --inventoryfile <path>', 'inventory file (default <project>/inventory.yaml)')
    .option('--project <dir>', 'project directory (default: found from the current directory)')
    .addOption(new Option('--log-level <level>', 'console log level').choices([...LOG_LEVELS]));
  if (display) {
    command
      .addOption(new Option('--format <format>', 'output format').choices(['human', 'json', 'jsonl']).default('human'))
      .addOption(new Option('--stream', "print each target's output as it arrives, prefixed with the target").hideHelp(!output))
      .option('--color', 'color output (default on a terminal)')
      .option('--no-color', 'no colors')
      .option('-v, --verbose', 'print a line when each target starts (the default)')
      .option('--no-verbose', 'print only results')
      .addOption(
        new Option('--timeout <seconds>', output ? 'kill the step on a target after this many seconds (Rivet extension)' : 'stop the transfer on a target after this many seconds (Rivet extension)').argParser(
          positiveNumber('--timeout'),
        ),
      );
  }
  if (output) {
    command.addOption(
      new Option('--max-output <size>', `bytes kept of each target's stdout and stderr, e.g. 1048576 or 50MiB (default 10MiB)${display ? '; --stream still shows all' : ''}`).argParser(byteSize('--max-output')),
    );
  }
  if (options.envVars) command.option('--env-var <KEY=VALUE>', 'environment variable for the command or script (repeatable)', collect);
  return command;
}

/** Builds the runtime for a command from its flags. */
export async function runtimeFromFlags(flags: GlobalFlags, io: CliIO, signal: AbortSignal, options: { keepConnections?: boolean } = {}): Promise<CreatedRuntime> {
  const overrides: ConfigOverrides = {};
  if (flags.user !== undefined) overrides.user = flags.user;
  if (flags.password !== undefined) overrides.password = flags.password;
  if (flags.passwordPrompt) overrides.password = await promptFlag('--password-prompt', io);
  if (flags.privateKey !== undefined) overrides.privateKey = privateKeyFlag(flags.privateKey, { cwd: io.cwd, home: io.env['HOME'] });
  if (flags.hostKeyCheck !== undefined) overrides.hostKeyCheck = flags.hostKeyCheck;
  if (flags.ssl !== undefined) overrides.ssl = flags.ssl;
  if (flags.sslVerify !== undefined) overrides.sslVerify = flags.sslVerify;
  if (flags.transport !== undefined) overrides.transport = flags.transport;
  if (flags.connectTimeout !== undefined) overrides.connectTimeout = flags.connectTimeout;
  if (flags.runAs !== undefined) overrides.runAs = flags.runAs;
  if (flags.sudoPassword !== undefined) overrides.sudoPassword = flags.sudoPassword;
  if (flags.sudoPasswordPrompt) overrides.sudoPassword = await promptFlag('--sudo-password-prompt', io);
  if (flags.sudoExecutable !== undefined) overrides.sudoExecutable = flags.sudoExecutable;
  if (flags.tmpdir !== undefined) overrides.tmpdir = flags.tmpdir;
  if (flags.cleanup !== undefined) overrides.cleanup = flags.cleanup;
  if (flags.maxOutput !== undefined) overrides.maxOutput = flags.maxOutput;
  const runtime = await createRuntime({
    cwd: io.cwd,
    env: io.env,
    projectFlag: flags.project,
    inventoryFile: flags.inventoryfile,
    overrides,
    concurrency: flags.concurrency,
    threads: flags.threads,
    keepConnections: options.keepConnections,
    signal,
  });
  // C-15: the project file's `log.console.level` (Bolt's console level) when --log-level is not given.
  flags.logLevel ??= consoleLevel(runtime.project.config.log);
  const unused = withoutDisabled(unusedFlagWarnings(flags), runtime.project.config['disable-warnings']);
  return unused.length === 0 ? runtime : Object.assign(runtime, { warnings: [...runtime.warnings, ...unused] });
}

/** The console level a project file's `log: {console: {level}}` sets (`any` is everything), if any. */
function consoleLevel(log: Record<string, unknown> | undefined): LogLevel | undefined {
  const level = (log?.['console'] as Record<string, unknown> | undefined)?.['level'];
  if (level === 'any') return 'trace';
  return typeof level === 'string' && (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

/** Writes the runtime's warnings (project file, inventory, project shadowing a module) to stderr. */
export function printWarnings(runtime: CreatedRuntime, io: CliIO): void {
  for (const warning of runtime.warnings) io.err.write(`WARN: ${warning}\n`);
}

/** The `--targets` values with `@file` and `-` expanded; an error when there are none. */
export async function targetArgs(flags: GlobalFlags, io: CliIO): Promise<string[]> {
  const values = flags.targets ?? [];
  if (values.length === 0) throw new UsageError('No targets given: pass --targets (e.g. --targets all, --targets web1,web2) or --rerun failure|success|all');
  return expandTargets(values, io);
}

/** Expands `@file` (relative to the cwd) and `-` (stdin, read only when asked for) in target specs. */
export async function expandTargets(values: readonly string[], io: CliIO): Promise<string[]> {
  const stdin = values.includes('-') ? await io.readStdin() : '';
  return expandTargetArgs([...values], { readFile: (path: string) => readFileSync(resolve(io.cwd, path), 'utf8'), stdin: () => stdin });
}

/**
 * Makes the runtime of an ad-hoc command (one step) from the flags and resolves `--targets`
 * through its inventory. A target has no work after its step, so its connection is closed then.
 */
export async function prepareRun(flags: GlobalFlags, ctx: CliContext): Promise<{ runtime: CreatedRuntime; targets: Target[] }> {
  if (flags.rerun !== undefined && flags.targets !== undefined) throw new UsageError("Only one targeting option can be given: '--targets' or '--rerun'");
  const given = flags.rerun === undefined ? await targetArgs(flags, ctx.io) : undefined;
  const runtime = await runtimeFromFlags(flags, ctx.io, ctx.signal, { keepConnections: false });
  ctx.onRuntime(runtime);
  const specs = given ?? (await rerunTargets(runtime.project.dir, flags.rerun!));
  const targets = runtime.inventory.getTargets(specs, { cli: true });
  for (const target of targets) runtime.events.protectTarget(target);
  if (targets.length === 0) {
    throw new UsageError(`--targets ${specs.map((s) => `'${s}'`).join(' ')} names no targets${specs.includes('all') ? ' (the inventory has none)' : ''}`);
  }
  return { runtime, targets };
}

/** An argument that may be `@file` (read relative to the cwd) or `-` (stdin); `what` names it in errors. */
export async function readArgument(value: string, io: CliIO, what: string): Promise<string> {
  if (value === '-') return io.readStdin();
  if (!value.startsWith('@')) return value;
  try {
    return await readFile(resolve(io.cwd, value.slice(1)), 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the ${what} file '${value.slice(1)}': ${readErrorReason(error)}`);
  }
}

/**
 * Why a local file could not be read, in words.
 *
 * @example
 * ```ts
 * readErrorReason(Object.assign(new Error('x'), { code: 'ENOENT' })); // 'no such file'
 * ```
 */
export function readErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** Milliseconds from a `--timeout` in seconds. */
export function timeoutMs(flags: GlobalFlags): number | undefined {
  return flags.timeout === undefined ? undefined : Math.round(flags.timeout * 1000);
}

/** `--env-var K=V` values as a map. */
export function envVars(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const env: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env-var expects KEY=VALUE, got '${item}'`);
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

/**
 * Runs a step with the chosen output format and returns the exit code: 0 when every target
 * succeeded, 1 otherwise.
 */
export async function renderStep(flags: GlobalFlags, io: CliIO, runtime: CreatedRuntime, run: () => Promise<ResultSet>): Promise<number> {
  const started = performance.now();
  let human: HumanRenderer | undefined;
  let unsubscribe: () => void = () => {};
  const threshold = (flags.logLevel as LogLevel | undefined) ?? 'warn';
  // The JSON renderers load only for the JSON formats.
  const json = flags.format === 'json' || flags.format === 'jsonl' ? await loadJsonRenderer() : undefined;
  if (json !== undefined && flags.format === 'jsonl') {
    const render = json.jsonlRenderer(io.out);
    unsubscribe = runtime.events.on((event) => {
      if (event.type !== 'log' || logLevelEnabled(event.level, threshold)) render(event);
    });
  } else if (flags.format === 'human') {
    const color = flags.color ?? (io.out.isTTY === true && io.env['NO_COLOR'] === undefined);
    human = new HumanRenderer({
      out: io.out,
      err: io.err,
      color,
      verbose: flags.verbose ?? true,
      stream: flags.stream ?? false,
      progress: io.err.isTTY === true,
      logLevel: flags.logLevel as LogLevel | undefined,
    });
    const renderer = human;
    unsubscribe = runtime.events.on((event) => renderer.onEvent(event));
  }
  if (flags.format === 'json') {
    // JSON keeps stdout to the envelope: logs go to stderr as text.
    const off = runtime.events.on((event) => {
      if (event.type === 'log' && logLevelEnabled(event.level, threshold)) io.err.write(`${event.level.toUpperCase()}: ${event.text}\n`);
    });
    const previous = unsubscribe;
    unsubscribe = () => {
      off();
      previous();
    };
  }
  for (const warning of runtime.warnings) runtime.events.log('warn', warning);
  try {
    const set = await run();
    const elapsed = performance.now() - started;
    if (flags.saveRerun !== false && runtime.project.config['save-rerun'] !== false) {
      const problem = await saveRerun(runtime.project.dir, set);
      if (problem !== undefined) runtime.events.log('warn', problem);
    }
    if (json !== undefined && flags.format === 'json') io.out.write(`${json.jsonEnvelope(set, elapsed)}\n`);
    human?.summary(set, elapsed);
    return set.ok ? 0 : 1;
  } finally {
    human?.stop();
    unsubscribe();
  }
}
