/**
 * Property tests: any string (without NUL) reaches the target unchanged, as an argument and as an
 * environment value, through shell quoting and through the exec protocol.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../src/transports/local/index.ts';
import { shellJoin, shellQuote } from '../../../src/transports/posix/quote.ts';
import { localTarget } from '../../helpers/targets.ts';

const noNul = fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', ''));
const signal = (): AbortSignal => new AbortController().signal;

describe('shell quoting', () => {
  it('shellQuote round-trips any string through sh', () => {
    fc.assert(
      fc.property(fc.array(noNul, { minLength: 1, maxLength: 40 }), (values) => {
        const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellJoin(values)}`]);
        expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('leaves safe words bare and quotes the rest', () => {
    expect(shellQuote('abc-1.2/x')).toBe('abc-1.2/x');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
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
