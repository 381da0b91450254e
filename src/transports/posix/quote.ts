/**
 * Environment variable names for the exec protocol. Shell quoting itself lives in
 * `src/core/shell.ts` (one implementation for transports and the SDK's `sh`).
 *
 * @example
 * ```ts
 * isEnvName('RIVET_VALUE'); // true
 * ```
 * @module
 */

/** True for a valid environment variable name (what `export NAME=...` accepts). */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
