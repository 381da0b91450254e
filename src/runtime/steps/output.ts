/**
 * Turning a run's bytes into result values.
 *
 * @example
 * ```ts
 * decodeOutput(Buffer.from([0x61, 0xff])); // 'a\\xFF'
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../../core/errors.ts';
import type { CommandValue } from '../../core/result.ts';
import type { RunResult } from '../../transports/transport.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text; invalid bytes are escaped as `\xNN` (as Bolt's `to_data` does, P-34). */
export function decodeOutput(bytes: Buffer): string {
  try {
    return decoder.decode(bytes);
  } catch {
    let out = '';
    let i = 0;
    while (i < bytes.length) {
      const width = utf8Width(bytes, i);
      if (width === 0) {
        out += `\\x${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
        i += 1;
      } else {
        out += bytes.subarray(i, i + width).toString('utf8');
        i += width;
      }
    }
    return out;
  }
}

/** Length of the valid UTF-8 sequence starting at i, or 0. */
function utf8Width(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const width = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? (b <= 0xef ? 3 : 0) : b >= 0xc2 ? 2 : 0;
  if (width === 0 || i + width > bytes.length) return 0;
  for (let k = 1; k < width; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  try {
    decoder.decode(bytes.subarray(i, i + width));
    return width;
  } catch {
    return 0;
  }
}

/** The error of a run that timed out or was canceled, or undefined. */
export function interruptionError(run: RunResult, target: string, timeoutMs: number | undefined): RivetError | undefined {
  if (run.timedOut) {
    return new RivetError(ErrorKind.Timeout, `Timed out after ${((timeoutMs ?? 0) / 1000).toFixed(1)} s on ${target}; the remote process was killed`, {
      issueCode: 'TIMEOUT',
      target,
      details: { timeout_ms: timeoutMs },
    });
  }
  if (run.canceled) return new RivetError(ErrorKind.Canceled, `Canceled on ${target}; the remote process was killed`, { target });
  return undefined;
}

/** A command's or script's value (T-37): stdout, stderr, merged output, exit code, `_error`. */
export function commandValue(run: RunResult, target: string, timeoutMs?: number): CommandValue {
  const value: CommandValue = {
    stdout: decodeOutput(run.stdout),
    stderr: decodeOutput(run.stderr),
    merged_output: decodeOutput(run.merged),
    exit_code: run.exitCode ?? -1,
  };
  const interrupted = interruptionError(run, target, timeoutMs);
  if (interrupted) {
    value._error = interrupted.toJSON();
  } else if (run.exitCode !== 0) {
    const code = run.exitCode ?? `signal ${run.signal ?? 'unknown'}`;
    value._error = {
      kind: ErrorKind.Command,
      issue_code: 'COMMAND_ERROR',
      msg: `The command failed with exit code ${code}`,
      details: { exit_code: run.exitCode ?? -1 },
    };
    if (run.exitCode === 126) value.stderr += noexecHint();
  }
  return value;
}

/** T-38: exit 126 usually means the temp dir is mounted noexec. */
export function noexecHint(): string {
  return '\nThis may be caused by the default tmpdir being mounted with "noexec". See tmpdir in the transport configuration to use another directory.';
}
