/**
 * The error a Puppet-language syntax error becomes.
 *
 * @example
 * ```ts
 * try { parsePuppet('plan p( {', 'p.pp'); }
 * catch (e) { if (e instanceof PuppetSyntaxError) console.log(e.file, e.line, e.column, e.expected); }
 * ```
 * @module
 */
import { RivetError } from '../core/errors.ts';

/** The stable `kind` of {@link PuppetSyntaxError}. */
export const PUPPET_SYNTAX_ERROR = 'rivet/puppet-syntax-error';

/**
 * A syntax error in a Puppet-language file. The message reads
 * `file:line:column: syntax error: expected ..., found ...`; `details` has `file`, `line`,
 * `column`, `expected` and `found` (Bolt's `details` shape).
 */
export class PuppetSyntaxError extends RivetError {
  override readonly name = 'PuppetSyntaxError';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** What the parser would have accepted here, in words (`"}"`, `an expression`...). */
  readonly expected: string[];
  /** What it found (`"foo"`, `end of input`). */
  readonly found: string;

  constructor(where: { file: string; line: number; column: number }, problem: string, expected: string[], found: string) {
    super(PUPPET_SYNTAX_ERROR, `${where.file}:${where.line}:${where.column}: syntax error: ${problem}`, {
      details: { file: where.file, line: where.line, column: where.column, expected, found },
      location: { file: where.file, line: where.line, column: where.column },
      issueCode: 'SYNTAX_ERROR',
    });
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.expected = expected;
    this.found = found;
  }
}
