/**
 * One result shape for success and failure: {@link Result} per target, {@link ResultSet} per step.
 *
 * A failed target is not an exception: its Result has `ok === false` and carries the error in
 * `value._error`, exactly as Bolt's `Result#to_data`. Whether a failure throws is the caller's
 * choice (see the SDK's `catchErrors` option).
 *
 * @example
 * ```ts
 * const set = await runCommand('uptime', 'web');
 * for (const r of set.errorSet) console.error(r.target.name, r.error()?.msg);
 * console.log(JSON.stringify(set)); // Bolt's to_data array
 * ```
 * @module
 */
import { RivetError, type ErrorData } from './errors.ts';
import { safeName, type Target } from './target.ts';
import { scrubStrings, uriPasswordRedactorFor } from './uri-passwords.ts';

export type Action =
  | 'command'
  | 'script'
  | 'task'
  | 'upload'
  | 'download'
  | 'wait_until_available'
  | 'plan'
  | (string & {});

/** Bolt's `to_data` shape for one target's result. */
export interface ResultData<V = Record<string, unknown>> {
  target: string;
  action: Action;
  object: string | null;
  status: 'success' | 'failure';
  value: V;
}

/** The value of a command or script result (T-37). */
export interface CommandValue {
  stdout: string;
  stderr: string;
  merged_output: string;
  exit_code: number;
  _error?: ErrorData;
  [key: string]: unknown;
}

/** What a target's `value` looks like when nothing more is known: JSON. */
export type ResultValue = Record<string, unknown>;

/** The placeholder Bolt prints for sensitive values. */
export const REDACTED = 'Sensitive [value redacted]';

/** A value that must never be printed, logged or serialised. `toJSON` redacts it. */
export class Sensitive<T = unknown> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  /** The secret itself: only for sending it to a target. */
  unwrap(): T {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** `value` with every {@link Sensitive} in it replaced by {@link REDACTED} (copies only what changes). */
export function redactSensitive<T>(value: T, depth = 0): T {
  if (value instanceof Sensitive) return REDACTED as T;
  if (value === null || typeof value !== 'object' || depth > 100) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const r = redactSensitive(item, depth + 1);
      if (r !== item) (out ??= [...value])[i] = r;
    });
    return (out ?? value) as T;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const r = redactSensitive(item, depth + 1);
    if (r !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = r;
  }
  return (out ?? value) as T;
}

export class Result<V extends ResultValue = ResultValue> {
  readonly target: Target;
  readonly action: Action;
  readonly object: string | null;
  readonly value: V;
  /** Wall time of the step on this target, in milliseconds. */
  readonly durationMs: number;

  constructor(init: { target: Target; action: Action; object?: string | null; value: V; durationMs?: number }) {
    this.target = init.target;
    this.action = init.action;
    this.object = init.object ?? null;
    this.value = init.value;
    this.durationMs = init.durationMs ?? 0;
  }

  /** A failed result from an error (connection refused, timeout, ...). */
  static failure(target: Target, action: Action, object: string | null, error: RivetError, durationMs = 0): Result {
    // Error messages name the target: never with the password of its URI.
    const redact = uriPasswordRedactorFor([target.name]);
    return new Result({ target, action, object, value: { _error: scrubStrings(error.toJSON(), redact) }, durationMs });
  }

  /** Success unless the value carries an `_error` (T-33). */
  get ok(): boolean {
    return !('_error' in this.value) || this.value['_error'] === undefined;
  }

  get status(): 'success' | 'failure' {
    return this.ok ? 'success' : 'failure';
  }

  /** The error of a failed result, as a RivetError (undefined on success). */
  error(): RivetError | undefined {
    const data = this.value['_error'] as ErrorData | undefined;
    return data === undefined ? undefined : RivetError.fromData(data, this.target.name);
  }

  /** A task's plain-text output (`_output`), if any. */
  get message(): string | undefined {
    const output = this.value['_output'];
    return typeof output === 'string' ? output : undefined;
  }

  /**
   * Bolt's `to_data` (P-34): plain data, with every Sensitive value (a task's `_sensitive`
   * included) as the text `Sensitive [value redacted]`. Output bytes that are not UTF-8 were
   * escaped as `\xNN` when the value was made (`scrubUtf8`).
   */
  toJSON(): ResultData<V> {
    return {
      target: safeName(this.target),
      action: this.action,
      object: this.object,
      status: this.status,
      value: redactSensitive(this.value),
    };
  }
}

export class ResultSet<V extends ResultValue = ResultValue> implements Iterable<Result<V>> {
  readonly results: readonly Result<V>[];

  constructor(results: Iterable<Result<V>> = []) {
    this.results = [...results];
  }

  [Symbol.iterator](): Iterator<Result<V>> {
    return this.results[Symbol.iterator]();
  }

  get length(): number {
    return this.results.length;
  }
  get count(): number {
    return this.results.length;
  }
  get empty(): boolean {
    return this.results.length === 0;
  }
  /** True when every target succeeded (an empty set is ok). */
  get ok(): boolean {
    return this.results.every((r) => r.ok);
  }
  get okSet(): ResultSet<V> {
    return this.filterSet((r) => r.ok);
  }
  get errorSet(): ResultSet<V> {
    return this.filterSet((r) => !r.ok);
  }
  filterSet(predicate: (result: Result<V>) => boolean): ResultSet<V> {
    return new ResultSet(this.results.filter(predicate));
  }
  /** The result for the target with this name. */
  find(name: string): Result<V> | undefined {
    return this.results.find((r) => r.target.name === name);
  }
  get first(): Result<V> | undefined {
    return this.results[0];
  }
  at(index: number): Result<V> | undefined {
    return this.results.at(index);
  }
  slice(start?: number, end?: number): ResultSet<V> {
    return new ResultSet(this.results.slice(start, end));
  }
  get names(): string[] {
    return this.results.map((r) => r.target.name);
  }
  get targets(): Target[] {
    return this.results.map((r) => r.target);
  }
  map<T>(fn: (result: Result<V>, index: number) => T): T[] {
    return this.results.map(fn);
  }
  /** Bolt's `to_data`: an array of each result's data. */
  toJSON(): ResultData<V>[] {
    return this.results.map((r) => r.toJSON());
  }
}
