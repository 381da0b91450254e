/** The durable runs' serializer (issue 15, secrets): Sensitive values are encrypted, and come back only with the same key. */
import { describe, expect, it } from 'vitest';
import { RivetError } from '../../src/core/errors.ts';
import { Sensitive } from '../../src/core/result.ts';
import { assertSecretsAvailable, durableSerializer, MissingSecret } from '../../src/runtime/durable/serializer.ts';

describe('durableSerializer', () => {
  it('encrypts every Sensitive value, nested or not, and revives it with the same key', () => {
    const value = { token: new Sensitive('canary-1'), list: [new Sensitive({ deep: 'canary-2' })], plain: 'visible' };
    const text = durableSerializer('key-a').stringify(value);
    expect(text).not.toMatch(/canary/);
    expect(text).toContain('visible');
    const back = durableSerializer('key-a').parse(text) as { token: Sensitive; list: Sensitive[]; plain: string };
    expect(back.token.unwrap()).toBe('canary-1');
    expect(back.list[0]!.unwrap()).toEqual({ deep: 'canary-2' });
    expect(back.plain).toBe('visible');
  });

  it('another key, or none (a key of the writing process only), revives a MissingSecret that refuses to be used', () => {
    const text = durableSerializer(undefined).stringify({ token: new Sensitive('canary-3') });
    expect(text).not.toContain('canary-3');
    for (const reader of [durableSerializer('other'), durableSerializer(undefined)]) {
      const back = reader.parse(text) as { token: Sensitive };
      expect(back.token.unwrap()).toBeInstanceOf(MissingSecret);
      expect(() => assertSecretsAvailable(back)).toThrow(/RIVET_DURABLE_KEY/);
    }
  });

  it('keeps Rivet errors as errors and class instances as their JSON', () => {
    const serializer = durableSerializer('k');
    const back = serializer.parse(serializer.stringify({ error: new RivetError('rivet/x', 'boom'), when: new Date(0) })) as { error: RivetError; when: string };
    expect(back.error).toBeInstanceOf(RivetError);
    expect(back.error.kind).toBe('rivet/x');
    expect(back.when).toBe('1970-01-01T00:00:00.000Z');
  });
});
