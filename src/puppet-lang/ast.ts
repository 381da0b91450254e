/**
 * The AST of a Puppet-language source file (a Bolt plan, or anything else `.pp`), as produced by
 * {@link parsePuppet}.
 *
 * It follows Puppet's own model (`Puppet::Pops::Model`, built by `egrammar.ra`): everything is an
 * expression, a plan body is a list of expressions, function calls without parentheses
 * (`notice 'x'`) are already turned into calls, and hash arguments without braces
 * (`run_command($c, $t, '_catch_errors' => true)`) into a {@link HashLiteral} with
 * `braces: false`. Every node is discriminated by `kind` and carries its source {@link Loc}.
 * Comments are not in the tree: {@link parsePuppet} returns them beside it, with positions, so a
 * translator can place them.
 *
 * @example
 * ```ts
 * import { parsePuppet } from './index.ts';
 * const { program } = parsePuppet("plan hello(String $who = 'world') { notice(\"hi ${who}\") }", 'hello.pp');
 * const plan = program.body[0];
 * if (plan?.kind === 'PlanDefinition') console.log(plan.name, plan.params[0]?.typeSource); // hello String
 * ```
 * @module
 */

/**
 * Where a node is in its file. Lines and columns are 1-based; `endLine`/`endColumn` are the
 * position just after the node's last character. `start`/`end` are offsets (UTF-16 code units, as
 * JavaScript strings index) into the whole source, `end` exclusive: `source.slice(start, end)` is
 * the node's text.
 */
export interface Loc {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  start: number;
  end: number;
}

interface NodeBase {
  loc: Loc;
}

/** A `# line` comment or a `/* block *\/` comment. `text` is without the markers. */
export interface Comment extends NodeBase {
  kind: 'Comment';
  style: 'line' | 'block';
  text: string;
}

/** A whole file: its top-level expressions (usually one definition). */
export interface Program extends NodeBase {
  kind: 'Program';
  body: Expression[];
}

/** A `{ ... }` list of expressions (plan, lambda, branch bodies). `loc` spans the braces. */
export interface Block extends NodeBase {
  kind: 'Block';
  body: Expression[];
}

// ---------------------------------------------------------------------------------------------
// Definitions

/** A parameter of a plan, function, class, define or lambda: `Optional[String] $name = 'x'`. */
export interface Parameter extends NodeBase {
  kind: 'Parameter';
  /** Without the `$`. */
  name: string;
  /** The type expression (a {@link TypeReference} or an {@link AccessExpression} on one). */
  type: Expression | undefined;
  /** The type exactly as written in the source (`Optional[String[1]]`), whitespace kept. */
  typeSource: string | undefined;
  defaultValue: Expression | undefined;
  /** `*$rest`: captures the remaining arguments. */
  capturesRest: boolean;
}

/** `plan mymod::name(Type $p = default, ...) { body }` */
export interface PlanDefinition extends NodeBase {
  kind: 'PlanDefinition';
  name: string;
  nameLoc: Loc;
  params: Parameter[];
  body: Block;
}

/** `function mymod::name(Type $p) >> ReturnType { body }` */
export interface FunctionDefinition extends NodeBase {
  kind: 'FunctionDefinition';
  name: string;
  nameLoc: Loc;
  params: Parameter[];
  returnType: Expression | undefined;
  body: Block;
}

/** `class name(params) inherits parent { body }` */
export interface ClassDefinition extends NodeBase {
  kind: 'ClassDefinition';
  name: string;
  nameLoc: Loc;
  params: Parameter[];
  parent: string | undefined;
  body: Block;
}

/** `define name(params) { body }` (a defined resource type). */
export interface DefineDefinition extends NodeBase {
  kind: 'DefineDefinition';
  name: string;
  nameLoc: Loc;
  params: Parameter[];
  body: Block;
}

/** `node 'host', /re/ inherits x { body }` */
export interface NodeDefinition extends NodeBase {
  kind: 'NodeDefinition';
  hostnames: Expression[];
  parent: Expression | undefined;
  body: Block;
}

/** `type Name = TypeExpression` */
export interface TypeAlias extends NodeBase {
  kind: 'TypeAlias';
  name: string;
  type: Expression;
  typeSource: string;
}

/** `|Type $a, $b = 1| { body }`, optionally `>> ReturnType` after the parameters. */
export interface Lambda extends NodeBase {
  kind: 'Lambda';
  params: Parameter[];
  returnType: Expression | undefined;
  body: Block;
}

// ---------------------------------------------------------------------------------------------
// Literals and names

/** `$name`, `$::name`, `$mod::name`, `$0`. `name` is without the `$`. */
export interface Variable extends NodeBase {
  kind: 'Variable';
  name: string;
}

/**
 * A bare lower-case name used as a value: `present`, `mymod::thing`. Puppet evaluates it to the
 * string of the name. (Names followed by `(`, and the statement functions `notice`, `return`...
 * followed by arguments, become {@link CallFunction} instead.)
 */
export interface QualifiedName extends NodeBase {
  kind: 'QualifiedName';
  name: string;
}

/** A capitalised name: a type (`String`, `TargetSpec`, `Mymod::Type`) or a resource type reference. */
export interface TypeReference extends NodeBase {
  kind: 'TypeReference';
  name: string;
}

/**
 * A string without interpolation. `quote` says how it was written: `'single'`, `"double"`, a bare
 * word (`_catch_errors`, `foo-bar`: Puppet's WORD token) or a heredoc's text.
 * `value` has its escapes already processed.
 */
export interface StringLiteral extends NodeBase {
  kind: 'StringLiteral';
  value: string;
  quote: 'single' | 'double' | 'bare' | 'heredoc';
}

/** Literal text between interpolations in an {@link InterpolatedString} (escapes processed). */
export interface TextSegment extends NodeBase {
  kind: 'TextSegment';
  value: string;
}

/**
 * `$var` or `${expression}` inside a string. In `${x}` and `${x[0]}` / `${x.m}` a bare name is a
 * variable, as in Puppet: the parser already turned it into a {@link Variable}.
 */
export interface Interpolation extends NodeBase {
  kind: 'Interpolation';
  expression: Expression;
  braced: boolean;
}

/** A double-quoted string (or interpolating heredoc) with at least one interpolation. */
export interface InterpolatedString extends NodeBase {
  kind: 'InterpolatedString';
  parts: Array<TextSegment | Interpolation>;
  quote: 'double' | 'heredoc';
}

/**
 * `@("END":json/tn)` ... `|- END`. `value` is the processed text (margin removed, escapes applied,
 * trailing line break removed with `-`); it interpolates only when the tag was quoted.
 * The heredoc's own `loc` is the `@(...)` tag, as in Puppet; `value.loc` (and the positions inside
 * it) are on the lines of text below.
 */
export interface Heredoc extends NodeBase {
  kind: 'Heredoc';
  tag: string;
  /** The syntax after `:` (`json`, `yaml`...), `''` when none. */
  syntax: string;
  /** The escapes enabled after `/` (`t`, `r`, `n`, `s`, `u`, `L`, `$`); always `\\` when any. */
  escapes: string[];
  /** The tag was quoted: `$` interpolates. */
  interpolated: boolean;
  value: StringLiteral | InterpolatedString;
}

/** An integer or float. `raw` is the source text (`0x1F`, `0777`, `1.5e3`). */
export interface NumberLiteral extends NodeBase {
  kind: 'NumberLiteral';
  value: number;
  raw: string;
  isFloat: boolean;
  radix: 8 | 10 | 16;
}

export interface BooleanLiteral extends NodeBase {
  kind: 'BooleanLiteral';
  value: boolean;
}

export interface UndefLiteral extends NodeBase {
  kind: 'UndefLiteral';
}

/** The `default` keyword (in case options, selectors, type parameters and arguments). */
export interface DefaultLiteral extends NodeBase {
  kind: 'DefaultLiteral';
}

/** `/pattern/`: `pattern` is the text between the slashes with `\/` turned into `/` (Ruby regex syntax). */
export interface RegexLiteral extends NodeBase {
  kind: 'RegexLiteral';
  pattern: string;
}

/** `[a, b, *$rest]` */
export interface ArrayLiteral extends NodeBase {
  kind: 'ArrayLiteral';
  elements: Expression[];
}

/** `key => value` in a hash. */
export interface HashEntry extends NodeBase {
  kind: 'HashEntry';
  key: Expression;
  value: Expression;
}

/**
 * `{ a => 1 }`. `braces: false` for the entries written without braces as arguments
 * (`f($x, 'k' => 1, 'l' => 2)`), as array elements or access keys: adjacent entries form one hash.
 */
export interface HashLiteral extends NodeBase {
  kind: 'HashLiteral';
  entries: HashEntry[];
  braces: boolean;
}

/** `private` or `attr` (reserved words, an error wherever evaluated). */
export interface ReservedWord extends NodeBase {
  kind: 'ReservedWord';
  word: string;
}

// ---------------------------------------------------------------------------------------------
// Operators, access and calls

/** `$x[0]`, `$h['k']`, `$a[1, 2]`, `Array[String, 1]`, `Optional[String]`. */
export interface AccessExpression extends NodeBase {
  kind: 'AccessExpression';
  target: Expression;
  keys: Expression[];
}

/**
 * A named function call: `run_command('ls', $t)`, `notice 'x'` (`parens: false`), `return $x`,
 * `Integer('42')` (a type as functor: `callee.kind === 'TypeReference'`), with an optional lambda
 * (`parallelize($ts) |$t| { }`, `background() || { }`).
 */
export interface CallFunction extends NodeBase {
  kind: 'CallFunction';
  callee: QualifiedName | TypeReference;
  /** The called name (`callee.name`), e.g. `out::message`. */
  name: string;
  args: Expression[];
  lambda: Lambda | undefined;
  parens: boolean;
}

/** A method-style call `$r.ok`, `$x.map |$v| { }`, `$s.split(',')`: the receiver is the first argument. */
export interface CallMethod extends NodeBase {
  kind: 'CallMethod';
  receiver: Expression;
  name: string;
  nameLoc: Loc;
  args: Expression[];
  lambda: Lambda | undefined;
  parens: boolean;
}

/** `!x` (not), `-x` (negation), `*x` (splat / unfold). */
export interface UnaryExpression extends NodeBase {
  kind: 'UnaryExpression';
  operator: '!' | '-' | '*';
  operand: Expression;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%' | '<<' | '>>';
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type BinaryOperator = ArithmeticOperator | ComparisonOperator | '=~' | '!~' | 'in' | 'and' | 'or';

/** Any infix operator, with Puppet's precedence already applied by the parser. */
export interface BinaryExpression extends NodeBase {
  kind: 'BinaryExpression';
  operator: BinaryOperator;
  left: Expression;
  right: Expression;
}

/** `( expression )`, kept so output can keep the parentheses. */
export interface ParenthesizedExpression extends NodeBase {
  kind: 'ParenthesizedExpression';
  expression: Expression;
}

/** `$x = v`, `[$a, $b] = v`, `$h = {a => $b}` ; `+=` and `-=` too (Puppet rejects them on variables). */
export interface AssignmentExpression extends NodeBase {
  kind: 'AssignmentExpression';
  operator: '=' | '+=' | '-=';
  /** A {@link Variable}, or an {@link ArrayLiteral} / {@link HashLiteral} of variables (destructuring). */
  target: Expression;
  value: Expression;
}

/** `match => value` in a selector. */
export interface SelectorEntry extends NodeBase {
  kind: 'SelectorEntry';
  match: Expression;
  value: Expression;
}

/** `$x ? { 'a' => 1, default => 2 }` */
export interface SelectorExpression extends NodeBase {
  kind: 'SelectorExpression';
  subject: Expression;
  entries: SelectorEntry[];
}

/** `if test { } elsif test { } else { }`: an `elsif` is a nested IfExpression in `alternate`. */
export interface IfExpression extends NodeBase {
  kind: 'IfExpression';
  test: Expression;
  consequent: Block;
  alternate: Block | IfExpression | undefined;
}

/** `unless test { } else { }` */
export interface UnlessExpression extends NodeBase {
  kind: 'UnlessExpression';
  test: Expression;
  consequent: Block;
  alternate: Block | undefined;
}

/** `'a', 'b': { body }` in a case expression (`default:` is a {@link DefaultLiteral} value). */
export interface CaseOption extends NodeBase {
  kind: 'CaseOption';
  values: Expression[];
  body: Block;
}

/** `case $x { 'a', 'b': { } /re/: { } default: { } }` */
export interface CaseExpression extends NodeBase {
  kind: 'CaseExpression';
  subject: Expression;
  options: CaseOption[];
}

// ---------------------------------------------------------------------------------------------
// Catalog constructs (need a Puppet catalog compiler: parsed so a translator can name them)

/** `apply($targets, _catch_errors => true) { resources... }` (Bolt). */
export interface ApplyExpression extends NodeBase {
  kind: 'ApplyExpression';
  args: Expression[];
  body: Block;
}

/** `name => value` or `name +> value` in a resource body; `* => $hash` has name `*`. */
export interface AttributeOperation extends NodeBase {
  kind: 'AttributeOperation';
  name: string;
  operator: '=>' | '+>';
  value: Expression;
}

/** `title: attr => v, ...` */
export interface ResourceBody extends NodeBase {
  kind: 'ResourceBody';
  title: Expression;
  operations: AttributeOperation[];
}

/** `file { '/tmp/x': ensure => file }`, `@user { ... }`, `@@host { ... }`, `class { 'x': }` */
export interface ResourceExpression extends NodeBase {
  kind: 'ResourceExpression';
  form: 'regular' | 'virtual' | 'exported';
  /** A {@link QualifiedName} (`file`, `class`) or {@link TypeReference}. */
  typeName: Expression;
  bodies: ResourceBody[];
}

/** `File { mode => '0644' }` */
export interface ResourceDefaultsExpression extends NodeBase {
  kind: 'ResourceDefaultsExpression';
  typeRef: Expression;
  operations: AttributeOperation[];
}

/** `File['/tmp/x'] { mode => '0644' }` */
export interface ResourceOverrideExpression extends NodeBase {
  kind: 'ResourceOverrideExpression';
  resources: Expression;
  operations: AttributeOperation[];
}

/** `User <| title == 'x' |>` (virtual) or `<<| |>>` (exported), with optional `{ attrs }`. */
export interface CollectExpression extends NodeBase {
  kind: 'CollectExpression';
  typeRef: Expression;
  exported: boolean;
  query: Expression | undefined;
  operations: AttributeOperation[];
}

/** `a -> b`, `a ~> b`, `a <- b`, `a <~ b` */
export interface RelationshipExpression extends NodeBase {
  kind: 'RelationshipExpression';
  operator: '->' | '~>' | '<-' | '<~';
  left: Expression;
  right: Expression;
}

/** Every expression node. */
export type Expression =
  | PlanDefinition
  | FunctionDefinition
  | ClassDefinition
  | DefineDefinition
  | NodeDefinition
  | TypeAlias
  | Variable
  | QualifiedName
  | TypeReference
  | StringLiteral
  | InterpolatedString
  | Heredoc
  | NumberLiteral
  | BooleanLiteral
  | UndefLiteral
  | DefaultLiteral
  | RegexLiteral
  | ArrayLiteral
  | HashLiteral
  | ReservedWord
  | AccessExpression
  | CallFunction
  | CallMethod
  | UnaryExpression
  | BinaryExpression
  | ParenthesizedExpression
  | AssignmentExpression
  | SelectorExpression
  | IfExpression
  | UnlessExpression
  | CaseExpression
  | ApplyExpression
  | ResourceExpression
  | ResourceDefaultsExpression
  | ResourceOverrideExpression
  | CollectExpression
  | RelationshipExpression;

/** Every node, expressions and the parts that are not expressions on their own. */
export type Node =
  | Expression
  | Program
  | Block
  | Parameter
  | Lambda
  | TextSegment
  | Interpolation
  | HashEntry
  | SelectorEntry
  | CaseOption
  | ResourceBody
  | AttributeOperation
  | Comment;

/** The `kind` of every node. */
export type NodeKind = Node['kind'];

/** The node type for a `kind`: `NodeOfKind<'CallFunction'>` is {@link CallFunction}. */
export type NodeOfKind<K extends NodeKind> = Extract<Node, { kind: K }>;

/** What {@link parsePuppet} returns. */
export interface ParseResult {
  program: Program;
  /** Every comment in the file, in source order. */
  comments: Comment[];
}
