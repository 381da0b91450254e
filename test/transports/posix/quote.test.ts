/**
 * Property test: any string (without NUL) reaches the target unchanged, as an argument and as an
 * environment value, through the exec protocol. (Quoting itself: test/core/shell.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../src/transports/local/index.ts';
import { isEnvName } from '../../../src/transports/posix/quote.ts';
import { localTarget } from '../../helpers/targets.ts';

const noNul = fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', ''));
const signal = (): AbortSignal => new AbortController().signal;

describe('env names', () => {
  it('accepts what export accepts', () => {
    expect(isEnvName('PT_name_1')).toBe(true);
    expect(isEnvName('1X')).toBe(false);
  });
});

describe('the exec protocol delivers arguments and env values unchanged', () => {
  it('for any strings (local transport)', async () => {
    const conn = await new LocalTransport().connect(localTarget(), { signal: signal() });
    const script = Buffer.from('#!/bin/sh\nprintf "%s\\0" "$RIVET_VALUE" "$@"\n');
    try {
      await fc.assert(
        fc.asyncProperty(noNul, fc.array(noNul, { maxLength: 5 }), async (value, args) => {
          const r = await conn.runFile({ signal: signal(), file: { name: 'echo.sh', content: script }, args, env: { RIVET_VALUE: value } });
          expect(r.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual([value, ...args]);
        }),
        { numRuns: 40 },
      );
    } finally {
      await conn.close();
    }
  });
});
