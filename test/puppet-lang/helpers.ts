import { parsePuppet, type Expression } from '../../src/puppet-lang/index.ts';

/** A deep copy of `value` without source positions, for comparing ASTs. */
export function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === 'loc' || key === 'nameLoc' || v === undefined) continue;
      out[key] = strip(v);
    }
    return out;
  }
  return value;
}

/** The top-level expressions of `source`. */
export function body(source: string): Expression[] {
  return parsePuppet(source, 'test.pp').program.body;
}

/** The only top-level expression of `source`, without positions. */
export function one(source: string): unknown {
  const parsed = body(source);
  if (parsed.length !== 1) throw new Error(`expected one expression, got ${parsed.length}`);
  return strip(parsed[0]);
}

/** The value assigned in `$x = <source>`, without positions. */
export function value(source: string): unknown {
  const parsed = body(`$x = ${source}`);
  const first = parsed[0];
  if (parsed.length !== 1 || first?.kind !== 'AssignmentExpression') throw new Error(`not one assignment: ${source}`);
  return strip(first.value);
}

export const v = (name: string) => ({ kind: 'Variable', name });
export const str = (text: string, quote = 'single') => ({ kind: 'StringLiteral', value: text, quote });
export const num = (n: number) => ({ kind: 'NumberLiteral', value: n, raw: String(n), isFloat: false, radix: 10 });
export const name = (n: string) => ({ kind: 'QualifiedName', name: n });
export const type = (n: string) => ({ kind: 'TypeReference', name: n });
export const bin = (operator: string, left: unknown, right: unknown) => ({ kind: 'BinaryExpression', operator, left, right });
export const call = (fn: string, args: unknown[], extra: Record<string, unknown> = {}) => ({
  kind: 'CallFunction',
  callee: name(fn),
  name: fn,
  args,
  parens: true,
  ...extra,
});
export const block = (...items: unknown[]) => ({ kind: 'Block', body: items });
