/**
 * The `max-output` setting: how many bytes of each target's stdout, stderr and merged output a step
 * keeps (default 10 MiB each). Set by the `--max-output` flag or the transport config key
 * `max-output` (bytes, or a size such as `512KiB`, `10MiB`, `1GiB`).
 *
 * @example
 * ```ts
 * parseByteSize('10MiB'); // 10485760
 * resolveMaxOutput(target); // 10485760 unless the target's config says otherwise
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../core/errors.ts';
import { transportOptions, type Target } from '../core/target.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../transports/posix/capture.ts';

export { DEFAULT_MAX_OUTPUT_BYTES };

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Bytes from a size: a whole number of bytes, or a number with `K`, `M` or `G` (binary units;
 * `KiB`, `KB`, `k` all mean 1024). Undefined when the text is not a size of at least 1 byte.
 *
 * @example
 * ```ts
 * parseByteSize('512k'); // 524288
 * parseByteSize(100);    // 100
 * parseByteSize('lots'); // undefined
 * ```
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) return undefined;
  const bytes = Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] as number);
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}

/**
 * The target's `max-output` in bytes (default {@link DEFAULT_MAX_OUTPUT_BYTES}).
 *
 * @throws RivetError when the configured value is not a size.
 */
export function resolveMaxOutput(target: Target): number {
  const value = transportOptions(target)['max-output'];
  if (value === undefined || value === null) return DEFAULT_MAX_OUTPUT_BYTES;
  const bytes = parseByteSize(value);
  if (bytes === undefined) {
    throw new RivetError(ErrorKind.Validation, `max-output of ${target.name} must be a size in bytes such as 1048576 or 10MiB, not ${JSON.stringify(value)}`, { target: target.name });
  }
  return bytes;
}

/**
 * The warning for a run whose output was cut at `max-output`, or undefined when nothing was cut.
 *
 * @example
 * ```ts
 * truncationWarning('web1', { stdout: 5, stderr: 0 }, 1024);
 * // "Output of web1 was truncated at max-output (1024 bytes per stream): 5 bytes of stdout not kept; ..."
 * ```
 */
export function truncationWarning(target: string, dropped: { stdout: number; stderr: number } | undefined, limit: number): string | undefined {
  if (dropped === undefined || (dropped.stdout === 0 && dropped.stderr === 0)) return undefined;
  const parts = [dropped.stdout > 0 ? `${dropped.stdout} bytes of stdout` : '', dropped.stderr > 0 ? `${dropped.stderr} bytes of stderr` : ''].filter(Boolean);
  return `Output of ${target} was truncated at max-output (${limit} bytes per stream): ${parts.join(' and ')} not kept; raise --max-output or the max-output setting to keep more (--stream shows all of it)`;
}
