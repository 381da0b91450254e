/**
 * How a durable run's values (plan parameters, step results, the plan's result) are written to
 * Postgres: JSON, where every `Sensitive` value is encrypted (AES-256-GCM, with a key derived from
 * `RIVET_DURABLE_KEY`, or without it a random key this process alone knows). No secret reaches
 * the database in clear.
 *
 * A resumed run needs the same key to get its secrets back; without it a `Sensitive` value revives
 * as {@link MissingSecret}, and the step that sends it to a target fails with
 * `rivet/durable-secret-unavailable` instead of sending a wrong value.
 *
 * @example
 * ```ts
 * const serializer = durableSerializer(process.env.RIVET_DURABLE_KEY);
 * serializer.stringify({ password: new Sensitive('s3cret') }); // {"password":{"$rivetSensitive":"v1:..."}}
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { RivetError, isRivetError } from '../../core/errors.ts';
import { Sensitive } from '../../core/result.ts';

const SENSITIVE = '$rivetSensitive';
const ERROR = '$rivetError';

/** The serializer DBOS is configured with (its `DBOSSerializer` interface). */
export interface DurableSerializer {
  name(): string;
  stringify(value: unknown): string;
  parse(text: string | null | undefined): unknown;
}

/** The value of a `Sensitive` that was written without a key (or with another key). */
export class MissingSecret {
  toString(): string {
    throw new RivetError(
      'rivet/durable-secret-unavailable',
      'A sensitive value of this durable run cannot be read back: resume it with the RIVET_DURABLE_KEY it started with',
    );
  }
  toJSON(): string {
    return this.toString();
  }
}

function keyOf(secret: string): Buffer {
  return createHash('sha256').update(`rivet-durable:${secret}`).digest();
}

function encrypt(key: Buffer, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value ?? null), 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

function decrypt(key: Buffer, text: string): unknown {
  const raw = Buffer.from(text.slice(3), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as unknown;
}

/** `value` as JSON-ready data with every Sensitive replaced by its encrypted form. */
function toData(value: unknown, key: Buffer, seen: Set<unknown>): unknown {
  if (value instanceof Sensitive) return { [SENSITIVE]: encrypt(key, value.unwrap()) };
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (seen.has(value)) return null;
  seen.add(value);
  try {
    if (isRivetError(value)) return { [ERROR]: toData(value.toJSON(), key, seen) };
    if (value instanceof Error) return { [ERROR]: { kind: 'puppetlabs.tasks/exception-error', msg: value.message, details: { class: value.name } } };
    if (Array.isArray(value)) return value.map((item) => toData(item, key, seen));
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return toData((value as { toJSON(): unknown }).toJSON(), key, seen);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = toData(v, key, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

/** The serializer for a run; `secret` is `RIVET_DURABLE_KEY` (undefined: a key for this process only). */
export function durableSerializer(secret: string | undefined): DurableSerializer {
  // Without a key, a key for this process only: the run works, and a resume elsewhere gets MissingSecret.
  const key = secret === undefined || secret === '' ? randomBytes(32) : keyOf(secret);
  return {
    name: () => 'rivet-json-v1',
    stringify: (value) => JSON.stringify(toData(value, key, new Set()) ?? null),
    parse(text) {
      if (text === null || text === undefined) return null;
      return JSON.parse(text, (_k, item: unknown) => {
        if (item === null || typeof item !== 'object') return item;
        const record = item as Record<string, unknown>;
        if (SENSITIVE in record) {
          const sealed = record[SENSITIVE];
          if (typeof sealed !== 'string') return new Sensitive(new MissingSecret());
          try {
            return new Sensitive(decrypt(key, sealed));
          } catch {
            return new Sensitive(new MissingSecret());
          }
        }
        if (ERROR in record && Object.keys(record).length === 1) {
          const data = record[ERROR] as Parameters<typeof RivetError.fromData>[0];
          return RivetError.fromData(data);
        }
        return item;
      }) as unknown;
    },
  };
}

/** Throws when a revived Sensitive value could not be decrypted (see {@link MissingSecret}). */
export function assertSecretsAvailable(value: unknown): void {
  if (value instanceof Sensitive && value.unwrap() instanceof MissingSecret) (value.unwrap() as MissingSecret).toString();
  if (value !== null && typeof value === 'object' && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
    for (const item of Object.values(value)) assertSecretsAvailable(item);
  }
}
