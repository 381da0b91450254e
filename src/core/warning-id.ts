/**
 * Warning IDs, as Bolt's `Bolt::Logger.warn(id, msg)` has them (C-15): the message ends with
 * `[ID: <id>]`, and listing the id under `disable-warnings` in the project file (or
 * bolt-defaults.yaml) silences it. Rivet uses Bolt's ids where Bolt has the same warning.
 *
 * @example
 * ```ts
 * const text = withWarningId('unknown_option', "unknown key 'x' is ignored"); // "unknown key 'x' is ignored [ID: unknown_option]"
 * warningId(text);                                                            // 'unknown_option'
 * withoutDisabled([text, 'other'], ['unknown_option']);                        // ['other']
 * ```
 * @module
 */

/** The message with Bolt's `[ID: id]` suffix. */
export function withWarningId(id: string, message: string): string {
  return `${message} [ID: ${id}]`;
}

/** The id of a warning made by {@link withWarningId}, if it has one. */
export function warningId(warning: string): string | undefined {
  return /\[ID: ([a-z0-9_]+)\]$/.exec(warning)?.[1];
}

/** The warnings whose id is not listed in `disabled` (Bolt's `disable-warnings`). */
export function withoutDisabled(warnings: readonly string[], disabled: readonly string[] | undefined): string[] {
  if (disabled === undefined || disabled.length === 0) return [...warnings];
  const off = new Set(disabled);
  return warnings.filter((w) => {
    const id = warningId(w);
    return id === undefined || !off.has(id);
  });
}
