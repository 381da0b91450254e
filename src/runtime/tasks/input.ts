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
import { ErrorKind, RivetError } from '../../core/errors.ts';
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
  const env = method === 'environment' || method === 'both' ? envVars(plain) : {};
  assertEnvFits(env, method);
  return {
    stdin: method === 'stdin' || method === 'both' ? JSON.stringify(plain) : undefined,
    env,
    params: plain,
  };
}

/**
 * Largest `NAME=value` string Linux passes to a program (`MAX_ARG_STRLEN`, 32 pages of 4 KiB,
 * including the NUL byte). A larger one fails the task's exec with "Argument list too long".
 */
export const MAX_ENV_ENTRY_BYTES = 128 * 1024;
/** Largest total of all `PT_*` variables (Linux allows about 2 MiB for argv and env together). */
export const MAX_ENV_TOTAL_BYTES = 1024 * 1024;

/**
 * Refuses `PT_*` variables the target's kernel would refuse, naming the parameter.
 *
 * @throws RivetError `puppetlabs.tasks/task-error`, issue code `PARAMETER_TOO_LARGE`.
 * @example
 * ```ts
 * assertEnvFits({ PT_blob: 'x'.repeat(2 * 1024 * 1024) }, 'environment');
 * // throws: "Parameter 'blob' is 2097152 bytes, too large for an environment variable ... use input_method: stdin"
 * ```
 */
export function assertEnvFits(env: Readonly<Record<string, string>>, method: InputMethod): void {
  let total = 0;
  let largest: [string, number] = ['', 0];
  for (const [name, value] of Object.entries(env)) {
    const size = Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;
    total += size;
    if (size > largest[1]) largest = [name, size];
  }
  const [name, size] = largest;
  if (size <= MAX_ENV_ENTRY_BYTES && total <= MAX_ENV_TOTAL_BYTES) return;
  const param = name.replace(/^PT_/, '');
  const why =
    size > MAX_ENV_ENTRY_BYTES
      ? `Parameter '${param}' is ${size} bytes as the environment variable ${name}, more than the ${MAX_ENV_ENTRY_BYTES} bytes a variable may hold`
      : `The task's parameters take ${total} bytes as environment variables, more than ${MAX_ENV_TOTAL_BYTES} bytes (the largest is '${param}')`;
  throw new RivetError(ErrorKind.Task, `${why}; the task uses input_method: ${method}: set input_method: stdin in its metadata to pass large values`, {
    issueCode: 'PARAMETER_TOO_LARGE',
    details: { parameter: param, bytes: size, input_method: method },
  });
}
