/**
 * Codegen phase 5, format: the layout rules of generated files, so that the same metadata always
 * gives byte-identical output (no prettier, no dependence on the machine).
 *
 * Emitters build code as arrays of lines with relative indentation ({@link indent}); {@link
 * formatSource} makes the final text: two-space indentation, no trailing whitespace, at most one
 * blank line in a row, `\n` line ends, one newline at the end.
 *
 * @example
 * ```ts
 * formatSource(['a {', ...indent(['b;']), '}', '', '', 'c']); // 'a {\n  b;\n}\n\nc\n'
 * ```
 * @module
 */

/** Column past which TSDoc text is wrapped. */
export const WRAP_WIDTH = 100;

/** Indents every non-empty line by `levels` steps of two spaces. */
export function indent(lines: readonly string[], levels = 1): string[] {
  const pad = '  '.repeat(levels);
  return lines.map((line) => (line === '' ? '' : `${pad}${line}`));
}

/**
 * A TypeScript single-quoted string literal.
 *
 * @example
 * ```ts
 * quoteString("it's"); // "'it\\'s'"
 * ```
 */
export function quoteString(value: string): string {
  const body = JSON.stringify(value)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/'/g, "\\'")
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `'${body}'`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property name as written in a type literal: bare when it is an identifier, else quoted. */
export function propertyName(name: string): string {
  return IDENTIFIER.test(name) ? name : quoteString(name);
}

/** Greedy word wrap; words longer than the width stay whole. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const words = paragraph.split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) {
      out.push('');
      continue;
    }
    let line = '';
    for (const word of words) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/** Text made safe inside a block comment (`*\/` cannot end it early). */
export function commentSafe(text: string): string {
  return text.replace(/\*\//g, '*\\/').replace(/\r\n?/g, '\n');
}

/**
 * A TSDoc block for `paragraphs` (empty strings separate paragraphs), wrapped so that the
 * comment fits `width` columns at the given indentation. No paragraphs: no lines.
 *
 * @example
 * ```ts
 * docComment(['The package name.']); // ['/** The package name. *\/']
 * ```
 */
export function docComment(paragraphs: readonly string[], level = 0, width = WRAP_WIDTH): string[] {
  const body: string[] = [];
  for (const p of paragraphs) {
    if (p === '') {
      if (body.length > 0 && body[body.length - 1] !== '') body.push('');
      continue;
    }
    // Tag lines and code spans keep their own line breaks; prose is wrapped.
    const lines = p.startsWith('@example') ? commentSafe(p).split('\n') : wrap(commentSafe(p), Math.max(40, width - level * 2 - 3));
    body.push(...lines);
  }
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  if (body.length === 0) return [];
  if (body.length === 1 && (body[0] as string).length + level * 2 + 7 <= width) return [`/** ${body[0]} */`];
  return ['/**', ...body.map((l) => (l === '' ? ' *' : ` * ${l}`)), ' */'];
}

/**
 * The final text of a generated file from its lines.
 *
 * @example
 * ```ts
 * formatSource(['x;  ', '', '', 'y;']); // 'x;\n\ny;\n'
 * ```
 */
export function formatSource(lines: readonly string[]): string {
  const out: string[] = [];
  for (const raw of lines.flatMap((l) => l.split(/\r\n?|\n/))) {
    const line = raw.replace(/\t/g, '  ').replace(/\s+$/, '');
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}
