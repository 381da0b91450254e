/**
 * Fuzz tests (fast-check) for the parsers that read what users write: YAML inventory/project
 * files and Puppet type strings. Whatever the input, the parser returns a value or throws its own
 * clear error (ConfigError, PuppetTypeError): never a TypeError, RangeError or a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { formatType, parseType, PuppetTypeError } from '../../src/core/puppet-types/index.ts';
import { compileType } from '../../src/runtime/tasks/validate.ts';
import { YamlSource } from '../../src/runtime/inventory/source.ts';

/** YAML-ish text: fragments that exercise anchors, aliases, merges, flow and block nesting. */
const yamlPiece = fc.constantFrom(
  '&a ', '*a', '&b ', '*b', '<<: *a', '[', ']', '{', '}', ', ', ': ', '- ', '\n', '\n  ', '\n    ', 'x', 'name', 'targets',
  'groups', '"q"', "'s'", '!!str ', '? ', '|', '>', '#c', '%YAML 1.2\n---\n', '---\n', '...', '\t', 'yes', '1e9', '~',
);
const yamlText = fc.oneof(fc.array(yamlPiece, { maxLength: 40 }).map((p) => p.join('')), fc.string({ maxLength: 80 }));

/** Type-ish text: type names, brackets, literals and regexes. */
const typePiece = fc.constantFrom(
  'Array', 'Hash', 'Struct', 'Tuple', 'Variant', 'Optional', 'Pattern', 'Enum', 'String', 'Integer', 'Stdlib::Port', 'Foo',
  '[', ']', '{', '}', ', ', '=>', '1', '-1', '2.5', 'default', "'k'", '"v"', '/a+/', '/(a+)+$/', '/[/', '/a(?=b)/', ' ', 'Optional[',
);
const typeText = fc.oneof(fc.array(typePiece, { maxLength: 30 }).map((p) => p.join('')), fc.string({ maxLength: 60 }));

describe('fuzz: YAML sources (I-10)', () => {
  it('YamlSource.fromText returns data or throws a ConfigError naming the file', () => {
    fc.assert(
      fc.property(yamlText, (text) => {
        try {
          const src = YamlSource.fromText(text, 'inventory.yaml');
          // The data is a tree: it serializes (no cycles, bounded depth).
          JSON.stringify(src.data ?? null, (_k, v: unknown) => (v instanceof Map || v instanceof Set ? [...v] : v));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toContain('inventory.yaml');
        }
      }),
      { numRuns: 600 },
    );
  });
});

describe('fuzz: Puppet types (T-13)', () => {
  it('parseType returns a type or throws a PuppetTypeError; a parsed type compiles and round-trips', () => {
    fc.assert(
      fc.property(typeText, fc.string({ maxLength: 40 }), (text, value) => {
        let type;
        try {
          type = parseType(text);
        } catch (error) {
          expect(error).toBeInstanceOf(PuppetTypeError);
          return;
        }
        expect(parseType(formatType(type))).toEqual(type);
        // Validation answers for any value (linear-time patterns).
        expect(typeof compileType(type)(value)).toBe('boolean');
      }),
      { numRuns: 600 },
    );
  });

  it('deep nesting of any type constructor is a PuppetTypeError, not a RangeError', () => {
    fc.assert(
      fc.property(fc.constantFrom('Array[', 'Optional[', 'Variant[', 'Hash[String, ', 'Tuple['), fc.integer({ min: 101, max: 20_000 }), (open, depth) => {
        expect(() => parseType(`${open.repeat(depth)}String${']'.repeat(depth)}`)).toThrow(PuppetTypeError);
      }),
      { numRuns: 30 },
    );
  });
});
