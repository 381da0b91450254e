/**
 * A plan's return value as JSON (C-10): ResultSets as Bolt's `to_data` array, Results as their
 * `to_data`, errors as `{kind, msg, details}`, Targets as their name, Sensitive redacted,
 * `undefined` as `null`.
 *
 * @example
 * ```ts
 * planResultJSON(await runner.run('site::deploy', params)); // '[{"target":"web1",...}]'
 * ```
 * @module
 */
import { isRivetError } from '../../core/errors.ts';
import { safeName } from '../../core/target.ts';
import { isTarget } from './params.ts';

/** The JSON-ready data of a plan result. */
export function planResultData(value: unknown): unknown {
  const text = planResultJSON(value, 0);
  return JSON.parse(text) as unknown;
}

export function planResultJSON(value: unknown, indent = 2): string {
  return (
    JSON.stringify(
      value === undefined ? null : value,
      function replacer(this: unknown, _key: string, item: unknown) {
        if (isRivetError(item)) return item.toJSON();
        if (isTarget(item)) return safeName(item);
        if (item instanceof Error) return { kind: 'puppetlabs.tasks/exception-error', msg: item.message, details: { class: item.name } };
        return item;
      },
      indent,
    ) ?? 'null'
  );
}
