/**
 * The translator: a Puppet plan's AST (`src/puppet-lang`) to the source of a TypeScript plan
 * with `definePlan`. It goes construct by construct and keeps Bolt's semantics where TypeScript
 * differs by calling the SDK's `pp` helpers (truthiness, `==`, integer division, `in`, `=~`,
 * interpolation). Comments are carried over to the statement they precede. What it cannot
 * translate (apply blocks, resources, unknown functions) is kept as a `// TODO` comment with the
 * original source and listed in {@link Translation.todos}.
 *
 * @example
 * ```ts
 * const { program, comments } = parsePuppet(source, file);
 * const { code, todos } = translatePlan(program, comments, { source, file });
 * ```
 * @module
 */
import type {
  AccessExpression,
  Block,
  CallFunction,
  CallMethod,
  CaseExpression,
  Comment,
  Expression,
  HashLiteral,
  IfExpression,
  Lambda,
  Node,
  Parameter,
  PlanDefinition,
  Program,
  UnlessExpression,
} from '../puppet-lang/index.ts';
import { DIRECT_FUNCTIONS, LOCAL_FUNCTIONS, LOG_FUNCTIONS, MEMBER_METHODS, OPTION_NAMES, PP_FUNCTIONS, SECONDS_OPTIONS, STRING_FUNCTIONS, UNSUPPORTED_FUNCTIONS } from './functions.ts';

/**
 * Every line break JavaScript knows. Puppet ends a `#` comment only at `\n`, so a comment (or code
 * quoted in a TODO) that holds `\r`, U+2028 or U+2029 is split there too: each piece stays a comment.
 */
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/;

/**
 * A literal number of seconds as milliseconds, without binary float noise: `1.1` gives `1100`,
 * not `1100.0000000000002` (15 significant digits are exact for any decimal literal a plan holds).
 *
 * @example
 * ```ts
 * secondsToMs(1.1);    // 1100
 * secondsToMs(0.0015); // 1.5
 * ```
 */
export function secondsToMs(seconds: number): number {
  return Number((seconds * 1000).toPrecision(15));
}

/** One construct left untranslated. */
export interface Todo {
  file: string;
  line: number;
  /** What it is (`apply block`, `function lookup`...). */
  construct: string;
  /** `apply block: needs a Puppet catalog compiler`. */
  message: string;
}

export interface TranslateOptions {
  /** The Puppet source (for TODO comments with the original text). */
  source: string;
  /** The file named in TODO entries. */
  file: string;
  /** Where `definePlan` and the SDK come from (default `'rivetops'`). */
  sdk?: string | undefined;
  /** Maps a line of `source` to the line reported (a YAML plan's line). */
  reportLine?: ((line: number) => number) | undefined;
  /** The plan name to use (default: the name in the `plan` definition). */
  name?: string | undefined;
  /** A comment for the top of the file (`Converted from ... by rivet plan convert`). */
  header?: string | undefined;
}

export interface Translation {
  name: string;
  code: string;
  todos: Todo[];
  /**
   * Where each line of `code` came from: `lines[n - 1]` is the line of the plan file (the `.pp`,
   * or the YAML plan's line) that generated line `n` translates, 0 for lines with no source (the
   * imports, the parameters). Run-time errors map stack frames through it (`src/sdk/location.ts`).
   */
  lines: number[];
}

/** Marks an output line with the plan-file line it translates; stripped when the code is assembled. */
const LINE_MARK = '\u0000';
const LINE_MARKS = /\u0000(\d+)\u0000/g;

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return ' +
    'super switch this throw true try typeof var void while with as implements interface let package private protected public static yield await async arguments eval undefined of ' +
    'pp definePlan'
  ).split(' '),
);

/** SDK exports that generated code may import; a plan variable with one of these names is renamed. */
const SDK_NAMES = new Set([
  'runTask', 'runTaskWith', 'runCommand', 'runScript', 'uploadFile', 'downloadFile', 'writeFile', 'waitUntilAvailable', 'runPlan',
  'parallelize', 'catchErrors', 'failPlan', 'ctrl', 'out', 'log', 'prompt', 'getTargets', 'getTarget', 'createTarget', 'setVar', 'vars',
  'facts', 'addFacts', 'setFeature', 'setConfig', 'addToGroup', 'removeFromGroup', 'file', 'dir', 'env', 'Sensitive',
]);

type Tail = { mode: 'none' } | { mode: 'return' } | { mode: 'assign'; name: string };

/** What is known of a variable's value, for plainer output. */
type Shape = 'array' | 'resultset' | 'string' | 'number' | 'boolean' | 'hash' | 'target' | 'unknown';

interface Scope {
  parent: Scope | undefined;
  names: Map<string, string>;
  shapes: Map<string, Shape>;
}

interface Frame {
  awaits: boolean;
  /** Inside a `for` loop made from `each`: `next`/`break` are `continue`/`break`. */
  loop: boolean;
  /** Inside a callback made from `map`/`filter`/...: `next(v)` is `return v`. */
  callback: boolean;
}

interface Expr {
  code: string;
  /** Needs no parentheses as an operand or receiver. */
  atomic: boolean;
  shape?: Shape;
  /** A boolean already (no `pp.truthy` needed in conditions). */
  bool?: boolean;
  /** For compound expressions: the operator at the top (decides parentheses in `&&`/`||`). */
  prec?: 'cmp' | 'not' | 'and' | 'or';
}

/** `code` as an operand of `&&` (`op = 'and'`) or `||`. */
function logicOperand(e: Expr, op: 'and' | 'or'): string {
  if (e.atomic || e.prec === 'cmp' || e.prec === 'not' || e.prec === 'and' || (op === 'or' && e.prec === 'or')) return e.code;
  return `(${e.code})`;
}

const atom = (code: string, shape?: Shape, bool?: boolean): Expr => ({ code, atomic: true, ...(shape ? { shape } : {}), ...(bool ? { bool } : {}) });
const compound = (code: string, shape?: Shape, bool?: boolean): Expr => ({ code, atomic: false, ...(shape ? { shape } : {}), ...(bool ? { bool } : {}) });

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;
}

function templateText(text: string): string {
  // Line breaks are escaped: the emitter indents lines, which must not change a string.
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function propertyKey(key: string): string {
  return IDENT.test(key) && !/^\d/.test(key) ? key : quote(key);
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Ruby regexp syntax to JavaScript (anchors `\A`, `\z`, `\Z`; inline `(?i)` is not supported). */
function rubyRegex(pattern: string): string {
  return pattern.replace(/\\A/g, '^').replace(/\\[zZ]/g, '$').replace(/\\h/g, '[0-9a-fA-F]');
}

function paren(e: Expr): string {
  return e.atomic ? e.code : `(${e.code})`;
}

/** Indents every line of `text` but the first by `n` spaces. */
function indentRest(text: string, n: number): string {
  return text.replace(/\n/g, `\n${' '.repeat(n)}`);
}

export class Translator {
  readonly #opts: TranslateOptions;
  readonly #comments: Comment[];
  #nextComment = 0;
  readonly todos: Todo[] = [];
  readonly #imports = new Set<string>();
  #usesPp = false;
  #scope: Scope = { parent: undefined, names: new Map(), shapes: new Map() };
  #frame: Frame = { awaits: false, loop: false, callback: false };
  /** Every variable name used anywhere (so generated helper names never clash). */
  readonly #taken = new Set<string>();
  #lines: string[] = [];
  #depth = 0;
  /** The plan-file line of the statement being emitted (0 outside the body). */
  #sourceLine = 0;
  /** The array holding the regexp match variables (`$0`, `$1`...), when the plan reads them. */
  #captures: string | undefined;

  constructor(comments: readonly Comment[], options: TranslateOptions) {
    this.#comments = [...comments].sort((a, b) => a.loc.start - b.loc.start);
    this.#opts = options;
  }

  // ---------------------------------------------------------------------------------- output

  #line(text = ''): void {
    if (text === '') {
      this.#lines.push('');
      return;
    }
    const pad = '  '.repeat(this.#depth);
    const mark = this.#sourceLine > 0 ? `${LINE_MARK}${this.#sourceLine}${LINE_MARK}` : '';
    this.#lines.push(pad + mark + indentRest(text, pad.length));
  }

  /** Emits the comments that start before `offset` (and have not been emitted). */
  #flushComments(offset: number): void {
    while (this.#nextComment < this.#comments.length && this.#comments[this.#nextComment]!.loc.start < offset) {
      const c = this.#comments[this.#nextComment++]!;
      for (const text of c.text.replace(/\s+$/, '').split(LINE_BREAK)) this.#line(text.trim() === '' ? '//' : `// ${c.style === 'block' ? text.replace(/^\s*\*?\s?/, '') : text.replace(/^ /, '')}`);
    }
  }

  /** Runs `fn` with fresh output lines and returns them (relative indentation). */
  #capture(fn: () => void): string[] {
    const saved = this.#lines;
    const depth = this.#depth;
    this.#lines = [];
    this.#depth = 0;
    try {
      fn();
      return this.#lines;
    } finally {
      this.#lines = saved;
      this.#depth = depth;
    }
  }

  #sdk(name: string): string {
    this.#imports.add(name);
    return name;
  }

  #pp(name: string): string {
    this.#usesPp = true;
    return `pp.${name}`;
  }

  #todo(node: Node, construct: string, why: string): void {
    const line = this.#opts.reportLine ? this.#opts.reportLine(node.loc.line) : node.loc.line;
    this.todos.push({ file: this.#opts.file, line, construct, message: `${construct}: ${why}` });
  }

  #sourceOf(node: Node): string {
    return this.#opts.source.slice(node.loc.start, node.loc.end);
  }

  /** A statement kept as comments: `// TODO(rivet): why` and the original source. */
  #todoStatement(node: Node, construct: string, why: string): void {
    this.#todo(node, construct, why);
    this.#line(`// TODO(rivet convert): ${construct} ${why}. Original (${this.#opts.file}:${node.loc.line}):`);
    for (const text of this.#sourceOf(node).split(LINE_BREAK)) this.#line(`//   ${text}`);
  }

  /** An expression that cannot be translated: `undefined` with the reason beside it. */
  #todoExpr(node: Node, construct: string, why: string): Expr {
    this.#todo(node, construct, why);
    const text = this.#sourceOf(node).replace(/\*\//g, '* /').replace(/\s+/g, ' ');
    return atom(`undefined /* TODO(rivet convert): ${construct} ${why}: ${text.length > 80 ? `${text.slice(0, 77)}...` : text} */`);
  }

  // ---------------------------------------------------------------------------------- names

  #lookup(name: string): string | undefined {
    for (let s: Scope | undefined = this.#scope; s; s = s.parent) {
      const found = s.names.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  #shapeOf(name: string): Shape {
    for (let s: Scope | undefined = this.#scope; s; s = s.parent) {
      const found = s.shapes.get(name);
      if (found !== undefined) return found;
    }
    return 'unknown';
  }

  /** A TypeScript name for a new Puppet variable in the current scope. */
  #declare(name: string, shape: Shape = 'unknown'): string {
    let ts = camel(name.replace(/^::/, '').replace(/::/g, '_'));
    if (/^\d/.test(ts)) ts = `match${ts}`;
    if (RESERVED.has(ts) || SDK_NAMES.has(ts)) ts = `${ts}_`;
    this.#scope.names.set(name, ts);
    this.#scope.shapes.set(name, shape);
    this.#taken.add(ts);
    return ts;
  }

  /** A fresh helper variable name (`caseValue`, `caseValue2`...). */
  #fresh(base: string): string {
    let name = base;
    for (let i = 2; this.#taken.has(name) || this.#lookup(name) !== undefined; i++) name = `${base}${i}`;
    this.#taken.add(name);
    return name;
  }

  #withScope<T>(fn: () => T): T {
    const saved = this.#scope;
    this.#scope = { parent: saved, names: new Map(), shapes: new Map() };
    try {
      return fn();
    } finally {
      this.#scope = saved;
    }
  }

  // ---------------------------------------------------------------------------------- plan

  /** The TypeScript module of the plan in `program`. */
  translateProgram(program: Program): Translation {
    const plans = program.body.filter((e): e is PlanDefinition => e.kind === 'PlanDefinition');
    for (const other of program.body) {
      if (other.kind === 'PlanDefinition') continue;
      this.#todo(other, other.kind === 'FunctionDefinition' ? `function ${other.name}` : other.kind, 'is outside the plan; only one plan definition per file is translated');
    }
    const plan = plans[0];
    if (plan === undefined) throw new Error('no plan definition');
    for (const extra of plans.slice(1)) this.#todo(extra, `plan ${extra.name}`, 'is a second plan in the file; Bolt loads only the plan named by the file');
    return this.#plan(plan);
  }

  #plan(plan: PlanDefinition): Translation {
    const leading = this.#comments.filter((c) => c.loc.end <= plan.loc.start);
    this.#nextComment = leading.length;
    const doc = parseDocComments(leading);

    const paramLines: string[] = [];
    const bindings: string[] = [];
    const lateDefaults: Parameter[] = [];
    for (const p of plan.params) {
      const ts = this.#declare(p.name, shapeOfType(p.typeSource));
      if (p.capturesRest) this.#todo(p, `parameter *$${p.name}`, 'captures the rest of the arguments, which plans cannot');
      let type = p.typeSource?.replace(/\s+/g, ' ').trim() ?? 'Any';
      const description = doc.params.get(p.name);
      let defaultCode: string | undefined;
      if (p.defaultValue !== undefined && !(p.defaultValue.kind === 'UndefLiteral' && /^Optional\[/.test(type))) {
        const literal = literalValue(p.defaultValue);
        if (literal.ok) defaultCode = this.#expr(p.defaultValue).code;
        else {
          // A default computed from other parameters: the parameter becomes optional and the
          // default is computed at the top of `run`, as Bolt does before the body runs.
          lateDefaults.push(p);
          if (!/^Optional\[/.test(type)) type = `Optional[${type}]`;
        }
      }
      const key = propertyKey(p.name);
      if (defaultCode === undefined && description === undefined) paramLines.push(`${key}: ${quote(type)},`);
      else {
        const parts = [`type: ${quote(type)}`];
        if (defaultCode !== undefined) parts.push(`default: ${defaultCode}`);
        if (description !== undefined) parts.push(`description: ${quote(description)}`);
        paramLines.push(`${key}: { ${parts.join(', ')} },`);
      }
      bindings.push(ts === p.name ? ts : `${propertyKey(p.name)}: ${ts}`);
    }

    const used = new Set<string>();
    collectVariables(plan.body, used);
    if ([...used].some((n) => /^\d+$/.test(n))) this.#captures = this.#fresh('captures');
    const bodyLines = this.#capture(() => {
      this.#depth = 2;
      // Puppet's match variables: set by each `=~` and regexp `case` option, read as `$1`...
      if (this.#captures !== undefined) this.#line(`const ${this.#captures}: (string | undefined)[] = [];`);
      for (const p of lateDefaults) {
        const ts = this.#lookup(p.name)!;
        this.#line(`${ts} ??= ${this.#expr(p.defaultValue!).code};`);
      }
      this.#statements(plan.body.body, { mode: 'none' });
      this.#flushComments(plan.body.loc.end);
    });
    const awaits = this.#frame.awaits;

    const name = this.#opts.name ?? plan.name;
    const out: string[] = [];
    if (this.#opts.header) for (const l of this.#opts.header.split(LINE_BREAK)) out.push(`// ${l}`);
    for (const c of leading) for (const l of c.text.replace(/\s+$/, '').split(LINE_BREAK)) out.push(l.trim() === '' ? '//' : `// ${l.replace(/^ /, '')}`);
    const imports = ['definePlan', ...[...this.#imports].sort()];
    out.push(`import { ${imports.join(', ')}${this.#usesPp ? ', pp' : ''} } from ${quote(this.#opts.sdk ?? 'rivetops')};`, '');
    out.push(`/** Plan \`${name}\`${doc.summary ? `: ${doc.summary.replace(/\*\//g, '* /')}` : ''} */`);
    out.push('export default definePlan({');
    if (doc.description) out.push(`  description: ${quote(doc.description)},`);
    if (doc.private) out.push('  private: true,');
    if (paramLines.length > 0) out.push('  params: {', ...paramLines.map((l) => `    ${l}`), '  },');
    const hasLate = lateDefaults.length > 0;
    const args = bindings.length === 0 ? '' : hasLate ? `{ ${bindings.join(', ')} }` : `{ ${bindings.join(', ')} }`;
    const head = `  ${awaits ? 'async ' : ''}run(${args})`;
    if (hasLate) {
      // Parameters with computed defaults are reassigned: take them as `let`.
      out.push(`${head.replace(`run(${args})`, 'run(params)')} {`, `    let ${args} = params;`);
    } else out.push(`${head} {`);
    out.push(...bodyLines.map((l) => l.replace(/\s+$/, '')));
    out.push('  },', '});', '');
    return { name, ...this.#unmark(collapseBlankLines(out).join('\n').split('\n')), todos: this.todos };
  }

  /**
   * The code without its line marks, and the plan-file line of each of its lines: a line's first
   * mark, else the line before's (a statement written over several lines).
   */
  #unmark(marked: readonly string[]): { code: string; lines: number[] } {
    const lines: number[] = [];
    let current = 0;
    const code = marked.map((text) => {
      let first: number | undefined;
      const clean = text.replace(LINE_MARKS, (_, line: string) => {
        first ??= Number(line);
        return '';
      });
      if (first !== undefined) current = this.#opts.reportLine ? this.#opts.reportLine(first) : first;
      lines.push(current);
      return clean;
    });
    return { code: code.join('\n'), lines };
  }

  // ---------------------------------------------------------------------------------- statements

  /** Emits a list of statements; `tail` says what to do with the value of the last one. */
  #statements(body: readonly Expression[], tail: Tail): void {
    body.forEach((stmt, index) => {
      this.#flushComments(stmt.loc.start);
      const last = index === body.length - 1;
      this.#sourceLine = stmt.loc.line;
      this.#hoist(stmt, body.slice(index + 1));
      this.#statement(stmt, last ? tail : { mode: 'none' });
    });
    if (body.length === 0 && tail.mode === 'return') this.#line('return undefined;');
    if (body.length === 0 && tail.mode === 'assign') this.#line(`${tail.name} = undefined;`);
  }

  /**
   * Puppet's `if` and `case` do not make a scope: a variable assigned in a branch is visible
   * after it. Such variables, when used later, are declared (`let`) before the statement.
   */
  #hoist(stmt: Expression, rest: readonly Expression[]): void {
    if (stmt.kind !== 'IfExpression' && stmt.kind !== 'UnlessExpression' && stmt.kind !== 'CaseExpression') return;
    const assigned = new Set<string>();
    collectAssigned(stmt, assigned);
    const used = new Set<string>();
    for (const r of rest) collectVariables(r, used);
    const names = [...assigned].filter((n) => used.has(n) && this.#lookup(n) === undefined);
    if (names.length === 0) return;
    const ts = names.map((n) => this.#declare(n));
    this.#line(`let ${ts.map((n) => `${n}: any`).join(', ')};`);
    for (const n of names) this.#scope.shapes.set(n, 'unknown');
    // Mark them as hoisted: assignments in branches become plain assignments.
    for (const n of names) this.#hoisted.add(n);
  }

  readonly #hoisted = new Set<string>();

  #statement(e: Expression, tail: Tail): void {
    switch (e.kind) {
      case 'AssignmentExpression': {
        if (e.operator !== '=') {
          this.#todoStatement(e, `'${e.operator}'`, 'is not allowed on variables in Puppet');
          return;
        }
        this.#assign(e.target, e.value);
        if (tail.mode === 'return' && e.target.kind === 'Variable') this.#line(`return ${this.#lookup(e.target.name)};`);
        return;
      }
      case 'IfExpression':
      case 'UnlessExpression':
        this.#if(e, tail);
        return;
      case 'CaseExpression':
        this.#case(e, tail);
        return;
      case 'CallFunction':
        if (this.#callStatement(e.name, e, undefined, tail)) return;
        break;
      case 'CallMethod':
        if (this.#callStatement(e.name, e, e.receiver, tail)) return;
        break;
      case 'ApplyExpression':
        this.#todoStatement(e, 'apply block', 'needs a Puppet catalog compiler');
        return;
      case 'ResourceExpression':
      case 'ResourceDefaultsExpression':
      case 'ResourceOverrideExpression':
      case 'CollectExpression':
      case 'RelationshipExpression':
        this.#todoStatement(e, 'resource expression', 'needs a Puppet catalog compiler');
        return;
      case 'FunctionDefinition':
      case 'ClassDefinition':
      case 'DefineDefinition':
      case 'NodeDefinition':
      case 'TypeAlias':
      case 'PlanDefinition':
        this.#todoStatement(e, e.kind, 'is not allowed inside a plan');
        return;
      default:
        break;
    }
    const value = this.#expr(e);
    this.#tail(value, tail);
  }

  #tail(value: Expr, tail: Tail): void {
    if (tail.mode === 'return') this.#line(`return ${value.code};`);
    else if (tail.mode === 'assign') this.#line(`${tail.name} = ${value.code};`);
    else if (value.code.startsWith('undefined /*')) this.#line(`${value.code.replace(/^undefined /, '')}`);
    else this.#line(`${value.code};`);
  }

  #assign(target: Expression, value: Expression): void {
    if (target.kind === 'Variable') {
      const computed = this.#valueWithBlocks(value, target.name);
      if (computed === undefined) return;
      const hoisted = this.#hoisted.has(target.name) && this.#lookup(target.name) !== undefined;
      if (hoisted) {
        this.#line(`${this.#lookup(target.name)} = ${computed.code};`);
        return;
      }
      const ts = this.#declare(target.name, computed.bool ? 'boolean' : computed.shape);
      this.#line(`const ${ts} = ${computed.code};`);
      return;
    }
    if (target.kind === 'ArrayLiteral' && target.elements.every((x) => x.kind === 'Variable')) {
      const v = this.#expr(value);
      const names = target.elements.map((x) => this.#declare((x as { name: string }).name));
      this.#line(`const [${names.join(', ')}] = ${this.#pp('items')}(${v.code});`);
      return;
    }
    if (target.kind === 'HashLiteral' || target.kind === 'ArrayLiteral') {
      this.#todoStatement(target, 'destructuring assignment', 'of this form is not supported');
      return;
    }
    this.#todoStatement(target, 'assignment', 'to something other than a variable is not Puppet');
  }

  /**
   * The value of an expression that may be a statement in TypeScript (`$x = if ... { }`,
   * `$x = case ...`): those are emitted as `let x; if (...) { x = ... }` and `undefined` is
   * returned when the variable is already assigned.
   */
  #valueWithBlocks(value: Expression, name: string): Expr | undefined {
    if (value.kind !== 'IfExpression' && value.kind !== 'UnlessExpression' && value.kind !== 'CaseExpression') return this.#expr(value);
    const ts = this.#hoisted.has(name) && this.#lookup(name) !== undefined ? this.#lookup(name)! : this.#declare(name);
    if (!this.#hoisted.has(name)) {
      this.#line(`let ${ts}: any;`);
      this.#hoisted.add(name);
    }
    if (value.kind === 'CaseExpression') this.#case(value, { mode: 'assign', name: ts });
    else this.#if(value, { mode: 'assign', name: ts });
    return undefined;
  }

  #block(block: Block, tail: Tail): void {
    this.#depth++;
    this.#withScope(() => this.#statements(block.body, tail));
    this.#flushComments(block.loc.end);
    this.#depth--;
  }

  #if(e: IfExpression | UnlessExpression, tail: Tail): void {
    const test = e.kind === 'UnlessExpression' ? this.#not(e.test) : this.#cond(e.test);
    this.#line(`if (${test}) {`);
    this.#block(e.consequent, tail);
    let alt = e.alternate;
    while (alt !== undefined && alt.kind === 'IfExpression') {
      this.#line(`} else if (${this.#cond(alt.test)}) {`);
      this.#block(alt.consequent, tail);
      alt = alt.alternate;
    }
    if (alt !== undefined) {
      this.#line('} else {');
      this.#block(alt, tail);
      this.#line('}');
      return;
    }
    this.#closeWithoutElse(tail);
  }

  /** Closes an `if` chain that has no `else`: Puppet's value is then undef. */
  #closeWithoutElse(tail: Tail): void {
    if (tail.mode === 'assign') {
      this.#line('} else {');
      this.#depth++;
      this.#line(`${tail.name} = undefined;`);
      this.#depth--;
    }
    this.#line('}');
    if (tail.mode === 'return') this.#line('return undefined;');
  }

  #case(e: CaseExpression, tail: Tail): void {
    let subject = this.#expr(e.subject);
    if (!/^[A-Za-z_$][\w$]*$/.test(subject.code)) {
      const name = this.#fresh('caseValue');
      this.#line(`const ${name} = ${subject.code};`);
      subject = atom(name, subject.shape);
    }
    const options = e.options.filter((o) => !o.values.some((v) => v.kind === 'DefaultLiteral'));
    const fallback = e.options.find((o) => o.values.some((v) => v.kind === 'DefaultLiteral'));
    options.forEach((option, i) => {
      const test = option.values.map((v) => this.#optionTest(subject, v)).join(' || ');
      this.#flushComments(option.loc.start);
      if (i === 0) this.#line(`if (${test}) {`);
      else this.#line(`} else if (${test}) {`);
      this.#block(option.body, tail);
    });
    if (fallback) {
      if (options.length === 0) {
        // Only a default: its body always runs.
        this.#line('{');
        this.#block(fallback.body, tail);
        this.#line('}');
        return;
      }
      this.#line('} else {');
      this.#block(fallback.body, tail);
      this.#line('}');
    } else if (options.length > 0) {
      this.#closeWithoutElse(tail);
    } else if (tail.mode === 'return') this.#line('return undefined;');
  }

  /** The test of one `case` or selector option against the subject (Puppet's case matching). */
  #optionTest(subject: Expr, option: Expression): string {
    switch (option.kind) {
      case 'StringLiteral':
      case 'InterpolatedString':
        return `${this.#pp('eq')}(${subject.code}, ${this.#expr(option).code})`;
      case 'NumberLiteral':
      case 'BooleanLiteral':
        return `${subject.code} === ${this.#expr(option).code}`;
      case 'UndefLiteral':
        return `${subject.code} == null`;
      case 'RegexLiteral':
        return `${this.#pp('match')}(${this.#args([subject.code, this.#expr(option).code, this.#captures])})`;
      case 'TypeReference':
      case 'AccessExpression':
        if (option.kind === 'TypeReference' && this.#typeGuard(option.name, subject.code) !== undefined) return this.#typeGuard(option.name, subject.code)!;
        if (option.kind === 'TypeReference' || option.target.kind === 'TypeReference') return `${this.#typeValue(option)}.matches(${subject.code})`;
        break;
      default:
        break;
    }
    return `${this.#pp('caseMatch')}(${this.#args([subject.code, this.#expr(option).code, this.#captures])})`;
  }

  /** A plan function used as a statement (`each` loops, calls with blocks); false when it is an ordinary expression. */
  #callStatement(name: string, call: CallFunction | CallMethod, receiver: Expression | undefined, tail: Tail): boolean {
    const args = receiver ? [receiver, ...call.args] : call.args;
    if ((name === 'each' || name === 'reverse_each') && call.lambda && args.length === 1 && tail.mode === 'none') {
      this.#each(args[0]!, call.lambda, name === 'reverse_each');
      return true;
    }
    if ((name === 'step' || name === 'slice') && call.lambda && call.lambda.params.length === 1 && args.length === 2 && tail.mode === 'none') {
      // `$list.slice(2) |$chunk| { ... }`: a loop over the chunks (every nth item for `step`).
      const items: CallFunction = { kind: 'CallFunction', callee: { kind: 'QualifiedName', name, loc: call.loc }, name, args, lambda: undefined, parens: true, loc: call.loc };
      this.#each(items, call.lambda, false);
      return true;
    }
    if (name === 'return' && !receiver) {
      const value = args[0] ? this.#expr(args[0]).code : 'undefined';
      this.#line(args[0] ? `return ${value};` : 'return;');
      return true;
    }
    if ((name === 'next' || name === 'break') && !receiver) {
      if (this.#frame.loop) {
        if (name === 'next' && args[0]) this.#todoStatement(call, 'next(value)', 'has no value in a loop');
        else this.#line(name === 'next' ? 'continue;' : 'break;');
        return true;
      }
      if (this.#frame.callback && name === 'next') {
        this.#line(`return ${args[0] ? this.#expr(args[0]).code : 'undefined'};`);
        return true;
      }
      if (this.#frame.callback && name === 'break') {
        // Ends the map/filter/reduce the callback belongs to, with what it has so far.
        this.#line(`throw ${this.#pp('BREAK')};`);
        return true;
      }
      this.#todoStatement(call, `${name}()`, 'outside an each loop is not supported');
      return true;
    }
    return false;
  }

  #each(collection: Expression, lambda: Lambda, reverse: boolean): void {
    const coll = this.#expr(collection);
    const params = lambda.params;
    const hashLike = coll.shape === 'hash';
    let iterable: string;
    let binding: string;
    this.#withScope(() => {
      if (params.length >= 2) {
        iterable = `${this.#pp('pairs')}(${coll.code})`;
        binding = `[${params.slice(0, 2).map((p) => this.#declare(p.name)).join(', ')}]`;
      } else {
        const direct = coll.shape === 'array' || coll.shape === 'resultset';
        iterable = direct ? coll.code : `${this.#pp('items')}(${coll.code})`;
        binding = params[0] ? this.#declare(params[0].name, coll.shape === 'resultset' ? 'unknown' : 'unknown') : '_item';
        if (hashLike) iterable = `Object.entries(${coll.code})`;
      }
      if (reverse) iterable = `[...${iterable}].reverse()`;
      this.#line(`for (const ${binding} of ${iterable}) {`);
      const saved = this.#frame;
      this.#frame = { awaits: saved.awaits, loop: true, callback: false };
      this.#depth++;
      this.#statements(lambda.body.body, { mode: 'none' });
      this.#flushComments(lambda.body.loc.end);
      this.#depth--;
      saved.awaits ||= this.#frame.awaits;
      this.#frame = saved;
      this.#line('}');
    });
  }

  // ---------------------------------------------------------------------------------- expressions

  /** A condition: Puppet truthiness unless the expression is a boolean already. */
  #cond(e: Expression): string {
    const v = this.#expr(e);
    return v.bool ? v.code : `${this.#pp('truthy')}(${v.code})`;
  }

  #not(e: Expression): string {
    const v = this.#expr(e);
    return v.bool ? `!${paren(v)}` : `!${this.#pp('truthy')}(${v.code})`;
  }

  #expr(e: Expression): Expr {
    switch (e.kind) {
      case 'Variable':
        return this.#variable(e);
      case 'QualifiedName':
        return atom(quote(e.name), 'string');
      case 'TypeReference':
        return atom(this.#typeValue(e));
      case 'StringLiteral':
        return atom(quote(e.value), 'string');
      case 'InterpolatedString':
        return atom(this.#interpolated(e.parts), 'string');
      case 'Heredoc':
        return this.#expr(e.value);
      case 'NumberLiteral':
        return atom(e.radix === 8 ? `0o${e.value.toString(8)}` : e.radix === 16 ? e.raw.toLowerCase() : String(e.value), 'number');
      case 'BooleanLiteral':
        return atom(String(e.value), 'boolean', true);
      case 'UndefLiteral':
        return atom('undefined');
      case 'DefaultLiteral':
        return atom(this.#pp('DEFAULT'));
      case 'RegexLiteral':
        return atom(`/${rubyRegex(e.pattern).replace(/\//g, '\\/')}/`);
      case 'ArrayLiteral':
        return atom(`[${e.elements.map((x) => this.#element(x)).join(', ')}]`, 'array');
      case 'HashLiteral':
        return atom(this.#hash(e), 'hash');
      case 'ParenthesizedExpression': {
        const inner = this.#expr(e.expression);
        return { ...inner, code: inner.atomic ? inner.code : `(${inner.code})`, atomic: true };
      }
      case 'UnaryExpression':
        return this.#unary(e);
      case 'BinaryExpression':
        return this.#binary(e);
      case 'AccessExpression':
        return this.#access(e);
      case 'CallFunction':
        return this.#call(e.name, e.args, e.lambda, e, e.callee.kind === 'TypeReference');
      case 'CallMethod':
        return this.#method(e);
      case 'SelectorExpression': {
        let subject = this.#expr(e.subject);
        if (!/^[A-Za-z_$][\w$.]*$/.test(subject.code)) subject = atom(paren(subject));
        let code = `${this.#pp('noMatch')}(${subject.code})`;
        for (const entry of [...e.entries].reverse()) {
          const value = this.#expr(entry.value);
          if (entry.match.kind === 'DefaultLiteral') code = value.code;
          else code = `${this.#optionTest(subject, entry.match)} ? ${value.code} : ${code}`;
        }
        return compound(code);
      }
      case 'IfExpression':
      case 'UnlessExpression':
      case 'CaseExpression':
        return this.#blockValue(e);
      case 'AssignmentExpression':
        return this.#todoExpr(e, 'assignment', 'inside an expression is not supported');
      case 'ApplyExpression':
        return this.#todoExpr(e, 'apply block', 'needs a Puppet catalog compiler');
      case 'ResourceExpression':
      case 'ResourceDefaultsExpression':
      case 'ResourceOverrideExpression':
      case 'CollectExpression':
      case 'RelationshipExpression':
        return this.#todoExpr(e, 'resource expression', 'needs a Puppet catalog compiler');
      case 'ReservedWord':
        return this.#todoExpr(e, `'${e.word}'`, 'is a reserved word');
      default:
        return this.#todoExpr(e, e.kind, 'is not supported in a plan body');
    }
  }

  /** An `if`/`case` used as a value: an immediately called arrow function with `return`s. */
  #blockValue(e: IfExpression | UnlessExpression | CaseExpression): Expr {
    const saved = this.#frame;
    this.#frame = { awaits: false, loop: false, callback: true };
    const lines = this.#capture(() => {
      this.#depth = 1;
      if (e.kind === 'CaseExpression') this.#case(e, { mode: 'return' });
      else this.#if(e, { mode: 'return' });
    });
    const awaits = this.#frame.awaits;
    this.#frame = saved;
    if (awaits) saved.awaits = true;
    const fn = `(${awaits ? 'async ' : ''}() => {\n${lines.join('\n')}\n})()`;
    return awaits ? compound(`await ${fn}`) : atom(fn);
  }

  #variable(e: { name: string } & Node): Expr {
    const ts = this.#lookup(e.name);
    if (ts !== undefined) return atom(ts, this.#shapeOf(e.name), this.#shapeOf(e.name) === 'boolean');
    if (/^\d+$/.test(e.name) && this.#captures !== undefined) return atom(`${this.#captures}[${Number(e.name)}]`);
    if (e.name === 'facts' || e.name === '::facts' || e.name === 'trusted' || e.name.startsWith('::')) return this.#todoExpr(e, `$${e.name}`, 'is a Puppet top-scope variable that plans do not have');
    // Bolt: a variable that is not set is undef.
    return atom(`undefined /* $${e.name} is not set here: undef, as in Bolt */`);
  }

  #element(e: Expression): string {
    if (e.kind === 'UnaryExpression' && e.operator === '*') return `...${this.#pp('items')}(${this.#expr(e.operand).code})`;
    if (e.kind === 'HashLiteral' && !e.braces) return this.#hash(e);
    return this.#expr(e).code;
  }

  #hash(e: HashLiteral): string {
    if (e.entries.length === 0) return '{}';
    const parts = e.entries.map((entry) => {
      const key = entry.key;
      let k: string;
      if (key.kind === 'StringLiteral' || key.kind === 'QualifiedName') k = propertyKey(key.kind === 'StringLiteral' ? key.value : key.name);
      else if (key.kind === 'NumberLiteral') k = String(key.value);
      else k = `[${this.#pp('text')}(${this.#expr(key).code})]`;
      const value = this.#expr(entry.value).code;
      return k === value ? k : `${k}: ${value}`;
    });
    const flat = `{ ${parts.join(', ')} }`;
    return flat.length <= 90 && !flat.includes('\n') ? flat : `{\n${parts.map((p) => `  ${indentRest(p, 2)},`).join('\n')}\n}`;
  }

  #interpolated(parts: readonly ({ kind: 'TextSegment'; value: string } | { kind: 'Interpolation'; expression: Expression })[]): string {
    let out = '';
    for (const part of parts) {
      if (part.kind === 'TextSegment') out += templateText(part.value);
      else out += `\${${this.#expr(part.expression).code}}`;
    }
    return `${this.#pp('str')}\`${out}\``;
  }

  /** A Puppet type as a value: `pp.type('Integer[1]')`. */
  #typeValue(e: Expression): string {
    return `${this.#pp('type')}(${quote(this.#sourceOf(e).replace(/\s+/g, ' '))})`;
  }

  /** Bolt's object types as TypeScript type guards (so the branch knows the type). */
  #typeGuard(type: string, value: string): string | undefined {
    if (type === 'Error') return `${this.#sdk('isRivetError')}(${value})`;
    if (type === 'ResultSet' || type === 'Result') return `${value} instanceof ${this.#sdk(type)}`;
    return undefined;
  }

  #unary(e: Extract<Expression, { kind: 'UnaryExpression' }>): Expr {
    if (e.operator === '!') return { ...compound(this.#not(e.operand), 'boolean', true), prec: 'not' };
    if (e.operator === '-') {
      const v = this.#expr(e.operand);
      if (e.operand.kind === 'NumberLiteral' || v.shape === 'number') return compound(`-${paren(v)}`, 'number');
      return atom(`${this.#pp('neg')}(${v.code})`, 'number');
    }
    return this.#todoExpr(e, 'splat (*)', 'is only supported in arrays and argument lists');
  }

  #binary(e: Extract<Expression, { kind: 'BinaryExpression' }>): Expr {
    const l = this.#expr(e.left);
    const r = this.#expr(e.right);
    const bothNumbers = e.left.kind === 'NumberLiteral' && e.right.kind === 'NumberLiteral';
    switch (e.operator) {
      case 'and':
      case 'or': {
        const operand = (x: Expr): string => (x.bool ? logicOperand(x, e.operator as 'and' | 'or') : `${this.#pp('truthy')}(${x.code})`);
        return { ...compound(`${operand(l)} ${e.operator === 'and' ? '&&' : '||'} ${operand(r)}`, 'boolean', true), prec: e.operator };
      }
      case '==':
      case '!=': {
        const neg = e.operator === '!=';
        if (e.right.kind === 'UndefLiteral' || e.left.kind === 'UndefLiteral') {
          const other = e.right.kind === 'UndefLiteral' ? l : r;
          return { ...compound(`${paren(other)} ${neg ? '!=' : '=='} null`, 'boolean', true), prec: 'cmp' };
        }
        const literalKinds = ['NumberLiteral', 'BooleanLiteral'];
        if (literalKinds.includes(e.right.kind) || literalKinds.includes(e.left.kind)) return { ...compound(`${paren(l)} ${neg ? '!==' : '==='} ${paren(r)}`, 'boolean', true), prec: 'cmp' };
        return neg ? { ...compound(`!${this.#pp('eq')}(${l.code}, ${r.code})`, 'boolean', true), prec: 'not' } : atom(`${this.#pp('eq')}(${l.code}, ${r.code})`, 'boolean', true);
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        if (bothNumbers || (isNumeric(l, e.left) && isNumeric(r, e.right))) return { ...compound(`${paren(l)} ${e.operator} ${paren(r)}`, 'boolean', true), prec: 'cmp' };
        const fn = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' }[e.operator];
        return atom(`${this.#pp(fn)}(${l.code}, ${r.code})`, 'boolean', true);
      }
      case '=~':
      case '!~': {
        const guard = e.right.kind === 'TypeReference' ? this.#typeGuard(e.right.name, l.code) : undefined;
        const test = guard !== undefined ? guard : e.right.kind === 'TypeReference' || (e.right.kind === 'AccessExpression' && e.right.target.kind === 'TypeReference') ? `${r.code}.matches(${l.code})` : `${this.#pp('match')}(${this.#args([l.code, r.code, e.operator === '=~' ? this.#captures : undefined])})`;
        return e.operator === '=~' ? atom(test, 'boolean', true) : { ...compound(`!${test}`, 'boolean', true), prec: 'not' };
      }
      case 'in':
        return atom(`${this.#pp('isIn')}(${l.code}, ${r.code})`, 'boolean', true);
      case '+':
      case '-':
      case '*':
      case '/':
      case '%': {
        // A Float literal makes `/` a float division (JavaScript cannot tell 7.0 from 7).
        const floatLiteral = (x: Expression): boolean => x.kind === 'NumberLiteral' && x.isFloat;
        if (e.operator === '/' && (floatLiteral(e.left) || floatLiteral(e.right))) return compound(`${paren(l)} / ${paren(r)}`, 'number');
        if ((bothNumbers || (isNumeric(l, e.left) && isNumeric(r, e.right))) && e.operator !== '/' && e.operator !== '%') return compound(`${paren(l)} ${e.operator} ${paren(r)}`, 'number');
        const fn = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' }[e.operator];
        const shape = e.operator === '+' || e.operator === '-' ? (l.shape === 'array' || l.shape === 'hash' ? l.shape : l.shape === 'number' ? 'number' : undefined) : 'number';
        return atom(`${this.#pp(fn)}(${l.code}, ${r.code})`, shape);
      }
      case '<<':
        if (l.shape === 'array') return atom(`[...${paren(l)}, ${r.code}]`, 'array');
        return this.#todoExpr(e, "'<<'", 'is only translated for arrays');
      case '>>':
        return this.#todoExpr(e, "'>>'", 'is not supported');
    }
  }

  #access(e: AccessExpression): Expr {
    if (e.target.kind === 'TypeReference') return atom(this.#typeValue(e));
    const target = this.#expr(e.target);
    const keys = e.keys.map((k) => this.#expr(k).code);
    if (keys.length > 2) return this.#todoExpr(e, 'access', 'with more than two keys is not supported');
    return atom(`${this.#pp('at')}(${[target.code, ...keys].join(', ')})`);
  }

  #method(e: CallMethod): Expr {
    const member = MEMBER_METHODS[e.name];
    if (member !== undefined && e.args.length === 0 && e.lambda === undefined) {
      const receiver = this.#expr(e.receiver);
      const shape: Shape | undefined = e.name === 'ok_set' || e.name === 'error_set' ? 'resultset' : e.name === 'targets' || e.name === 'names' ? 'array' : undefined;
      return atom(`${paren(receiver)}${member}`, shape, e.name === 'ok');
    }
    if (e.name === 'filter_set' && e.lambda) {
      const receiver = this.#expr(e.receiver);
      return atom(`${paren(receiver)}.filterSet(${this.#lambda(e.lambda, { callback: true, forceSync: true, boolean: true })})`, 'resultset');
    }
    if (e.name === 'find' && e.args.length === 1 && !e.lambda) {
      const receiver = this.#expr(e.receiver);
      return atom(`${paren(receiver)}.find(${this.#expr(e.args[0]!).code})!`);
    }
    if (e.receiver.kind === 'TypeReference' && e.name === 'new') {
      return this.#call(e.receiver.name, e.args, e.lambda, e, true, true);
    }
    return this.#call(e.name, [e.receiver, ...e.args], e.lambda, e, false);
  }

  /** A lambda as an arrow function. */
  #lambda(lambda: Lambda, how: { callback?: boolean; forceSync?: boolean; boolean?: boolean; paramNames?: string[] }): string {
    const saved = this.#frame;
    this.#frame = { awaits: false, loop: false, callback: how.callback ?? false };
    let params: string[] = [];
    let body: string;
    try {
      body = this.#withScope(() => {
        params = lambda.params.map((p, i) => how.paramNames?.[i] ?? this.#declare(p.name, shapeOfType(p.typeSource)));
        const stmts = lambda.body.body;
        const single = stmts.length === 1 && isPureExpression(stmts[0]!) && !this.#commentsWithin(lambda.body);
        if (single) {
          const v = this.#expr(stmts[0]!);
          let code = how.boolean && !v.bool ? `${this.#pp('truthy')}(${v.code})` : v.code;
          // `async (t) => await f(t)` is `async (t) => f(t)`.
          if (code.startsWith('await ') && !/^await [\s\S]*\bawait\b/.test(code) && v.atomic === false && /^await [\w.]+\([\s\S]*\)$/.test(code)) code = code.slice(6);
          return code.startsWith('{') ? `(${code})` : code;
        }
        const lines = this.#capture(() => {
          this.#depth = 1;
          this.#statements(stmts, { mode: 'return' });
          this.#flushComments(lambda.body.loc.end);
        });
        return `{\n${lines.join('\n')}\n}`;
      });
    } finally {
      // restored below
    }
    const awaits = this.#frame.awaits;
    this.#frame = saved;
    if (awaits && how.forceSync) this.#todo(lambda, 'lambda', 'runs steps where Rivet needs a synchronous function');
    const head = `${awaits ? 'async ' : ''}(${params.join(', ')}) =>`;
    return `${head} ${body}`;
  }

  #commentsWithin(block: Block): boolean {
    return this.#comments.slice(this.#nextComment).some((c) => c.loc.start > block.loc.start && c.loc.end < block.loc.end);
  }

  /** `await x` as an expression (marks the current function async). */
  #await(code: string): Expr {
    this.#frame.awaits = true;
    return compound(`await ${code}`);
  }

  #awaitShape(code: string, shape: Shape): Expr {
    return { ...this.#await(code), shape };
  }

  /**
   * The positional arguments and the trailing options hash of a Bolt call: `run_command($c, $t,
   * 'desc', '_run_as' => 'root')` gives `['$c', '$t', 'desc']` and the hash.
   */
  #splitOptions(args: readonly Expression[], maxPositional: number): { positional: Expression[]; options: Expression | undefined } {
    const last = args[args.length - 1];
    if (args.length > maxPositional && last !== undefined) return { positional: args.slice(0, -1), options: last };
    if (last !== undefined && last.kind === 'HashLiteral' && args.length > maxPositional - 1 && args.length > 1) return { positional: args.slice(0, -1), options: last };
    return { positional: [...args], options: undefined };
  }

  /**
   * A Bolt options hash as Rivet options: a literal hash is mapped key by key (`_run_as` ->
   * `runAs`, `wait_time` seconds -> `waitTime` ms); anything else goes through `pp.options`.
   * `taskParams` receives the non-`_` keys when the call has task parameters.
   */
  #options(hash: Expression | undefined, extra: string[] = [], taskParams?: string[]): string | undefined {
    const parts = [...extra];
    if (hash !== undefined && hash.kind === 'HashLiteral') {
      for (const entry of hash.entries) {
        const key = entry.key.kind === 'StringLiteral' ? entry.key.value : entry.key.kind === 'QualifiedName' ? entry.key.name : undefined;
        if (key === undefined) {
          this.#todo(entry, 'option', 'with a computed name is not supported');
          continue;
        }
        if (taskParams && !key.startsWith('_')) {
          taskParams.push(`${propertyKey(key)}: ${this.#expr(entry.value).code}`);
          continue;
        }
        const name = OPTION_NAMES[key] ?? camel(key.replace(/^_/, ''));
        let value = this.#expr(entry.value);
        if (SECONDS_OPTIONS.has(name)) value = entry.value.kind === 'NumberLiteral' ? atom(String(secondsToMs(entry.value.value))) : atom(`${this.#pp('ms')}(${value.code})`);
        if (name === 'catchErrors' && !value.bool) value = atom(`${this.#pp('truthy')}(${value.code})`);
        parts.push(`${name}: ${value.code}`);
      }
    } else if (hash !== undefined) {
      const v = this.#expr(hash);
      if (taskParams) taskParams.push(`...${this.#pp('params')}(${v.code})`);
      parts.push(`...${this.#pp('options')}(${v.code})`);
    }
    return parts.length === 0 ? undefined : `{ ${parts.join(', ')} }`;
  }

  #args(list: readonly (string | undefined)[]): string {
    const out = [...list];
    while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
    return out.map((x) => x ?? 'undefined').join(', ');
  }

  /** A function call (or a method call with the receiver as first argument). */
  #call(name: string, args: readonly Expression[], lambda: Lambda | undefined, node: Node, isType: boolean, isNew = false): Expr {
    const arg = (i: number): string => (args[i] ? this.#expr(args[i]!).code : 'undefined');
    const description = (e: Expression | undefined): string[] => (e ? [`description: ${this.#expr(e).code}`] : []);

    if (isType) {
      const all = args.map((_, i) => arg(i)).join(', ');
      if (name === 'Target') return atom(`${this.#sdk('createTarget')}(${arg(0)})`, 'target');
      if (name === 'Error') return atom(`${this.#pp('error')}(${all})`);
      if (name === 'Result') return atom(`${this.#pp('result')}(${all})`);
      if (name === 'ResultSet') return atom(`${this.#pp('resultSet')}(${all})`, 'resultset');
      if (name === 'Timestamp' && args.length === 0) return atom(`${this.#pp('timestamp')}()`, 'number');
      if (['String', 'Integer', 'Float', 'Numeric', 'Boolean', 'Array', 'Hash'].includes(name)) {
        return atom(`${this.#pp('convert')}(${quote(name)}, ${arg(0)})`, name === 'String' ? 'string' : name === 'Array' ? 'array' : name === 'Hash' ? 'hash' : name === 'Boolean' ? 'boolean' : 'number', name === 'Boolean');
      }
      if (name === 'Sensitive') return atom(`new ${this.#sdk('Sensitive')}(${arg(0)})`);
      return this.#todoExpr(node, `${name}.new`, 'is not supported');
    }

    switch (name) {
      case 'run_command': {
        const { positional, options } = this.#splitOptions(args, 3);
        const opts = this.#options(options, description(positional[2]));
        return this.#awaitShape(`${this.#sdk('runCommand')}(${this.#args([arg(0), arg(1), opts])})`, 'resultset');
      }
      case 'run_script': {
        const { positional, options } = this.#splitOptions(args, 3);
        const opts = this.#options(options, description(positional[2]));
        return this.#awaitShape(`${this.#sdk('runScript')}(${this.#args([arg(0), arg(1), opts])})`, 'resultset');
      }
      case 'run_task': {
        const { positional, options } = this.#splitOptions(args, 3);
        const params: string[] = [];
        const opts = this.#options(options, description(positional[2]), params);
        const p = params.length > 0 ? `{ ${params.join(', ')} }` : opts ? '{}' : undefined;
        return this.#awaitShape(`${this.#sdk('runTask')}(${this.#args([arg(0), arg(1), p, opts])})`, 'resultset');
      }
      case 'run_task_with': {
        const { positional, options } = this.#splitOptions(args, 3);
        const opts = this.#options(options, description(positional[2]));
        if (!lambda) return this.#todoExpr(node, 'run_task_with', 'needs a block');
        return this.#awaitShape(`${this.#sdk('runTaskWith')}(${this.#args([arg(0), arg(1), this.#lambda(lambda, {}), opts])})`, 'resultset');
      }
      case 'upload_file':
      case 'download_file': {
        const { positional, options } = this.#splitOptions(args, 4);
        const opts = this.#options(options, description(positional[3]));
        const fn = name === 'upload_file' ? 'uploadFile' : 'downloadFile';
        return this.#awaitShape(`${this.#sdk(fn)}(${this.#args([arg(0), arg(1), arg(2), opts])})`, 'resultset');
      }
      case 'write_file': {
        const { options } = this.#splitOptions(args, 3);
        return this.#awaitShape(`${this.#sdk('writeFile')}(${this.#args([arg(0), arg(1), arg(2), this.#options(options)])})`, 'resultset');
      }
      case 'wait_until_available': {
        const { options } = this.#splitOptions(args, 1);
        return this.#awaitShape(`${this.#sdk('waitUntilAvailable')}(${this.#args([arg(0), this.#options(options)])})`, 'resultset');
      }
      case 'run_plan': {
        // run_plan(name, [targets], [params]): the params hash carries `_catch_errors`/`_run_as`.
        const { positional, options } = this.#splitOptions(args, 2);
        const params: string[] = [];
        if (positional[1]) params.push(`targets: ${this.#expr(positional[1]).code}`);
        const opts = this.#options(options, [], params);
        const p = params.length > 0 ? `{ ${params.join(', ')} }` : opts ? '{}' : undefined;
        return this.#await(`${this.#sdk('runPlan')}(${this.#args([arg(0), p, opts])})`);
      }
      case 'out::message':
      case 'out::verbose':
        return atom(`${this.#sdk('out')}.${name === 'out::message' ? 'message' : 'verbose'}(${arg(0)})`);
      case 'fail_plan': {
        if (args.length === 1) return atom(`${this.#sdk('failPlan')}(${arg(0)})`);
        const first = args[0]!.kind === 'StringLiteral' || args[0]!.kind === 'InterpolatedString' ? arg(0) : `${this.#pp('text')}(${arg(0)})`;
        return atom(`${this.#sdk('failPlan')}(${[first, ...args.slice(1).map((_, i) => arg(i + 1))].join(', ')})`);
      }
      case 'fail':
        return atom(`${this.#sdk('failPlan')}(${this.#pp('text')}(${args.map((_, i) => arg(i)).join(' + ') || "''"}), 'bolt/evaluation-error')`);
      case 'catch_errors': {
        if (!lambda) return this.#todoExpr(node, 'catch_errors', 'needs a block');
        return this.#await(`${this.#sdk('catchErrors')}(${this.#args([this.#lambda(lambda, {}), args[0] ? arg(0) : undefined])})`);
      }
      case 'parallelize': {
        if (!lambda) return this.#todoExpr(node, 'parallelize', 'needs a block');
        return this.#awaitShape(`${this.#sdk('parallelize')}(${arg(0)}, ${this.#lambda(lambda, {})})`, 'array');
      }
      case 'background': {
        if (!lambda) return this.#todoExpr(node, 'background', 'needs a block');
        const fn = this.#lambda(lambda, {});
        return atom(`${this.#pp('background')}(${args[0] ? arg(0) : 'undefined'}, ${fn.startsWith('async') ? fn : `async ${fn}`})`);
      }
      case 'wait': {
        // wait(), wait($timeout), wait($futures), wait($futures, $timeout), wait(..., '_catch_errors' => true):
        // pp.wait tells a timeout (seconds, as Bolt) from futures by the value.
        const { positional, options } = this.#splitOptions(args, 2);
        const opts = this.#options(options, positional[1] ? [`timeout: ${this.#expr(positional[1]).code}`] : []);
        return this.#awaitShape(`${this.#pp('wait')}(${this.#args([positional[0] ? this.#expr(positional[0]).code : opts ? 'undefined' : undefined, opts])})`, 'array');
      }
      case 'ctrl::sleep':
        return this.#await(`${this.#sdk('ctrl')}.sleep(${args[0]?.kind === 'NumberLiteral' ? String(secondsToMs(args[0].value)) : `${this.#pp('ms')}(${arg(0)})`})`);
      case 'ctrl::do_until': {
        if (!lambda) return this.#todoExpr(node, 'ctrl::do_until', 'needs a block');
        const parts: string[] = [];
        const hash = args[0];
        if (hash?.kind === 'HashLiteral') {
          for (const entry of hash.entries) {
            const key = entry.key.kind === 'StringLiteral' ? entry.key.value : entry.key.kind === 'QualifiedName' ? entry.key.name : '';
            const value = this.#expr(entry.value).code;
            if (key === 'limit') parts.push(`limit: ${value}`);
            else if (key === 'interval') parts.push(`interval: ${entry.value.kind === 'NumberLiteral' ? String(secondsToMs(entry.value.value)) : `${this.#pp('ms')}(${value})`}`);
            else this.#todo(entry, `ctrl::do_until option '${key}'`, 'is not supported');
          }
        } else if (hash !== undefined) this.#todo(hash, 'ctrl::do_until options', 'must be a literal hash');
        const opts = parts.length ? `{ ${parts.join(', ')} }` : undefined;
        return this.#await(`${this.#pp('doUntil')}(${this.#args([this.#lambda(lambda, {}), opts])})`);
      }
      case 'prompt': {
        const opts = this.#options(args[1], []);
        return this.#await(`${this.#sdk('prompt')}(${this.#args([arg(0), opts])})`);
      }
      case 'without_default_logging': {
        if (!lambda) return this.#todoExpr(node, name, 'needs a block');
        return this.#await(`${this.#sdk('withoutDefaultLogging')}(${this.#lambda(lambda, {})})`);
      }
      case 'reverse':
        return atom(`[...${this.#pp('items')}(${arg(0)})].reverse()`, 'array');
      case 'match':
        return atom(`${this.#pp('captures')}(${arg(0)}, ${arg(1)})`);
      case 'parseyaml':
      case 'parsejson':
        return atom(`${this.#pp(name === 'parseyaml' ? 'parseYaml' : 'parseJson')}(${args.map((_, i) => arg(i)).join(', ')})`);
      case 'prompt::menu':
        return this.#todoExpr(node, 'prompt::menu', 'has no Rivet equivalent yet');
      case 'with': {
        if (!lambda) return this.#todoExpr(node, 'with', 'needs a block');
        const fn = this.#lambda(lambda, {});
        const call = `(${fn})(${args.map((_, i) => arg(i)).join(', ')})`;
        return fn.startsWith('async') ? this.#await(call) : atom(call);
      }
      case 'then':
      case 'lest': {
        if (!lambda) return this.#todoExpr(node, name, 'needs a block');
        const value = this.#expr(args[0]!);
        const fn = this.#lambda(lambda, {});
        const call = name === 'then' ? `${paren(value)} == null ? undefined : (${fn})(${value.code})` : `${paren(value)} ?? (${fn})()`;
        return fn.startsWith('async') ? this.#await(`(${call})`) : compound(call);
      }
      case 'map':
      case 'filter':
      case 'reduce':
      case 'any':
      case 'all':
      case 'each':
      case 'reverse_each': {
        if (!lambda) return this.#todoExpr(node, name, 'needs a block');
        return this.#iteration(name, args, lambda);
      }
      case 'type':
        return atom(`${this.#pp('typeName')}(${arg(0)})`, 'string');
      case 'empty':
        return atom(`${this.#pp('empty')}(${arg(0)})`, 'boolean', true);
      case 'merge':
        return atom(args.reduce((acc, _, i) => (i === 0 ? arg(0) : `${this.#pp('add')}(${acc}, ${arg(i)})`), ''), 'hash');
      case 'getvar': {
        // `getvar('facts.os.family', default)`: a variable, then keys into its value.
        const path = args[0];
        if (path?.kind !== 'StringLiteral' || !/^[a-z_]\w*(\.[^.]+)*$/.test(path.value)) return this.#todoExpr(node, 'getvar', 'looks a variable up by a computed name, which TypeScript cannot');
        const [variable, ...keys] = path.value.split('.');
        const value = this.#variable({ ...path, name: variable! });
        const dug = keys.length === 0 ? value.code : `${this.#pp('dig')}(${[value.code, ...keys.map((k) => (/^\d+$/.test(k) ? k : quote(k)))].join(', ')})`;
        return args.length > 1 ? compound(`${dug} ?? ${paren(this.#expr(args[1]!))}`) : atom(dug);
      }
      case 'sprintf':
      case 'format':
        return atom(`${this.#pp('sprintf')}(${args.map((_, i) => arg(i)).join(', ')})`, 'string');
      case 'range':
        return atom(`${this.#pp('range')}(${args.map((_, i) => arg(i)).join(', ')})`, 'array');
      case 'step':
      case 'slice': {
        const value = atom(`${this.#pp(name)}(${arg(0)}, ${arg(1)})`, 'array');
        if (!lambda) return value;
        // With a block: Puppet calls it for each item (each slice, its items as the parameters).
        if (name === 'slice' && lambda.params.length > 1) return this.#todoExpr(node, 'slice', 'with a block of several parameters is not translated yet');
        const fn = this.#lambda(lambda, {});
        const call = `(${fn.startsWith('async') ? 'async ' : ''}() => {\n  for (const item of ${value.code}) ${fn.startsWith('async') ? 'await ' : ''}(${fn})(item);\n})()`;
        return fn.startsWith('async') ? this.#await(call) : atom(call);
      }
      case 'group_by': {
        if (!lambda) return this.#todoExpr(node, 'group_by', 'needs a block');
        return this.#await(`${this.#pp('groupBy')}(${arg(0)}, ${this.#lambda(lambda, {})})`);
      }
      case 'abs':
        return atom(`Math.abs(${arg(0)})`, 'number');
      case 'max':
      case 'min':
        return atom(`Math.${name}(${args.map((_, i) => arg(i)).join(', ')})`, 'number');
      case 'capitalize':
        return atom(`${this.#pp('text')}(${arg(0)}).replace(/^./, (c) => c.toUpperCase())`, 'string');
      case 'new':
        return this.#todoExpr(node, 'new', 'is only translated for Target, Error and data types');
      default:
        break;
    }
    const log = LOG_FUNCTIONS[name];
    if (log !== undefined) return atom(`${this.#sdk('log')}.${log}(${args.length > 1 ? `[${args.map((_, i) => arg(i)).join(', ')}].join(' ')` : arg(0)})`);
    const direct = DIRECT_FUNCTIONS[name];
    if (direct !== undefined) return atom(`${this.#sdk(direct.sdk)}(${args.map((_, i) => arg(i)).join(', ')})`, name === 'get_targets' ? 'array' : name === 'get_target' ? 'target' : undefined);
    const local = LOCAL_FUNCTIONS[name];
    if (local !== undefined) {
      const code = `${this.#sdk(local.object)}.${local.method}(${args.map((_, i) => arg(i)).join(', ')})`;
      return local.async ? this.#await(code) : atom(code);
    }
    const helper = PP_FUNCTIONS[name];
    if (helper !== undefined && !lambda) {
      const shapes: Record<string, Shape> = { length: 'number', keys: 'array', values: 'array', split: 'array', flatten: 'array', unique: 'array', sort: 'array', join: 'string', regsubst: 'string' };
      return atom(`${this.#pp(helper)}(${args.map((_, i) => arg(i)).join(', ')})`, shapes[helper], helper === 'empty');
    }
    const str = STRING_FUNCTIONS[name];
    if (str !== undefined && args.length === 1) return atom(`${this.#pp('text')}(${arg(0)}).${str}`, 'string');
    const unsupported = UNSUPPORTED_FUNCTIONS[name];
    if (unsupported !== undefined) return this.#todoExpr(node, `function ${name}`, unsupported);
    return this.#todoExpr(node, `function ${name}`, 'is not a Bolt plan function Rivet knows (a custom or Ruby function?)');
  }

  #iteration(name: string, args: readonly Expression[], lambda: Lambda): Expr {
    const coll = this.#expr(args[0]!);
    const fn = this.#lambda(lambda, { callback: true });
    const async = fn.startsWith('async');
    if (name === 'each' || name === 'reverse_each') {
      // `each` as a value returns its collection (statements are `for` loops, see #each).
      return this.#await(`${this.#pp('map')}(${coll.code}, ${fn}).then(() => ${coll.code})`);
    }
    const plainArray = coll.shape === 'array' && !async && lambda.params.length === 1;
    if (plainArray && name === 'map') return atom(`${paren(coll)}.map(${fn})`, 'array');
    if (name === 'reduce') {
      const start = args[1] ? [this.#expr(args[1]).code] : [];
      return this.#await(`${this.#pp('reduce')}(${[coll.code, ...start, fn].join(', ')})`);
    }
    const helper = { map: 'map', filter: 'filter', any: 'some', all: 'every' }[name]!;
    const shape: Shape | undefined = name === 'map' ? 'array' : name === 'filter' ? coll.shape : 'boolean';
    return { ...this.#await(`${this.#pp(helper)}(${coll.code}, ${fn})`), ...(shape ? { shape } : {}), bool: name === 'any' || name === 'all' };
  }
}

// ------------------------------------------------------------------------------------ helpers

/** A number for sure: a number literal, or a value whose shape is known to be a number. */
function isNumeric(v: Expr, e: Expression): boolean {
  return e.kind === 'NumberLiteral' || v.shape === 'number';
}

/** True for expressions that are values (not statements) in TypeScript. */
function isPureExpression(e: Expression): boolean {
  if (e.kind === 'AssignmentExpression' || e.kind === 'IfExpression' || e.kind === 'UnlessExpression' || e.kind === 'CaseExpression') return false;
  if (e.kind === 'CallFunction' && ['return', 'next', 'break', 'each', 'reverse_each'].includes(e.name)) return false;
  if (e.kind === 'CallMethod' && (e.name === 'each' || e.name === 'reverse_each')) return false;
  if (e.kind === 'ApplyExpression' || e.kind === 'ResourceExpression') return false;
  return true;
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'nameLoc') continue;
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) if (typeof item === 'object' && item !== null && typeof (item as { kind?: unknown }).kind === 'string') out.push(item as Node);
  }
  return out;
}

/** Variables assigned in `node` outside lambdas (Puppet branches share the enclosing scope). */
function collectAssigned(node: Node, out: Set<string>): void {
  if (node.kind === 'Lambda') return;
  if (node.kind === 'AssignmentExpression') {
    if (node.target.kind === 'Variable') out.add(node.target.name);
  }
  for (const child of children(node)) collectAssigned(child, out);
}

function collectVariables(node: Node, out: Set<string>): void {
  if (node.kind === 'Variable') out.add(node.name);
  for (const child of children(node)) collectVariables(child, out);
}

/** The value of a literal expression (for parameter defaults). */
function literalValue(e: Expression): { ok: boolean } {
  switch (e.kind) {
    case 'StringLiteral':
    case 'NumberLiteral':
    case 'BooleanLiteral':
    case 'UndefLiteral':
    case 'QualifiedName':
      return { ok: true };
    case 'Heredoc':
      return literalValue(e.value);
    case 'ArrayLiteral':
      return { ok: e.elements.every((x) => literalValue(x).ok) };
    case 'HashLiteral':
      return { ok: e.entries.every((x) => literalValue(x.key).ok && literalValue(x.value).ok) };
    case 'UnaryExpression':
      return { ok: e.operator === '-' && e.operand.kind === 'NumberLiteral' };
    default:
      return { ok: false };
  }
}

function shapeOfType(type: string | undefined): Shape {
  if (type === undefined) return 'unknown';
  const t = type.replace(/\s+/g, '');
  if (/^(Array|Tuple)(\[|$)/.test(t) || t === 'TargetSpec') return 'array';
  if (/^(Hash|Struct)(\[|$)/.test(t)) return 'hash';
  if (/^(String|Enum|Pattern)(\[|$)/.test(t)) return 'string';
  if (/^(Integer|Float|Numeric)(\[|$)/.test(t)) return 'number';
  if (t === 'Boolean') return 'boolean';
  if (t === 'Target') return 'target';
  return 'unknown';
}

interface DocComments {
  summary: string | undefined;
  description: string | undefined;
  private: boolean;
  params: Map<string, string>;
}

/** Bolt's plan documentation (P-42): `@summary`, free text, `@param name text`, `@api private`. */
export function parseDocComments(comments: readonly Comment[]): DocComments {
  const text = comments
    .filter((c) => c.style === 'line')
    .map((c) => c.text.replace(/^ /, ''))
    .join('\n');
  const params = new Map<string, string>();
  let summary: string | undefined;
  const free: string[] = [];
  let priv = false;
  let current: { tag: string; name?: string; lines: string[] } | undefined;
  const close = (): void => {
    if (!current) return;
    const body = current.lines.join(' ').replace(/\s+/g, ' ').trim();
    if (current.tag === 'param' && current.name) params.set(current.name.replace(/^\$/, ''), body);
    if (current.tag === 'summary') summary = body;
    if (current.tag === 'api' && body === 'private') priv = true;
    current = undefined;
  };
  for (const line of text.split('\n')) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line.trim());
    if (tag) {
      close();
      if (tag[1] === 'param') {
        const m = /^(?:\[[^\]]*\]\s*)?(\$?\w+)\s*(.*)$/.exec(tag[2]!);
        current = { tag: 'param', name: m?.[1], lines: [m?.[2] ?? ''] };
      } else current = { tag: tag[1]!, lines: [tag[2]!] };
    } else if (current && /^\s+\S/.test(line)) current.lines.push(line.trim());
    else {
      close();
      free.push(line);
    }
  }
  close();
  const description = free.join('\n').trim().replace(/\n{3,}/g, '\n\n');
  const desc = description === '' ? summary : description;
  return { summary: summary ?? (desc ? desc.split('\n')[0] : undefined), description: desc, private: priv, params };
}

function collapseBlankLines(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) if (!(l === '' && out[out.length - 1] === '')) out.push(l);
  return out;
}

/** Translates the plan in a parsed file. */
export function translatePlan(program: Program, comments: readonly Comment[], options: TranslateOptions): Translation {
  return new Translator(comments, options).translateProgram(program);
}
