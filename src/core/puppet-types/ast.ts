/**
 * The typed AST of a Puppet data type, as written in task metadata (`"type": "Optional[String[1]]"`).
 *
 * A discriminated union on `kind`. Parsing ({@link parseType}) never normalises: formatting a
 * parsed AST ({@link formatType}) and parsing it again gives an equal AST. Bounds that were left
 * out (or written `default`) are `undefined`.
 *
 * Codegen walks this AST to emit TypeScript types; validation turns it into JSON Schema.
 *
 * @example
 * ```ts
 * const t: PuppetType = { kind: 'Optional', type: { kind: 'String', min: 1, max: undefined } };
 * formatType(t); // 'Optional[String[1]]'
 * ```
 * @module
 */

/** Types without parameters. `Target` is Bolt's target (a name or a target hash when sent as JSON). */
/** The types that take no parameters: written, parsed and formatted as their bare name. */
export const SIMPLE_KINDS = ['Any', 'Data', 'Scalar', 'ScalarData', 'Undef', 'Boolean', 'Numeric', 'Target', 'TargetSpec'] as const;
export type SimpleKind = (typeof SIMPLE_KINDS)[number];

/** True when `name` is a type that takes no parameters. */
export function isSimpleKind(name: string): name is SimpleKind {
  return (SIMPLE_KINDS as readonly string[]).includes(name);
}

export interface SimpleType {
  kind: SimpleKind;
}

/** `String`, `String[min]`, `String[min, max]` (lengths in characters). */
export interface StringType {
  kind: 'String';
  min: number | undefined;
  max: number | undefined;
}

/** `Integer[min, max]` and `Float[min, max]` (inclusive; `undefined` = unbounded / `default`). */
export interface NumberRangeType {
  kind: 'Integer' | 'Float';
  min: number | undefined;
  max: number | undefined;
}

/** `Enum['a', 'b']`: one of these exact strings. */
export interface EnumType {
  kind: 'Enum';
  values: string[];
}

/** One regex of a `Pattern`: `source` is the Ruby text between the slashes, `js` its JS translation. */
export interface RegexLiteral {
  source: string;
  js: string;
}

/** `Pattern[/re/, ...]`: a string matching any of the regexes (unanchored, as in Ruby). */
export interface PatternType {
  kind: 'Pattern';
  patterns: RegexLiteral[];
}

/** `Optional[T]` (T or undef/null), `NotUndef[T]` (T but not undef; `type` undefined = `NotUndef`). */
export interface WrapperType {
  kind: 'Optional' | 'NotUndef';
  type: PuppetType | undefined;
}

/** `Sensitive[T]` / `Sensitive`: the value is secret (validated as T). */
export interface SensitiveType {
  kind: 'Sensitive';
  type: PuppetType | undefined;
}

/** `Array`, `Array[T]`, `Array[T, min, max]` (`element` undefined = bare `Array`, i.e. Array[Data]). */
export interface ArrayType {
  kind: 'Array';
  element: PuppetType | undefined;
  min: number | undefined;
  max: number | undefined;
}

/** `Hash`, `Hash[K, V]`, `Hash[K, V, min, max]` (`key`/`value` undefined = bare `Hash`). */
export interface HashType {
  kind: 'Hash';
  key: PuppetType | undefined;
  value: PuppetType | undefined;
  min: number | undefined;
  max: number | undefined;
}

/** One member of a Struct. `optionalKey` is the `Optional['name'] => T` key form. */
export interface StructMember {
  name: string;
  optionalKey: boolean;
  type: PuppetType;
}

/** `Struct[{a => T, Optional[b] => U}]`: a hash with exactly these keys. */
export interface StructType {
  kind: 'Struct';
  members: StructMember[];
}

/** `Tuple[A, B, min?, max?]`: an array whose elements match the types in order (the last repeats). */
export interface TupleType {
  kind: 'Tuple';
  types: PuppetType[];
  min: number | undefined;
  max: number | undefined;
}

/** `Variant[A, B]`: any of the types. */
export interface VariantType {
  kind: 'Variant';
  types: PuppetType[];
}

/** A named alias (`Stdlib::Port`, or one given to the parser) and what it stands for. */
export interface AliasType {
  kind: 'Alias';
  name: string;
  type: PuppetType;
}

/** Any Puppet type Rivet understands. Switch on `kind`. */
export type PuppetType =
  | SimpleType
  | StringType
  | NumberRangeType
  | EnumType
  | PatternType
  | WrapperType
  | SensitiveType
  | ArrayType
  | HashType
  | StructType
  | TupleType
  | VariantType
  | AliasType;

/** Every `kind` of {@link PuppetType}. */
export type PuppetTypeKind = PuppetType['kind'];

/**
 * True when `undef` (JSON `null`, or an absent Struct key) is accepted by the type.
 *
 * @example
 * ```ts
 * acceptsUndef(parseType('Optional[String]')); // true
 * acceptsUndef(parseType('String')); // false
 * ```
 */
export function acceptsUndef(type: PuppetType): boolean {
  switch (type.kind) {
    case 'Any':
    case 'Data':
    case 'Undef':
    case 'Optional':
      return true;
    case 'Variant':
      return type.types.some(acceptsUndef);
    case 'Alias':
      return acceptsUndef(type.type);
    case 'Sensitive':
      return type.type !== undefined && acceptsUndef(type.type);
    default:
      return false;
  }
}
