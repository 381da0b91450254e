/**
 * The Puppet-language parser: turns a `.pp` file (a Bolt plan) into a typed AST with source
 * positions and the file's comments. Imports only `src/core`.
 *
 * The grammar is `puppet.peggy` (Peggy), following Puppet's `egrammar.ra` and `lexer2.rb`;
 * `parser.gen.ts` is generated from it (`npm run gen:puppet-parser`).
 *
 * Not covered: EPP templates, `type Name { }` / `type Name inherits Other { }` object type
 * definitions (type aliases are), and the checks of Puppet's validator (it is a parser). A heredoc
 * ends only at a line holding just its end tag; columns count UTF-16 code units.
 *
 * @example
 * ```ts
 * import { parsePuppet } from './puppet-lang/index.ts';
 * const { program, comments } = parsePuppet("plan hi(String $who) { notice(\"hi ${who}\") }", 'hi.pp');
 * program.body[0]?.kind; // 'PlanDefinition'
 * ```
 * @module
 */
import type { ParseResult } from './ast.ts';
import { PuppetSyntaxError } from './errors.ts';
import { parse, SyntaxError as PegSyntaxError } from './parser.gen.ts';

export type * from './ast.ts';
export { PuppetSyntaxError, PUPPET_SYNTAX_ERROR } from './errors.ts';
export { childNodes, walk } from './walk.ts';

interface PegExpectation {
  type: 'literal' | 'class' | 'any' | 'end' | 'other';
  text?: string;
  description?: string;
}

interface PegError {
  message: string;
  expected: PegExpectation[] | null;
  found: string | null;
  location: { start: { line: number; column: number }; positioned?: boolean };
}

const OPERATORS = new Set(
  ['.', '<<|', '<|', 'in', '=~', '!~', '*', '/', '%', '+', '-', '<<', '>>', '==', '!=', '<=', '>=', '<', '>', '?', 'and', 'or', '->', '~>', '<-', '<~', '=', '+=', '-='].map((o) => JSON.stringify(o)),
);

/** The first tokens of an expression: named together as "an expression". */
const EXPRESSION_STARTS = new Set([
  ...['"', "'", '@@', '@', 'class', '!', '-', '*', '[', '{', '(', 'if', 'unless', 'case', 'plan', 'function', 'define', 'node', 'type', 'apply', 'true', 'false', 'undef', 'default', 'private', 'attr'].map((o) => JSON.stringify(o)),
  'variable', 'string', 'heredoc', 'number', 'regular expression', 'type name', 'name', 'bare word',
]);

/** Expectations that only say "more whitespace would do": not worth naming. */
const NOISE = new Set(['whitespace']);

function describe(e: PegExpectation): string | undefined {
  switch (e.type) {
    case 'literal':
      return JSON.stringify(e.text);
    case 'end':
      return 'end of input';
    case 'any':
      return 'any character';
    case 'other':
      return e.description !== undefined && !NOISE.has(e.description) ? e.description : undefined;
    default:
      return undefined;
  }
}

function toSyntaxError(error: PegError, file: string, first: { line: number; column: number }): PuppetSyntaxError {
  const { line, column } = error.location.start;
  const where = error.location.positioned
    ? { file, line, column }
    : { file, line: line + first.line - 1, column: line === 1 ? column + first.column - 1 : column };
  if (!error.expected) return new PuppetSyntaxError(where, error.message, [], '');
  let expected = [...new Set(error.expected.map(describe).filter((d): d is string => d !== undefined))];
  // After an expression, every infix operator could follow: name them as one.
  const operators = expected.filter((e) => OPERATORS.has(e));
  if (operators.length > 3) expected = [...expected.filter((e) => !OPERATORS.has(e)), 'an operator'];
  const starts = expected.filter((e) => EXPRESSION_STARTS.has(e));
  if (starts.length > 3) expected = ['an expression', ...expected.filter((e) => !EXPRESSION_STARTS.has(e))];
  const found = error.found === null ? 'end of input' : JSON.stringify(error.found);
  const list = expected.length <= 1 ? (expected[0] ?? 'something else') : `${expected.slice(0, -1).join(', ')} or ${expected.at(-1)}`;
  return new PuppetSyntaxError(where, `expected ${list}, found ${found}`, expected, found);
}

/** Where the source starts in `file` when it is code embedded in another file. */
export interface ParsePuppetOptions {
  /** The line of `file` on which the source's first character is (1-based). Default 1. */
  line?: number;
  /** The column of `file` at which the source's first character is (1-based). Default 1. */
  column?: number;
}

/**
 * Parses Puppet-language source. `file` names the source in locations and errors. For Puppet code
 * embedded in another file (a YAML plan's `eval` step), `options` says where it starts there, so
 * lines and columns in the AST and in errors are the other file's (offsets stay the source's own).
 *
 * @example
 * ```ts
 * // A YAML plan's step value on line 12, column 11 of plans/deploy.yaml:
 * parsePuppet('$a + 1', 'plans/deploy.yaml', { line: 12, column: 11 });
 * ```
 * @throws {@link PuppetSyntaxError} (kind `rivet/puppet-syntax-error`) naming `file:line:column`
 * and what was expected there.
 */
export function parsePuppet(source: string, file: string, options: ParsePuppetOptions = {}): ParseResult {
  const first = { line: options.line ?? 1, column: options.column ?? 1 };
  try {
    return parse(source, { grammarSource: file, firstLine: first.line, firstColumn: first.column }) as ParseResult;
  } catch (error) {
    if (error instanceof PegSyntaxError) throw toSyntaxError(error as unknown as PegError, file, first);
    throw error;
  }
}
