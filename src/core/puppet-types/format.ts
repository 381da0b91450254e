/**
 * Canonical text of a {@link PuppetType}, for messages and for round trips through the parser.
 *
 * @example
 * ```ts
 * formatType(parseType("Enum[a,\"b\"]")); // "Enum['a', 'b']"
 * ```
 * @module
 */
import { isSimpleKind, type PuppetType } from './ast.ts';

/** Single-quoted Puppet string literal. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function num(value: number | undefined, float: boolean): string {
  if (value === undefined) return 'default';
  const text = String(value);
  return float && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** `[a, b]` with trailing `default`s dropped. */
function bounds(min: number | undefined, max: number | undefined, float = false): string[] {
  if (max !== undefined) return [num(min, float), num(max, float)];
  if (min !== undefined) return [num(min, float)];
  return [];
}

function withParams(name: string, params: string[]): string {
  return params.length === 0 ? name : `${name}[${params.join(', ')}]`;
}

/**
 * Formats a type the way Puppet prints it: `Integer[1, 65535]`, `Enum['a', 'b']`,
 * `Struct[{'a' => String, Optional['b'] => Integer}]`.
 *
 * @example
 * ```ts
 * formatType({ kind: 'Integer', min: 1, max: undefined }); // 'Integer[1]'
 * ```
 */
export function formatType(type: PuppetType): string {
  if (isSimpleKind(type.kind)) return type.kind;
  switch (type.kind) {
    case 'String':
    case 'Integer':
      return withParams(type.kind, bounds(type.min, type.max));
    case 'Float':
      return withParams(type.kind, bounds(type.min, type.max, true));
    case 'Enum':
      return withParams('Enum', type.values.map(quote));
    case 'Pattern':
      return withParams(
        'Pattern',
        type.patterns.map((p) => `/${p.source}/`),
      );
    case 'Optional':
    case 'NotUndef':
    case 'Sensitive':
      return type.type === undefined ? type.kind : `${type.kind}[${formatType(type.type)}]`;
    case 'Array':
      if (type.element === undefined) return 'Array';
      return withParams('Array', [formatType(type.element), ...bounds(type.min, type.max)]);
    case 'Hash':
      if (type.key === undefined || type.value === undefined) return 'Hash';
      return withParams('Hash', [formatType(type.key), formatType(type.value), ...bounds(type.min, type.max)]);
    case 'Struct': {
      const members = type.members.map((m) => `${m.optionalKey ? `Optional[${quote(m.name)}]` : quote(m.name)} => ${formatType(m.type)}`);
      return `Struct[{${members.join(', ')}}]`;
    }
    case 'Tuple':
      return withParams('Tuple', [...type.types.map(formatType), ...bounds(type.min, type.max)]);
    case 'Variant':
      return withParams('Variant', type.types.map(formatType));
    case 'Alias':
      return type.name;
  }
}
