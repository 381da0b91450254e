// Light fuzzing: whatever the input, parsePuppet returns an AST or throws a PuppetSyntaxError
// (a RivetError): no other exception, no endless loop (the test would time out).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRivetError } from '../../src/core/errors.ts';
import { parsePuppet, PUPPET_SYNTAX_ERROR } from '../../src/puppet-lang/index.ts';

function parsesOrSyntaxError(source: string): void {
  try {
    parsePuppet(source, 'fuzz.pp');
  } catch (error) {
    if (!isRivetError(error) || error.kind !== PUPPET_SYNTAX_ERROR) throw error;
    expect(error.message).toMatch(/^fuzz\.pp:\d+:\d+: syntax error: /);
  }
}

const TOKENS = [
  'plan', 'p::q', '(', ')', '{', '}', '[', ']', '$x', '$y', ',', ';', ':', '=', '=>', '==', '!=', '+', '-', '*', '/', '%',
  '<<', '>>', '<', '>', 'and', 'or', 'in', '!', '=~', '!~', '?', '|', '.', 'if', 'elsif', 'else', 'unless', 'case',
  'default', 'undef', 'true', 'apply', 'notice', 'return', 'run_task', 'String', 'Array[String]', "'s'", '"d ${x} $y"',
  '"', "'", '${', '@(END)', '@("E"/t)', '\nEND\n', '\n  | END\n', '1', '0x1F', '07', '1.5', '/re/', '# c\n', '/* c */',
  '/*', '\n', ' ', '\\', '->', '~>', '<|', '|>', '@', '@@', 'file', 'class', 'function', 'type', '*$a',
];

const source = readFileSync(fileURLToPath(new URL('../fixtures/puppet-plans/puppetlabs-facts/plans/external.pp', import.meta.url)), 'utf8');

describe('fuzzing the Puppet parser', () => {
  it('token soup parses or gives a syntax error', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(' ')), parsesOrSyntaxError), { numRuns: 200 });
  });

  it('any string parses or gives a syntax error', () => {
    const char = fc.oneof(fc.constantFrom(...'{}()[]$"\'@|/\\#*\n\r \t=>-+:;,.?!<~%aZ09_\u00e9\u{1F600}'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: char }), parsesOrSyntaxError), { numRuns: 300 });
  });

  it('a real plan with a few characters deleted, inserted or replaced parses or gives a syntax error', () => {
    const edit = fc.record({ at: fc.nat({ max: source.length }), drop: fc.nat({ max: 5 }), insert: fc.constantFrom('', '{', '}', '(', ')', '"', "'", '$', '[', '|', '@(X)\n', '/*', '\n', ',', '=>') });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let text = source;
        for (const { at, drop, insert } of edits) text = text.slice(0, at) + insert + text.slice(at + drop);
        parsesOrSyntaxError(text);
      }),
      { numRuns: 150 },
    );
  });
});
