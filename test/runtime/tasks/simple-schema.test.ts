/**
 * The ajv-free validators for simple schemas (issue 8, start-up) give ajv's answer on every value:
 * compared on generated values for the schemas common parameter types become, and not used at
 * all for anything outside their keyword set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseType, toJsonSchema } from '../../../src/core/puppet-types/index.ts';
import { simpleValidator } from '../../../src/runtime/tasks/simple-schema.ts';
import { createAjv } from '../../../src/runtime/tasks/validate.ts';

const TYPES = [
  'TargetSpec',
  'String',
  'String[1]',
  'String[2, 3]',
  'Integer',
  'Integer[0]',
  'Integer[1, 65535]',
  'Float',
  'Numeric',
  'Boolean',
  'Optional[String[1]]',
  'Optional[Boolean]',
  'Optional[Integer[0, 10]]',
  "Enum['install', 'status', 'uninstall']",
  "Optional[Enum['a', 'b']]",
  'Array[String[1]]',
  'Array[Integer]',
  'Variant[String, Integer]',
  'Hash',
  'Array',
];

const values = fc.oneof(
  fc.anything({ withNullPrototype: false }),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.constantFrom('', 'a', 'ab', 'abcd', '\ud83d\ude80', '\ud83d\ude80\ud83d\ude80', '\ud800', 'install', 'status', 'a', 'b', 0, -0, 1, -1, 1.5, 65535, 65536, NaN, Infinity, -Infinity, true, false, null, [], [''], ['x'], [1], {}, { a: 1 }),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.integer(),
  fc.double(),
);

describe('simpleValidator', () => {
  const ajv = createAjv();
  for (const type of TYPES) {
    it(`gives ajv's answer for ${type}`, () => {
      const schema = toJsonSchema(parseType(type)) as Record<string, unknown>;
      const simple = simpleValidator(schema);
      expect(simple, 'the fast path applies').toBeDefined();
      const reference = ajv.compile(schema);
      fc.assert(
        fc.property(values, (value) => {
          expect(simple!(value)).toBe(reference(value) === true);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('leaves every other schema to ajv', () => {
    for (const type of ["Pattern[/^a/]", 'Struct[{a => String}]', 'Tuple[String, Integer]', 'Hash[String, Integer]', 'NotUndef']) {
      expect(simpleValidator(toJsonSchema(parseType(type)) as Record<string, unknown>), type).toBeUndefined();
    }
    for (const schema of [
      { type: 'string', format: 'email' },
      { type: 'string', minimum: 1 },
      { type: 'string', minLength: -1 },
      { type: ['string', 'null'] },
      { anyOf: [] },
      { $ref: '#/definitions/X', definitions: {} },
      { $ref: '#/definitions/X', definitions: { X: { type: 'string', pattern: 'a' } } },
      { type: 'string', enum: [{}] },
      // Not valid schemas (ajv refuses them): ajv must see them to say so.
      { type: 'string', enum: [] },
      { type: 'string', enum: ['a', 'a'] },
    ]) {
      expect(simpleValidator(schema), JSON.stringify(schema)).toBeUndefined();
    }
  });
});
