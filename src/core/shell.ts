/**
 * Shell quoting and {@link ShellCommand}, the value the SDK's `sh` tagged template builds. The
 * command keeps its literal text and its interpolated values apart; the runtime renders it for
 * each target's shell (POSIX `sh`, or PowerShell on WinRM targets), so every value arrives as one
 * literal argument whatever it contains. Pure functions, property-tested through `sh`.
 *
 * @example
 * ```ts
 * shellQuote("it's $HOME"); // 'it'\''s $HOME'
 * shellJoin(['printf', '%s', 'a b']); // printf %s 'a b'
 * const cmd = new ShellCommand(['rm -f ', ''], [['a b', "c'd"]]);
 * cmd.render('posix'); // rm -f 'a b' 'c'\''d'
 * cmd.render('powershell'); // rm -f 'a b' 'c''d'
 * ```
 * @module
 */

/** The shells a command can be rendered for. */
export type ShellDialect = 'posix' | 'powershell';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

function checkNul(value: string): void {
  if (value.includes('\0')) throw new TypeError('A shell argument cannot contain a NUL byte');
}

/** Quotes one word for a POSIX shell. Throws on NUL, which no shell word can hold. */
export function shellQuote(value: string): string {
  checkNul(value);
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes each word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** PowerShell treats the typographic single quotes as `'` too; each is doubled inside a literal. */
const PS_SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/**
 * Quotes one word for PowerShell: always a verbatim single-quoted string (no `$`, backtick or
 * `$()` expansion; a bare `1e3` or `a,b` would become a number or an array), with every single
 * quote, typographic ones included, doubled. Throws on NUL.
 */
export function powershellQuote(value: string): string {
  checkNul(value);
  return `'${value.replace(PS_SINGLE_QUOTES, (q) => q + q)}'`;
}

/** Quotes one word for `dialect`. */
export function quoteFor(dialect: ShellDialect, value: string): string {
  return dialect === 'powershell' ? powershellQuote(value) : shellQuote(value);
}

/** Text inserted into a {@link ShellCommand} unquoted: the explicit escape hatch (`sh.raw`). */
export class RawShellText {
  constructor(readonly text: string) {
    if (typeof text !== 'string') throw new TypeError(`sh.raw() takes a string, got ${describe(text)}`);
  }
}

/** What may be interpolated into a command: words, numbers, raw text, commands, and lists of them. */
export type ShellValue = string | number | bigint | RawShellText | ShellCommand | readonly ShellValue[];

/**
 * A command line with its interpolated values kept apart from its literal text, rendered per
 * target shell by the runtime. Literal parts are used as written; each value becomes one quoted
 * word, a list several words (an empty list nothing), raw text and nested commands are inserted
 * as they are.
 */
export class ShellCommand {
  readonly #parts: readonly string[];
  readonly #values: readonly ShellValue[];

  /** `parts.length` must be `values.length + 1`, as a tagged template passes them. */
  constructor(parts: readonly string[], values: readonly ShellValue[]) {
    if (parts.length !== values.length + 1) throw new TypeError('ShellCommand: there must be one more text part than values');
    if (parts.some((p) => typeof p !== 'string')) throw new TypeError('sh: the command text has an invalid escape sequence');
    values.forEach((value, index) => checkValue(value, index));
    this.#parts = [...parts];
    this.#values = [...values];
  }

  /** The command line for a shell. */
  render(dialect: ShellDialect): string {
    let out = this.#parts[0]!;
    this.#values.forEach((value, i) => {
      out += renderValue(value, dialect) + this.#parts[i + 1]!;
    });
    return out;
  }

  /** The POSIX rendering (what progress output and results show). */
  toString(): string {
    return this.render('posix');
  }

  toJSON(): string {
    return this.toString();
  }
}

function renderValue(value: ShellValue, dialect: ShellDialect): string {
  if (value instanceof RawShellText) return value.text;
  if (value instanceof ShellCommand) return value.render(dialect);
  if (Array.isArray(value)) return (value as readonly ShellValue[]).map((v) => renderValue(v, dialect)).join(' ');
  return quoteFor(dialect, String(value));
}

function checkValue(value: unknown, index: number): void {
  if (typeof value === 'string') return checkNul(value);
  if (typeof value === 'bigint' || value instanceof RawShellText || value instanceof ShellCommand) return;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return;
  } else if (Array.isArray(value)) {
    for (const item of value) checkValue(item, index);
    return;
  }
  const hint =
    typeof value === 'object' && value !== null && value.constructor?.name === 'Sensitive'
      ? ': a Sensitive value would be visible in the command line and in `ps`; pass it with the envVars option instead'
      : ': interpolate strings, numbers, arrays of them, sh.raw(text) or another sh`...` command';
  throw new TypeError(`sh: value \${${index + 1}} is ${describe(value)}${hint}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  if (typeof value === 'number') return String(value);
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

/** The shell a target's commands run in: PowerShell on WinRM targets, POSIX `sh` otherwise. */
export function shellDialectOf(target: { transport: string }): ShellDialect {
  return target.transport === 'winrm' ? 'powershell' : 'posix';
}

/** A command as text for a target: strings as they are, {@link ShellCommand}s rendered for its shell. */
export function commandFor(command: string | ShellCommand, target: { transport: string }): string {
  return typeof command === 'string' ? command : command.render(shellDialectOf(target));
}
