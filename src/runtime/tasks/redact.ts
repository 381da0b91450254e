/**
 * Keeping secrets out of logs, results and error messages: sensitive parameters and `_sensitive`
 * output become `Sensitive [value redacted]`, and known secret strings are masked inside free text
 * (a task that echoes its password in `_output` or an error message does not leak it).
 *
 * @example
 * ```ts
 * redactParams({ user: 'a', password: 'hunter2' }, ['password']); // { user: 'a', password: 'Sensitive [value redacted]' }
 * redactText('login failed for hunter2', ['hunter2']); // 'login failed for Sensitive [value redacted]'
 * ```
 * @module
 */
import { REDACTED, Sensitive } from '../../core/index.ts';

/**
 * A copy of params with each sensitive one (named, or already a {@link Sensitive}) replaced by
 * the redaction text. Nested Sensitive values are redacted too.
 *
 * @example
 * ```ts
 * redactParams({ token: new Sensitive('x') }); // { token: 'Sensitive [value redacted]' }
 * ```
 */
export function redactParams(params: Readonly<Record<string, unknown>>, sensitive: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    out[key] = sensitive.includes(key) ? REDACTED : redactValue(value);
  }
  return out;
}

/**
 * Replaces every Sensitive (at any depth) and a top-level `_sensitive` key by the redaction text.
 *
 * @example
 * ```ts
 * redactValue({ a: 1, _sensitive: { pw: 'x' } }); // { a: 1, _sensitive: 'Sensitive [value redacted]' }
 * ```
 */
export function redactValue(value: unknown, topLevel = true): unknown {
  if (value instanceof Sensitive) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, false));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, topLevel && k === '_sensitive' ? REDACTED : redactValue(v, false)]));
  }
  return value;
}

/**
 * Every secret string inside params: the sensitive ones' values, flattened (strings of length
 * ≥ 3 only, to avoid masking every "1"), plus anything wrapped in Sensitive.
 *
 * @example
 * ```ts
 * secretStrings({ password: 'hunter2', port: 22 }, ['password']); // ['hunter2']
 * ```
 */
export function secretStrings(params: Readonly<Record<string, unknown>>, sensitive: readonly string[] = []): string[] {
  const out = new Set<string>();
  const collect = (value: unknown, secret: boolean): void => {
    if (value instanceof Sensitive) return collect(value.unwrap(), true);
    if (Array.isArray(value)) return value.forEach((v) => collect(v, secret));
    if (value !== null && typeof value === 'object') return Object.values(value).forEach((v) => collect(v, secret));
    if (!secret || value === undefined || value === null) return;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (text.length >= 3) out.add(text);
  };
  for (const [key, value] of Object.entries(params)) collect(value, sensitive.includes(key));
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * Masks each secret wherever it appears in `text` (longest first).
 *
 * @example
 * ```ts
 * redactText('pw=hunter2', ['hunter2']); // 'pw=Sensitive [value redacted]'
 * ```
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Masks secret strings in every string of a JSON-like value (for a task result that echoes a
 * secret in `_output` or `_error.msg`), and redacts Sensitive values.
 *
 * @example
 * ```ts
 * redactDeep({ _output: 'token hunter2' }, ['hunter2']); // { _output: 'token Sensitive [value redacted]' }
 * ```
 */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (value instanceof Sensitive) return REDACTED;
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)]));
  }
  return value;
}
