/**
 * Bolt's connection flags that need more than passing a value on (C-02, C-03): `--private-key`
 * is a path from the current directory, checked before anything connects; `--tty`,
 * `--native-ssh`, `--ssh-command` and `--copy-command` are accepted, as in Bolt, but Rivet's own
 * SSH client does not use them, which a warning says; `-q/--query` (PuppetDB, I-19) is refused
 * with an error naming the flag.
 *
 * @example
 * ```ts
 * const key = privateKeyFlag('keys/id_ed25519', { cwd: '/work', home: '/root' }); // '/work/keys/id_ed25519'
 * unusedFlagWarnings({ tty: true }); // ['--tty: Rivet does not request a pseudo-terminal ...']
 * const password = await promptFlag('--password-prompt', io); // asks on the terminal, no echo
 * ```
 * @module
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorKind, RivetError, UsageError, isRivetError } from '../core/errors.ts';
import { withWarningId } from '../core/warning-id.ts';
import { loadPrompt } from './lazy.ts';
import type { CliIO } from './render/writer.ts';

/**
 * The `--private-key` path as Bolt's option parser makes it (`File.expand_path(key)`: `~`, then
 * the current directory), checked to be a readable file. A missing key is an error before any
 * target is contacted (Bolt warns `invalid_ssh_key` and then fails every target's login).
 */
export function privateKeyFlag(value: string, where: { cwd: string; home: string | undefined }): string {
  const expanded = value === '~' || value.startsWith('~/') ? join(where.home ?? '~', value.slice(1)) : value;
  const path = resolve(where.cwd, expanded);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`--private-key: the ssh key '${path}' does not exist`);
  }
  if (!isFile) throw new UsageError(`--private-key: the ssh key '${path}' is not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new UsageError(`--private-key: the ssh key '${path}' is unreadable`);
  }
  return path;
}

/** Rivet's warning id for a Bolt flag it accepts and ignores (silenced by `disable-warnings`). */
export const IGNORED_FLAG = 'ignored_cli_flag';

/** The flags of Bolt's that Rivet accepts but does not use, as set on the command line. */
export interface UnusedFlags {
  tty?: boolean;
  nativeSsh?: boolean;
  sshCommand?: string;
  copyCommand?: string;
}

/**
 * One warning per Bolt flag that asks for something Rivet does not do. `--no-tty` and
 * `--no-native-ssh` ask for what Rivet does anyway: no warning.
 */
export function unusedFlagWarnings(flags: UnusedFlags): string[] {
  const warnings: string[] = [];
  if (flags.tty === true) warnings.push(withWarningId(IGNORED_FLAG, '--tty: Rivet does not request a pseudo-terminal on targets; the flag is ignored (a sudo that insists on a tty, "requiretty", fails as without it)'));
  if (flags.nativeSsh === true) warnings.push(withWarningId(IGNORED_FLAG, "--native-ssh: Rivet always uses its own SSH client (which reads ~/.ssh/config); the flag is ignored"));
  if (flags.sshCommand !== undefined) warnings.push(withWarningId(IGNORED_FLAG, "--ssh-command: Rivet does not run an external ssh program; the flag is ignored"));
  if (flags.copyCommand !== undefined) warnings.push(withWarningId(IGNORED_FLAG, "--copy-command: Rivet copies files over its own SSH connection (SFTP); the flag is ignored"));
  return warnings;
}

/** `-q/--query`: PuppetDB is not supported (I-19), so the flag is an error naming it. */
export function refuseQuery(query: string): never {
  throw new UsageError(`--query '${query}': Rivet does not query PuppetDB; name the targets with --targets (names, groups, globs, @file or -) or --rerun`);
}

/** Bolt's prompts (`bolt_option_parser.rb`) for the two prompt flags (C-03, C-04). */
const PROMPTS = {
  '--password-prompt': { question: 'Please enter your password: ', key: 'password' },
  '--sudo-password-prompt': { question: 'Please enter your privilege escalation password: ', key: 'sudo-password' },
} as const;

/**
 * Asks for the password of `--password-prompt` or `--sudo-password-prompt` on the terminal, without
 * echo. Without a terminal (CI, a pipe) it is an error naming the flag, never a wait on a stdin
 * nobody types into (Bolt crashes there with `Inappropriate ioctl for device`). The value is
 * only returned: it never reaches argv, logs or disk.
 */
export async function promptFlag(flag: keyof typeof PROMPTS, io: Pick<CliIO, 'err' | 'stdinIsTTY'>): Promise<string> {
  const { question, key } = PROMPTS[flag];
  try {
    return await (await loadPrompt()).promptSecret(question, io);
  } catch (error) {
    if (isRivetError(error) && error.kind === ErrorKind.NoTty) {
      throw new RivetError(ErrorKind.NoTty, `${flag}: cannot ask for the password: standard input is not a terminal; set '${key}' in the inventory's transport config instead`, {
        issueCode: 'NO_TTY',
      });
    }
    throw error;
  }
}
