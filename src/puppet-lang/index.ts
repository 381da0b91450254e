/**
 * The Puppet-language parser: turns a `.pp` file (a Bolt plan) into a typed AST with source
 * positions and the file's comments. Imports only `src/core`.
 *
 * @example
 * ```ts
 * import { parsePuppet } from './puppet-lang/index.ts';
 * const { program, comments } = parsePuppet(source, 'site/plans/deploy.pp');
 * ```
 * @module
 */
import type { ParseResult } from './ast.ts';
import { PuppetSyntaxError } from './errors.ts';

export type * from './ast.ts';
export { PuppetSyntaxError, PUPPET_SYNTAX_ERROR } from './errors.ts';
export { childNodes, walk } from './walk.ts';

/**
 * Parses Puppet-language source. `file` names the source in locations and errors.
 *
 * @throws {@link PuppetSyntaxError} (kind `rivet/puppet-syntax-error`) naming `file:line:column`
 * and what was expected there.
 */
export function parsePuppet(source: string, file: string): ParseResult {
  void source;
  throw new PuppetSyntaxError({ file, line: 1, column: 1 }, 'the Puppet parser is not written yet', [], '');
}
