/**
 * Output and logging from plans (P-28..P-30): `out.message` (stdout in human format, stderr with
 * `--format json`), `out.verbose` (only with `--verbose`), `log.*`, and `prompt`.
 *
 * @example
 * ```ts
 * out.message(`Deploying ${version} to ${targets.length} targets`);
 * log.debug('facts collected');
 * const token = await prompt('API token', { sensitive: true });
 * ```
 * @module
 */
import type { LogLevel } from '../core/events.ts';
import type { Sensitive } from '../core/result.ts';
import { currentContext } from './context.ts';
import type { PromptOptions } from './options.ts';

/** Text for any value: strings as they are, everything else as pretty JSON (ResultSets as to_data). */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undef';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export const out = {
  /** Prints a message (P-28). */
  message(value: unknown): void {
    currentContext('out.message').message(formatValue(value));
  },
  /** Prints a message only with `--verbose` (P-28). */
  verbose(value: unknown): void {
    currentContext('out.verbose').verbose(formatValue(value));
  },
};

function logger(level: LogLevel) {
  return (value: unknown): void => currentContext(`log.${level}`).log(level, formatValue(value));
}

/** Logs at a level (P-29); the console shows warn and above unless `--log-level` says otherwise. */
export const log = {
  trace: logger('trace'),
  debug: logger('debug'),
  info: logger('info'),
  warn: logger('warn'),
  error: logger('error'),
  fatal: logger('fatal'),
};

/**
 * Asks the user (P-30). Without a terminal it resolves with `default`, or fails with
 * `bolt/no-tty-error`. With `sensitive` the answer is not echoed and comes back as `Sensitive`.
 */
export function prompt(text: string, options: PromptOptions & { sensitive: true }): Promise<Sensitive<string>>;
export function prompt(text: string, options?: PromptOptions): Promise<string>;
export function prompt(text: string, options: PromptOptions = {}): Promise<string | Sensitive<string>> {
  return currentContext('prompt').prompt(text, options);
}
