/**
 * Encoding parameters for the task process (T-23..T-25): JSON on stdin and `PT_<name>`
 * environment variables. Sensitive values are unwrapped here and nowhere else.
 *
 * @example
 * ```ts
 * taskInput({ name: 'x', count: 2, _task: 'demo' }, 'both');
 * // { stdin: '{"name":"x","count":2,"_task":"demo"}', env: { PT_name: 'x', PT_count: '2', PT__task: 'demo' } }
 * ```
 * @module
 */
import type { InputMethod } from './metadata.ts';
import { unwrapSensitive } from './validate.ts';

/** What the transport feeds the process. */
export interface TaskInput {
  /** Written to stdin then closed (T-24); undefined when stdin is not used. */
  stdin: string | undefined;
  /** `PT_*` variables (T-25); empty when the environment is not used. */
  env: Record<string, string>;
  /** The plain parameters (for the PowerShell splatting wrapper, T-26). */
  params: Record<string, unknown>;
}

/**
 * The JSON written on stdin: every parameter and metaparameter, Sensitive unwrapped.
 *
 * @example
 * ```ts
 * stdinJson({ a: 1 }); // '{"a":1}'
 * ```
 */
export function stdinJson(params: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(unwrapSensitive(params));
}

/**
 * `PT_<name>` for each parameter: strings raw, everything else JSON (`null` → `"null"`).
 *
 * @example
 * ```ts
 * envVars({ list: ['a'], none: null, s: 'x' }); // { PT_list: '["a"]', PT_none: 'null', PT_s: 'x' }
 * ```
 */
export function envVars(params: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(unwrapSensitive(params) as Record<string, unknown>)) {
    if (value === undefined) continue;
    env[`PT_${key}`] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}

/**
 * Input for an input method: `stdin`, `environment`, `both`, or `powershell` (neither: the
 * PowerShell wrapper splats `params`).
 *
 * @example
 * ```ts
 * taskInput({ a: 1 }, 'stdin'); // { stdin: '{"a":1}', env: {}, params: { a: 1 } }
 * ```
 */
export function taskInput(params: Readonly<Record<string, unknown>>, method: InputMethod): TaskInput {
  const plain = unwrapSensitive(params) as Record<string, unknown>;
  return {
    stdin: method === 'stdin' || method === 'both' ? JSON.stringify(plain) : undefined,
    env: method === 'environment' || method === 'both' ? envVars(plain) : {},
    params: plain,
  };
}
