// Syntax errors: a PuppetSyntaxError (kind rivet/puppet-syntax-error) naming file:line:column and
// what was expected there, for the mistakes people make in plans.
import { describe, expect, it } from 'vitest';
import { isRivetError } from '../../src/core/errors.ts';
import { parsePuppet, PuppetSyntaxError, PUPPET_SYNTAX_ERROR } from '../../src/puppet-lang/index.ts';

function syntaxError(source: string): PuppetSyntaxError {
  try {
    parsePuppet(source, 'site/plans/p.pp');
  } catch (error) {
    if (error instanceof PuppetSyntaxError) return error;
    throw error;
  }
  throw new Error(`parsed: ${source}`);
}

describe('syntax errors', () => {
  it('are RivetErrors with a stable kind, the file, line and column in message and details', () => {
    const error = syntaxError('plan p() {\n  run_task("x", $t\n}\n');
    expect(isRivetError(error)).toBe(true);
    expect(error.kind).toBe(PUPPET_SYNTAX_ERROR);
    expect(error.message).toBe('site/plans/p.pp:3:1: syntax error: expected "{", "=>", ",", ")" or an operator, found "}"');
    expect(error.toJSON()).toMatchObject({
      kind: 'rivet/puppet-syntax-error',
      issue_code: 'SYNTAX_ERROR',
      details: { file: 'site/plans/p.pp', line: 3, column: 1, expected: ['"{"', '"=>"', '","', '")"', 'an operator'], found: '"}"' },
    });
    expect(error.location).toEqual({ file: 'site/plans/p.pp', line: 3, column: 1 });
  });

  it.each([
    ['a missing ) in a parameter list', 'plan p( {', '1:9', 'expected parameter or ")", found "{"'],
    ['an unclosed array', 'plan p() {\n  $a = [1, 2\n}', '3:1', '"]"'],
    ['an unclosed single-quoted string', "plan p() {\n  $a = 'x\n}\n", '2:8', "expected a closing ' for the string that starts here"],
    ['an unclosed double-quoted string', 'plan p() {\n  $a = "x\n}\n', '2:8', 'expected a closing " for the string that starts here'],
    ['an error inside an interpolation', '$x = "a ${ 1 + } b"', '1:16', 'expected an expression'],
    ['an unclosed comment', 'plan p() {\n  /* never closed\n}\n', '2:3', 'expected the end of this /* comment (*/)'],
    ['a heredoc without its end tag', '$x = @(END)\ntext\n', '1:6', 'expected a line ending the heredoc with its tag "END"'],
    ['an error inside an interpolating heredoc (at its place in the file)', '$x = @("END")\n  ${ 1 + }\n  END\n', '2:10', 'expected an expression'],
    ['a bad octal number', '$x = 09', '1:6', 'expected an octal number (digits 0-7), found "09"'],
    ['digits run into letters', '$x = 1abc', '1:6', 'expected a number (decimal, 0x hexadecimal or 0 octal), not "1abc"'],
    ['an unclosed block', 'plan p() {\n  if $a {\n}\n', '4:1', 'found end of input'],
    ['a missing value', 'plan p() { $a = }', '1:17', 'expected an expression, found "}"'],
    ['arguments without parentheses to a function that needs them', 'run_task "x", $t', '1:10', "'run_task' is not a statement function"],
    ['a plan name that starts with a digit', 'plan 1p() {}', '1:6', 'expected name, found "1"'],
    ['@ before something that is not a resource', '@notice("x")', '1:2', 'expected a resource expression after @ or @@'],
    ['a case option written like a selector', 'case $x { 1 => 2 }', '1:13', 'found "="'],
    ['an extra closing brace', 'plan p() {}}', '1:12', 'found "}"'],
  ])('%s', (_what, source, at, text) => {
    const error = syntaxError(source);
    expect(`${error.line}:${error.column}`).toBe(at);
    expect(error.message).toContain(`site/plans/p.pp:${at}: syntax error: `);
    expect(error.message).toContain(text);
  });

  it('for code embedded in another file, name that file and the lines and columns there', () => {
    expect(() => parsePuppet('$a +\n  ', 'plans/deploy.yaml', { line: 12, column: 11 })).toThrow('plans/deploy.yaml:13:3: syntax error: expected an expression, found end of input');
    expect(() => parsePuppet('$a + )', 'plans/deploy.yaml', { line: 12, column: 11 })).toThrow('plans/deploy.yaml:12:16: syntax error');
    const { program } = parsePuppet('$a + "${b}"', 'plans/deploy.yaml', { line: 12, column: 11 });
    expect(program.body[0]?.loc).toMatchObject({ file: 'plans/deploy.yaml', line: 12, column: 11, endColumn: 22, start: 0, end: 11 });
  });
});
