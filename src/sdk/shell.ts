/**
 * The `sh` tagged template: the typed way to build commands. Every interpolated value becomes one
 * literal argument on the target, whatever it holds (quotes, `$()`, backticks, newlines,
 * non-ASCII); arrays become several arguments; `sh.raw(text)` inserts text unquoted. Quoting
 * happens per target, for its shell: POSIX `sh`, or PowerShell on WinRM targets.
 *
 * @example
 * ```ts
 * import { runCommand, sh } from 'rivetops';
 * await runCommand(sh`mkdir -p ${root}/releases`, targets);          // mkdir -p '/srv/my app'/releases
 * await runCommand(sh`rm -f ${files}`, targets);                      // rm -f a.log 'b c.log'
 * await runCommand(sh`ls ${dir} ${sh.raw('| wc -l')}`, targets);      // the pipe stays a pipe
 * ```
 * @module
 */
import { RawShellText, ShellCommand, type ShellValue } from '../core/shell.ts';

export { ShellCommand, RawShellText, type ShellValue, type ShellDialect } from '../core/shell.ts';

/** A command for `runCommand`: a plain string (used as written) or an `sh` command (quoted per target). */
export type CommandLine = string | ShellCommand;

export interface ShellTag {
  /** Builds a {@link ShellCommand}; each `${value}` is quoted for the target's shell. */
  (strings: TemplateStringsArray, ...values: ShellValue[]): ShellCommand;
  /**
   * Text inserted unquoted: pipes, redirections, globs, `$VARS` meant for the remote shell.
   * Never pass untrusted input here.
   */
  raw(text: string): RawShellText;
}

/** The `sh` tagged template (see the module doc). */
export const sh: ShellTag = Object.assign((strings: TemplateStringsArray, ...values: ShellValue[]): ShellCommand => new ShellCommand(strings, values), {
  raw: (text: string): RawShellText => new RawShellText(text),
});

