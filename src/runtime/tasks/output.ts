/**
 * Turning a finished process (stdout, stderr, exit code) into a result value, exactly as Bolt's
 * `Result.for_task` and `Result.for_command` do (T-30..T-38).
 *
 * @example
 * ```ts
 * taskResultValue({ stdout: Buffer.from('{"a":1}'), stderr: Buffer.alloc(0), exitCode: 0, task: 'demo' });
 * // { a: 1 }
 * taskResultValue({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 3, task: 'demo' })._error.msg;
 * // 'The task failed with exit code 3 and no output'
 * ```
 * @module
 */
import { ErrorKind, Sensitive, type CommandValue, type ErrorData, type SourceLocation } from '../../core/index.ts';

/** Appended to stderr of a POSIX shell process that exits 126 (T-38). */
export const NOEXEC_HINT =
  "\n\nThis might be caused by the default tmpdir being mounted using 'noexec'. See http://pup.pt/task-failure for details and workarounds.";

/** What a finished process left behind. */
export interface ProcessOutput {
  stdout: Buffer | string;
  stderr: Buffer | string;
  /** `null` when the process was killed by a signal. */
  exitCode: number | null;
  signal?: string | null;
  /** The plan step that ran it, added to error details as `file`/`line`. */
  location?: SourceLocation;
  /** True (default) for POSIX shells (ssh, local on POSIX): exit 126 gets the noexec hint. */
  posixShell?: boolean;
}

export interface TaskOutput extends ProcessOutput {
  /** The task's name, for the invalid `_error` message. */
  task: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Buffer | string): string | undefined {
  if (typeof bytes === 'string') return bytes;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Decodes UTF-8, writing each invalid byte as `\xHH` (as Bolt's `safe_value` does).
 *
 * @example
 * ```ts
 * scrubUtf8(Buffer.from([0x61, 0xff])); // 'a\\xFF'
 * ```
 */
export function scrubUtf8(bytes: Buffer | string): string {
  if (typeof bytes === 'string') return bytes;
  const valid = decodeUtf8(bytes);
  if (valid !== undefined) return valid;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= bytes.length) {
      const chunk = decodeUtf8(bytes.subarray(i, i + len));
      if (chunk !== undefined) {
        out += chunk;
        i += len;
        continue;
      }
    }
    out += `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
    i += 1;
  }
  return out;
}

function positionDetails(location: SourceLocation | undefined): Record<string, unknown> {
  return location === undefined ? {} : { file: location.file, line: location.line };
}

function exitText(output: ProcessOutput): string {
  if (output.exitCode !== null) return String(output.exitCode);
  return output.signal ? `null (killed by signal ${output.signal})` : 'null';
}

/** stderr as text, with the noexec hint for exit 126 on POSIX shells (T-38). */
export function stderrText(output: ProcessOutput): string {
  const text = scrubUtf8(output.stderr);
  return output.exitCode === 126 && output.posixShell !== false ? text + NOEXEC_HINT : text;
}

/**
 * A Ruby-`inspect`-like rendering of a JSON value (Bolt's invalid `_error` message shows it so).
 *
 * @example
 * ```ts
 * rubyInspect({ a: [1, null] }); // '{"a"=>[1, nil]}'
 * ```
 */
export function rubyInspect(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=>${rubyInspect(v)}`).join(', ')}}`;
  }
  return String(value);
}

/**
 * Deepest nesting of task output JSON kept as a value (Ruby's JSON `max_nesting`, which Bolt's
 * parser uses): deeper output is kept as text in `_output`, as Bolt does.
 */
export const MAX_OUTPUT_DEPTH = 100;

/**
 * True when arrays and objects in `value` nest at most `max` levels (`{}` is 1). Iterative, so
 * any depth is safe to check.
 *
 * @example
 * ```ts
 * jsonDepthAtMost({ a: [1] }, 2); // true
 * jsonDepthAtMost({ a: [[1]] }, 2); // false
 * ```
 */
export function jsonDepthAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return false;
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return true;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The value of a task result (T-30..T-36, T-38):
 * - stdout is JSON of an object → that object; else `{_output: stdout}`;
 * - invalid UTF-8 on stdout → `_error` `TASK_ERROR` "The task result contained invalid UTF-8 on stdout";
 * - non-zero exit without `_error` → synthesized `_error` (three messages, T-32);
 * - an `_error` that is not an object with `msg` → `bolt/invalid-task-error`;
 * - missing `kind` → `bolt/error`, missing `details` → the step's file/line;
 * - `_sensitive` → wrapped in {@link Sensitive}.
 * stderr is never part of the value (T-37).
 *
 * @example
 * ```ts
 * taskResultValue({ stdout: 'hello', stderr: '', exitCode: 0, task: 'demo' }); // { _output: 'hello' }
 * ```
 */
export function taskResultValue(output: TaskOutput): Record<string, unknown> {
  const stdout = decodeUtf8(output.stdout);
  const details = positionDetails(output.location);
  let value: Record<string, unknown>;
  if (stdout === undefined) {
    value = {
      _error: { kind: ErrorKind.Task, issue_code: 'TASK_ERROR', msg: 'The task result contained invalid UTF-8 on stdout', details: { ...details } },
    };
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout);
    } catch {
      parsed = undefined;
    }
    // Nested deeper than Ruby's JSON `max_nesting` (Bolt's parser fails, and keeps the text).
    value = isRecord(parsed) && jsonDepthAtMost(parsed, MAX_OUTPUT_DEPTH) ? parsed : { _output: stdout };
  }

  if (output.exitCode !== 0 && (value['_error'] === undefined || value['_error'] === null)) {
    const stderr = stderrText(output);
    const code = exitText(output);
    const msg =
      stdout === ''
        ? stderr === ''
          ? `The task failed with exit code ${code} and no output`
          : `The task failed with exit code ${code} and no stdout, but stderr contained:\n${stderr}`
        : `The task failed with exit code ${code}`;
    value['_error'] = { kind: ErrorKind.Task, issue_code: 'TASK_ERROR', msg, details: { ...details, exit_code: output.exitCode } };
  }

  if (Object.hasOwn(value, '_error')) {
    const error = value['_error'];
    if (!isRecord(error) || !Object.hasOwn(error, 'msg')) {
      value['_error'] = {
        msg: `Invalid error returned from task ${output.task}: ${rubyInspect(error)}. Error must be an object with a msg key.`,
        kind: ErrorKind.InvalidTaskError,
        details: { ...details, original_error: error },
      };
    } else {
      const fixed: Record<string, unknown> = { ...error };
      if (fixed['kind'] === undefined || fixed['kind'] === null || fixed['kind'] === false) fixed['kind'] = ErrorKind.Generic;
      if (fixed['details'] === undefined || fixed['details'] === null || fixed['details'] === false) fixed['details'] = { ...details };
      value['_error'] = fixed;
    }
  }

  if (Object.hasOwn(value, '_sensitive')) value['_sensitive'] = new Sensitive(value['_sensitive']);
  return value;
}

/**
 * The value of a command or script result (T-37): `{stdout, stderr, merged_output, exit_code}`,
 * plus `_error` (`puppetlabs.tasks/command-error`, "The command failed with exit code N") when the
 * exit code is not 0.
 *
 * @example
 * ```ts
 * commandResultValue({ stdout: 'a\n', stderr: '', exitCode: 3 })._error?.msg; // 'The command failed with exit code 3'
 * ```
 */
export function commandResultValue(output: ProcessOutput & { mergedOutput?: Buffer | string }): CommandValue {
  const stdout = scrubUtf8(output.stdout);
  const stderr = stderrText(output);
  const merged = output.mergedOutput === undefined ? stdout + stderr : scrubUtf8(output.mergedOutput) + (output.exitCode === 126 && output.posixShell !== false ? NOEXEC_HINT : '');
  const value: CommandValue = { stdout, stderr, merged_output: merged, exit_code: output.exitCode as number };
  if (output.exitCode !== 0) {
    const error: ErrorData = {
      kind: ErrorKind.Command,
      issue_code: 'COMMAND_ERROR',
      msg: `The command failed with exit code ${exitText(output)}`,
      details: { ...positionDetails(output.location), exit_code: output.exitCode },
    };
    value._error = error;
  }
  return value;
}
