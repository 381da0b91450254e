/**
 * Codegen phase 2, validate: what the runtime's metadata checks accept but typed code cannot use.
 *
 * The runtime already rejects bad JSON, bad parameter names and unparsable types (phase 1 reports
 * those tasks as load errors). Here: the `extensions.rivet` object has a known shape (checked with
 * ajv), and a declared output describes a JSON object (a task's value always is one, T-30).
 * Problems are errors (the task is left out of the types) or warnings.
 *
 * @example
 * ```ts
 * const problems = validateTasks(tasks);
 * for (const p of problems) console.error(`${p.file ?? p.task}: ${p.key}: ${p.message}`);
 * ```
 * @module
 */
import Ajv from 'ajv';
import type { PuppetType } from '../core/puppet-types/index.ts';
import type { TaskSource } from './read.ts';

export interface Problem {
  severity: 'error' | 'warning';
  task: string;
  file: string | undefined;
  /** The metadata key path, e.g. `extensions.rivet.output`. */
  key: string;
  message: string;
}

const ajv = new Ajv.default({ strict: true, allowUnionTypes: true, allErrors: true });
const checkRivetExtension = ajv.compile({
  type: 'object',
  properties: { output: { type: ['string', 'object'] } },
  additionalProperties: false,
});

/** True when every value of the type is a JSON object (or the type says nothing about it). */
function describesObject(type: PuppetType): boolean {
  switch (type.kind) {
    case 'Struct':
    case 'Hash':
      return true;
    case 'Alias':
    case 'NotUndef':
    case 'Sensitive':
      return type.type === undefined || describesObject(type.type);
    case 'Variant':
      return type.types.length > 0 && type.types.every(describesObject);
    default:
      return false;
  }
}

function schemaDescribesObject(schema: Record<string, unknown>): boolean {
  if (schema['type'] === 'object') return true;
  const alternatives = schema['anyOf'] ?? schema['oneOf'];
  return Array.isArray(alternatives) && alternatives.length > 0 && alternatives.every((a) => typeof a === 'object' && a !== null && schemaDescribesObject(a as Record<string, unknown>));
}

/**
 * Problems with tasks as codegen sees them; tasks with an `error` are left out of the output.
 *
 * @example
 * ```ts
 * validateTasks([readMetadataText('x::y', '{"extensions": {"rivet": {"output": "String"}}}')]);
 * // [{ severity: 'error', key: 'extensions.rivet.output', message: 'a task result value is a JSON object: ...' }]
 * ```
 */
export function validateTasks(tasks: readonly TaskSource[]): Problem[] {
  const problems: Problem[] = [];
  for (const task of tasks) {
    const add = (severity: Problem['severity'], key: string, message: string) => problems.push({ severity, task: task.name, file: task.file, key, message });
    const rivet = task.metadata.extensions?.['rivet'];
    if (rivet !== undefined && !checkRivetExtension(rivet)) {
      const e = checkRivetExtension.errors?.[0];
      const extra = e?.keyword === 'additionalProperties' ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'` : '';
      add('warning', `extensions.rivet${e?.instancePath.replace(/\//g, '.') ?? ''}`, `${e?.message ?? 'is invalid'}${extra} (Rivet reads only 'output')`);
    }
    const output = task.metadata.output;
    if (output !== undefined) {
      const ok = 'type' in output ? describesObject(output.type) : schemaDescribesObject(output.schema);
      if (!ok) {
        const what = 'type' in output ? `'${output.text}'` : 'the JSON Schema';
        add('error', 'extensions.rivet.output', `a task's result value is a JSON object (T-30), so the output must be a Struct, a Hash or an object schema; ${what} is not`);
      }
    }
  }
  return problems;
}
