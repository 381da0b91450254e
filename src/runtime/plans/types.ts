/**
 * Puppet type checks for plan parameters, through the shared Puppet type parser and ajv validator
 * of task parameters (`src/core/puppet-types`, `src/runtime/tasks/validate.ts`).
 *
 * Until that parser is merged, only the outer shape is looked at: `Optional[...]`/`Undef`/`Any`/
 * `Data` accept undef, and values are not type-checked.
 *
 * @module
 */

/** True when the type accepts undef. */
export function puppetAcceptsUndef(type: string): boolean {
  return /^\s*(Optional\[|Undef\s*$|Any\s*$|Data\s*$)/.test(type);
}

/** Why the value does not match the type, or undefined. */
export function puppetMismatch(_type: string, _value: unknown, _secret: boolean): string | undefined {
  return undefined;
}

/** True when the value matches the type. */
export function puppetMatches(type: string, value: unknown): boolean {
  const inner = type.replace(/^\s*Optional\[(.*)\]\s*$/s, '$1').trim();
  if (/^(String|Enum|Pattern|Sensitive)\b/.test(inner)) return typeof value === 'string';
  return true;
}
