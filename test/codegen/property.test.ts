/**
 * The generated types and the runtime validator agree. For random Puppet types and values:
 * - sound: every value ajv accepts (the runtime's `matchesType`) is of the TypeScript type, so a
 *   valid call never fails to compile;
 * - exact: for types TypeScript can state completely (no bounds, patterns, integers), the
 *   TypeScript type accepts exactly what ajv accepts.
 * "Is of the TypeScript type" is `accepts`, an interpreter of the IR the emitter prints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accepts, fromPuppetLossy } from '../../src/codegen/ir.ts';
import { formatType, rubyRegexToJs, type PuppetType } from '../../src/core/puppet-types/index.ts';
import { matchesType } from '../../src/runtime/tasks/validate.ts';

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/);
const PATTERNS: [string, fc.Arbitrary<string>][] = [
  ['\\A[a-z]+\\z', fc.stringMatching(/^[a-z]{1,5}$/)],
  ['x', fc.string().map((s) => `${s}x`)],
];
const bound = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
const sizes = fc.tuple(bound, bound).map(([a, b]) => (a !== undefined && b !== undefined ? { min: Math.min(a, b), max: Math.max(a, b) } : { min: a, max: undefined }));

const leaf: fc.Arbitrary<PuppetType> = fc.oneof(
  fc.constantFrom<PuppetType>(
    { kind: 'Any' },
    { kind: 'Data' },
    { kind: 'Scalar' },
    { kind: 'Undef' },
    { kind: 'Boolean' },
    { kind: 'Numeric' },
    { kind: 'Target' },
    { kind: 'TargetSpec' },
    { kind: 'String', min: undefined, max: undefined },
    { kind: 'Float', min: undefined, max: undefined },
  ),
  sizes.map((b) => ({ kind: 'String' as const, ...b })),
  sizes.map((b) => ({ kind: 'Integer' as const, ...b })),
  fc.array(fc.oneof(word, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 3 }).map((values) => ({ kind: 'Enum' as const, values })),
  fc.subarray(PATTERNS, { minLength: 1 }).map((ps) => ({ kind: 'Pattern' as const, patterns: ps.map(([source]) => ({ source, js: rubyRegexToJs(source) })) })),
);

const { type: typeArb } = fc.letrec<{ type: PuppetType }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('type').map((t) => ({ kind: 'Optional' as const, type: t })),
    fc.option(tie('type'), { nil: undefined }).map((t) => ({ kind: 'NotUndef' as const, type: t })),
    fc.option(tie('type'), { nil: undefined }).map((t) => ({ kind: 'Sensitive' as const, type: t })),
    fc.tuple(fc.option(tie('type'), { nil: undefined }), sizes).map(([element, b]) => ({ kind: 'Array' as const, element, ...b })),
    fc.tuple(tie('type'), fc.option(fc.array(word, { minLength: 1, maxLength: 3 }), { nil: undefined }), sizes).map(([value, keys, b]) => ({
      kind: 'Hash' as const,
      key: keys === undefined ? ({ kind: 'String', min: undefined, max: undefined } as const) : ({ kind: 'Enum', values: keys } as const),
      value,
      ...b,
    })),
    // Not '': ajv does not enforce `required: ['']` (the runtime accepts {} for Struct[{'' => String}]).
    fc.uniqueArray(fc.record({ name: fc.oneof(word, fc.string({ minLength: 1, maxLength: 4 })), optionalKey: fc.boolean(), type: tie('type') }), { selector: (m) => m.name, maxLength: 3 }).map((members) => ({ kind: 'Struct' as const, members })),
    fc.tuple(fc.array(tie('type'), { maxLength: 3 }), sizes).map(([types, b]) => ({ kind: 'Tuple' as const, types, ...b })),
    fc.array(tie('type'), { maxLength: 3 }).map((types) => ({ kind: 'Variant' as const, types })),
  ),
}));

/** Values near the type's: built from its structure, with keys and elements added, dropped and replaced. */
function nearArb(type: PuppetType, depth = 0): fc.Arbitrary<unknown> {
  const noise = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 4 }), word);
  if (depth > 3) return noise;
  const near = (t: PuppetType | undefined) => (t === undefined ? fc.jsonValue({ maxDepth: 1 }) : nearArb(t, depth + 1));
  switch (type.kind) {
    case 'Enum':
      return fc.oneof(fc.constantFrom(...type.values), noise);
    case 'Pattern':
      return fc.oneof(...PATTERNS.map(([, arb]) => arb), noise);
    case 'Target':
    case 'TargetSpec':
      return fc.oneof(word, fc.constant(''), fc.constant({ name: 'web1' }), fc.array(fc.oneof(word, fc.constant(''))), noise);
    case 'Optional':
    case 'NotUndef':
    case 'Sensitive':
    case 'Alias':
      return fc.oneof(near(type.type), noise);
    case 'Array':
      return fc.oneof(fc.array(near(type.element), { maxLength: 4 }), noise);
    case 'Hash': {
      const keys = type.key?.kind === 'Enum' ? fc.oneof(fc.constantFrom(...type.key.values), word) : word;
      return fc.oneof(fc.dictionary(keys, near(type.value), { maxKeys: 4 }), noise);
    }
    case 'Struct': {
      if (type.members.length === 0) return fc.oneof(fc.constant({}), fc.dictionary(word, noise, { maxKeys: 1 }), noise);
      const members = Object.fromEntries(type.members.map((m) => [m.name, near(m.type)]));
      const record = fc.record(members, { requiredKeys: [] });
      return fc.oneof(record, fc.tuple(record, word, noise).map(([r, k, v]) => ({ ...r, [k]: v })), noise);
    }
    case 'Tuple': {
      const n = type.types.length;
      return fc.oneof(
        fc.integer({ min: 0, max: n + 3 }).chain((len) => fc.tuple(...Array.from({ length: len }, (_, i) => (n === 0 ? noise : near(type.types[Math.min(i, n - 1)]))))),
        noise,
      );
    }
    case 'Variant':
      return type.types.length === 0 ? noise : fc.oneof(...type.types.map((t) => near(t)), noise);
    default:
      return fc.oneof(noise, fc.jsonValue({ maxDepth: 1 }));
  }
}

const typeAndValues = typeArb.chain((type) => fc.tuple(fc.constant(type), fc.array(nearArb(type), { minLength: 1, maxLength: 8 })));

describe('generated types agree with the runtime validator', () => {
  it('sound: every value the validator accepts is of the generated type', () => {
    fc.assert(
      fc.property(typeAndValues, ([type, values]) => {
        const { type: ts } = fromPuppetLossy(type);
        for (const value of values) {
          if (matchesType(type, value)) expect(accepts(ts, value), `${formatType(type)} accepts ${JSON.stringify(value)} at runtime`).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('exact: without bounds and patterns, the generated type accepts exactly what the validator accepts', () => {
    let compared = 0;
    let accepted = 0;
    fc.assert(
      fc.property(typeAndValues, ([type, values]) => {
        const { type: ts, lossy } = fromPuppetLossy(type);
        fc.pre(!lossy);
        for (const value of values) {
          const runtime = matchesType(type, value);
          compared++;
          if (runtime) accepted++;
          expect(accepts(ts, value), `${formatType(type)} vs ${JSON.stringify(value)}: runtime says ${runtime}`).toBe(runtime);
        }
      }),
      { numRuns: 1500 },
    );
    // Both sides of the comparison are exercised.
    expect(accepted).toBeGreaterThan(compared / 10);
    expect(compared - accepted).toBeGreaterThan(compared / 10);
  });
});
