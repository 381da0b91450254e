/**
 * Puppet type checks for plan parameters, through the same parser and ajv validator as task
 * parameters (`src/core/puppet-types`, `src/runtime/tasks/validate.ts`): one parser for both.
 *
 * @module
 */
import { acceptsUndef, parseType } from '../../core/puppet-types/index.ts';
import { explainMismatch, matchesType } from '../tasks/validate.ts';

/** True when the type accepts undef (`Optional[...]`, `Undef`, `Any`, `Data`, ...). */
export function puppetAcceptsUndef(type: string): boolean {
  return acceptsUndef(parseType(type));
}

/** Why the value does not match the type (`expects a String[1], got 5`), or undefined. */
export function puppetMismatch(type: string, value: unknown, secret: boolean): string | undefined {
  return explainMismatch(parseType(type), value, secret);
}

/** True when the value matches the type. */
export function puppetMatches(type: string, value: unknown): boolean {
  return matchesType(type, value);
}
