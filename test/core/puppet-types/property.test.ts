import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatType, parseType, rubyRegexToJs, type PuppetType } from '../../../src/core/puppet-types/index.ts';
import { matchesType } from '../../../src/runtime/tasks/validate.ts';

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const text = fc.string({ maxLength: 8 });
/** Regexes with a generator of strings they match. */
const PATTERNS: [string, fc.Arbitrary<string>][] = [
  ['\\A[a-z]+\\z', fc.stringMatching(/^[a-z]{1,5}$/)],
  ['^\\d{2}$', fc.stringMatching(/^\d{2}$/)],
  ['x', fc.string().map((s) => `${s}x`)],
  ['\\A\\/etc\\/', fc.string().map((s) => `/etc/${s}`)],
];

const bounds = (lo: number, hi: number) =>
  fc.tuple(fc.option(fc.integer({ min: lo, max: hi }), { nil: undefined }), fc.option(fc.integer({ min: 0, max: hi - lo }), { nil: undefined })).map(([min, span]) => ({
    min,
    max: span === undefined ? undefined : (min ?? 0) + span,
  }));
const sizeBounds = bounds(0, 3);

const leaf: fc.Arbitrary<PuppetType> = fc.oneof(
  fc.constantFrom<PuppetType>(
    { kind: 'Any' },
    { kind: 'Data' },
    { kind: 'Scalar' },
    { kind: 'ScalarData' },
    { kind: 'Undef' },
    { kind: 'Boolean' },
    { kind: 'Numeric' },
    { kind: 'Target' },
    { kind: 'TargetSpec' },
  ),
  sizeBounds.map((b) => ({ kind: 'String' as const, ...b })),
  bounds(-1000, 1000).map((b) => ({ kind: 'Integer' as const, ...b })),
  fc.tuple(fc.option(fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { nil: undefined })).map(([min]) => ({ kind: 'Float' as const, min: min === undefined ? undefined : Object.is(min, -0) ? 0 : min, max: undefined })),
  fc.array(fc.oneof(word, text), { minLength: 1, maxLength: 4 }).map((values) => ({ kind: 'Enum' as const, values })),
  fc.subarray(PATTERNS, { minLength: 1 }).map((ps) => ({ kind: 'Pattern' as const, patterns: ps.map(([source]) => ({ source, js: rubyRegexToJs(source) })) })),
);

const { type: typeArb } = fc.letrec<{ type: PuppetType }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('type').map((t) => ({ kind: 'Optional' as const, type: t })),
    fc.option(tie('type'), { nil: undefined }).map((t) => ({ kind: 'NotUndef' as const, type: t })),
    fc.option(tie('type'), { nil: undefined }).map((t) => ({ kind: 'Sensitive' as const, type: t })),
    fc.tuple(tie('type'), sizeBounds).map(([element, b]) => ({ kind: 'Array' as const, element, ...b })),
    fc.constant<PuppetType>({ kind: 'Array', element: undefined, min: undefined, max: undefined }),
    fc.tuple(tie('type'), sizeBounds).map(([value, b]) => ({ kind: 'Hash' as const, key: { kind: 'String' as const, min: undefined, max: undefined }, value, ...b })),
    fc.uniqueArray(fc.record({ name: fc.oneof(word, text), optionalKey: fc.boolean(), type: tie('type') }), { selector: (m) => m.name, maxLength: 3 }).map((members) => ({ kind: 'Struct' as const, members })),
    fc.tuple(fc.array(tie('type'), { minLength: 1, maxLength: 3 }), sizeBounds).map(([types, b]) => ({ kind: 'Tuple' as const, types, ...b })),
    fc.array(tie('type'), { minLength: 1, maxLength: 3 }).map((types) => ({ kind: 'Variant' as const, types })),
  ),
}));

/** Values of a type other than null (the type must have some: see nonNullPossible). */
function nonNullArb(type: PuppetType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'Optional':
    case 'Sensitive':
      return type.type === undefined ? fc.string() : nonNullArb(type.type);
    case 'Variant':
      return fc.oneof(...type.types.filter(nonNullPossible).map(nonNullArb));
    case 'Alias':
      return nonNullArb(type.type);
    default:
      return valueArb(type).filter((v) => v !== null);
  }
}

/** Values that a type must accept (undefined when the type accepts nothing we can build). */
function valueArb(type: PuppetType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'Any':
    case 'Data':
      return fc.jsonValue({ maxDepth: 2 });
    case 'Scalar':
    case 'ScalarData':
      return fc.oneof(fc.string(), fc.integer(), fc.boolean());
    case 'Undef':
      return fc.constant(null);
    case 'Boolean':
      return fc.boolean();
    case 'Numeric':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'Target':
      return fc.oneof(word, fc.constant({ name: 'web1' }));
    case 'TargetSpec':
      return fc.oneof(word, fc.array(word));
    case 'String':
      return fc.string({ unit: 'grapheme-ascii', minLength: type.min ?? 0, maxLength: type.max ?? Math.max(type.min ?? 0, 5) });
    case 'Integer':
      return fc.integer({ min: type.min ?? -1e6, max: type.max ?? Math.max(type.min ?? 0, 0) + 1e6 });
    case 'Float':
      return fc.double({ min: type.min ?? -1e6, max: type.max ?? (type.min ?? 0) + 1e6, noNaN: true });
    case 'Enum':
      return fc.constantFrom(...type.values);
    case 'Pattern': {
      const sources = type.patterns.map((p) => p.source);
      return fc.oneof(...PATTERNS.filter(([s]) => sources.includes(s)).map(([, arb]) => arb));
    }
    case 'Optional':
      return type.type === undefined ? fc.constant(null) : fc.oneof(fc.constant(null), valueArb(type.type));
    case 'NotUndef':
      return type.type === undefined ? fc.integer() : nonNullArb(type.type);
    case 'Sensitive':
      return type.type === undefined ? fc.string() : valueArb(type.type);
    case 'Array':
      return fc.array(type.element === undefined ? fc.jsonValue({ maxDepth: 1 }) : valueArb(type.element), { minLength: type.min ?? 0, maxLength: type.max ?? Math.max(type.min ?? 0, 3) });
    case 'Hash':
      return fc.dictionary(word, type.value === undefined ? fc.jsonValue({ maxDepth: 1 }) : valueArb(type.value), {
        minKeys: type.min ?? 0,
        maxKeys: type.max ?? Math.max(type.min ?? 0, 3),
      });
    case 'Struct': {
      const entries = type.members.map((m) => [m.name, valueArb(m.type)] as const);
      return fc.record(Object.fromEntries(entries), { requiredKeys: type.members.filter((m) => !m.optionalKey).map((m) => m.name) });
    }
    case 'Tuple': {
      const n = type.types.length;
      const min = type.min ?? n;
      const max = type.max ?? (type.min === undefined ? n : min + 2);
      return fc.integer({ min, max }).chain((len) =>
        fc.tuple(...Array.from({ length: len }, (_, i) => valueArb(type.types[Math.min(i, n - 1)] as PuppetType))),
      );
    }
    case 'Variant':
      return fc.oneof(...type.types.map(valueArb));
    case 'Alias':
      return valueArb(type.type);
  }
}

/** False for types whose only value is undef (so NotUndef of them accepts nothing). */
function nonNullPossible(type: PuppetType): boolean {
  switch (type.kind) {
    case 'Undef':
      return false;
    case 'Optional':
    case 'Sensitive':
      return type.type === undefined ? type.kind === 'Sensitive' : nonNullPossible(type.type);
    case 'Variant':
      return type.types.some(nonNullPossible);
    case 'Alias':
      return nonNullPossible(type.type);
    default:
      return true;
  }
}

/** Types for which valueArb can always build a value (NotUndef[Undef] and the like cannot). */
function buildable(type: PuppetType): boolean {
  switch (type.kind) {
    case 'NotUndef':
      return type.type === undefined || (buildable(type.type) && nonNullPossible(type.type));
    case 'Optional':
    case 'Sensitive':
      return type.type === undefined || buildable(type.type);
    case 'Array':
      return type.element === undefined || buildable(type.element);
    case 'Hash':
      return type.value === undefined || buildable(type.value);
    case 'Struct':
      return type.members.every((m) => buildable(m.type));
    case 'Tuple': {
      const n = type.types.length;
      const min = type.min ?? n;
      const max = type.max ?? (type.min === undefined ? n : Infinity);
      return min <= max && type.types.every(buildable);
    }
    case 'Variant':
      return type.types.every(buildable);
    default:
      return true;
  }
}

describe('T-13 properties', () => {
  it('T-13: formatType then parseType gives the same AST', () => {
    fc.assert(
      fc.property(typeArb, (type) => {
        expect(parseType(formatType(type))).toEqual(type);
      }),
      { numRuns: 500 },
    );
  });

  it('T-13: values built for a type are accepted by its validator', () => {
    const typeWithValue = typeArb.filter(buildable).chain((type) => fc.tuple(fc.constant(type), valueArb(type)));
    fc.assert(
      fc.property(typeWithValue, ([type, value]) => {
        expect(matchesType(type, value), `${formatType(type)} accepts ${JSON.stringify(value)}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
