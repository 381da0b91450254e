/**
 * A recursive-descent parser for the Puppet data types used in task metadata.
 *
 * Text → tokens ({@link tokenize}) → {@link PuppetType}. Errors are {@link PuppetTypeError}s that
 * say what was expected and at which (1-based) column. Types that are not Data (`Object`,
 * `Resource`, `Hash[Integer, String]`, ...) are rejected, as Bolt does for task parameters.
 *
 * @example
 * ```ts
 * parseType("Optional[Enum[a, 'b']]");
 * // { kind: 'Optional', type: { kind: 'Enum', values: ['a', 'b'] } }
 * parseType('Strng'); // throws: unknown type 'Strng' at column 1 (did you mean 'String'?)
 * ```
 * @module
 */
import { ErrorKind, RivetError } from '../errors.ts';
import { isSimpleKind, type PuppetType, type StructMember } from './ast.ts';
import { formatType } from './format.ts';
import { RegexTranslationError, rubyRegexToJs } from './regex.ts';
import { suggest } from './suggest.ts';

/** A type string that does not parse, or names a type Rivet does not accept. */
export class PuppetTypeError extends RivetError {
  override readonly name = 'PuppetTypeError';
  /** 1-based column in the type text. */
  readonly column: number;
  /** The message without the text (for callers that add their own context). */
  readonly reason: string;
  constructor(reason: string, column: number, typeText: string) {
    super(ErrorKind.Validation, reason, { details: { type: typeText, column } });
    this.column = column;
    this.reason = reason;
  }
}

type TokenKind = 'typename' | 'word' | 'integer' | 'float' | 'string' | 'regex' | '[' | ']' | '{' | '}' | ',' | '=>' | 'eof';

/** One token; `column` is 1-based. `value` is the decoded text (string contents, regex source). */
export interface Token {
  kind: TokenKind;
  value: string;
  column: number;
}

const TYPENAME = /^[A-Z]\w*(?:::[A-Z]\w*)*/;
const WORD = /^(?:::)?[a-z_](?:[\w-]*\w)?(?:::[a-z_](?:[\w-]*\w)?)*/;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/;

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of text';
    case 'string':
      return `string '${token.value}'`;
    case 'regex':
      return `regex /${token.value}/`;
    case 'typename':
    case 'word':
    case 'integer':
    case 'float':
      return `'${token.value}'`;
    default:
      return `'${token.kind}'`;
  }
}

/**
 * Splits a type string into tokens.
 *
 * @example
 * ```ts
 * tokenize('Integer[1]').map((t) => t.kind); // ['typename', '[', 'integer', ']', 'eof']
 * ```
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string, at: number): never => {
    throw new PuppetTypeError(`${msg} at column ${at + 1}`, at + 1, text);
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const rest = text.slice(i);
    const start = i;
    if (rest.startsWith('=>')) {
      tokens.push({ kind: '=>', value: '=>', column: start + 1 });
      i += 2;
    } else if ('[]{},'.includes(c)) {
      tokens.push({ kind: c as TokenKind, value: c, column: start + 1 });
      i += 1;
    } else if (c === "'" || c === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const ch = text[i];
        if (ch === undefined) fail(`unterminated string starting`, start);
        if (ch === c) break;
        if (ch === '\\') {
          const e = text[i + 1];
          if (e === undefined) fail('unterminated string starting', start);
          if (c === "'") {
            value += e === "'" || e === '\\' ? e : `\\${e}`;
          } else {
            const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', s: ' ', '"': '"', '\\': '\\', $: '$', "'": "'" };
            const mapped = map[e as string];
            if (mapped !== undefined) value += mapped;
            else if (e === 'u') {
              const m = /^\\u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(text.slice(i));
              if (!m) fail('invalid \\u escape', i);
              value += String.fromCodePoint(parseInt((m as RegExpExecArray)[1] ?? (m as RegExpExecArray)[2] ?? '0', 16));
              i += (m as RegExpExecArray)[0].length;
              continue;
            } else value += `\\${e}`;
          }
          i += 2;
          continue;
        }
        if (c === '"' && ch === '$' && text[i + 1] === '{') fail('string interpolation is not allowed in a type', i);
        value += ch;
        i += 1;
      }
      i += 1;
      tokens.push({ kind: 'string', value, column: start + 1 });
    } else if (c === '/') {
      let value = '';
      i += 1;
      for (;;) {
        const ch = text[i];
        if (ch === undefined || ch === '\n') fail('unterminated regex starting', start);
        if (ch === '/') break;
        if (ch === '\\') {
          const e = text[i + 1];
          if (e === undefined) fail('unterminated regex starting', start);
          value += `\\${e}`;
          i += 2;
          continue;
        }
        value += ch;
        i += 1;
      }
      i += 1;
      tokens.push({ kind: 'regex', value, column: start + 1 });
    } else if (TYPENAME.test(rest)) {
      const m = TYPENAME.exec(rest) as RegExpExecArray;
      tokens.push({ kind: 'typename', value: m[0], column: start + 1 });
      i += m[0].length;
    } else if (NUMBER.test(rest)) {
      const m = NUMBER.exec(rest) as RegExpExecArray;
      const isFloat = /[.eE]/.test(m[0]);
      tokens.push({ kind: isFloat ? 'float' : 'integer', value: m[0], column: start + 1 });
      i += m[0].length;
    } else if (WORD.test(rest)) {
      const m = WORD.exec(rest) as RegExpExecArray;
      tokens.push({ kind: 'word', value: m[0], column: start + 1 });
      i += m[0].length;
    } else {
      fail(`unexpected character '${c}'`, i);
    }
  }
  tokens.push({ kind: 'eof', value: '', column: text.length + 1 });
  return tokens;
}

/** Types Rivet parses; used for "did you mean". */
export const KNOWN_TYPES = [
  'Any', 'Data', 'Scalar', 'ScalarData', 'Undef', 'Boolean', 'Numeric', 'String', 'Integer', 'Float', 'Enum',
  'Pattern', 'Optional', 'NotUndef', 'Sensitive', 'Array', 'Hash', 'Struct', 'Tuple', 'Variant', 'Target', 'TargetSpec',
] as const;

/** Puppet types that exist but are not Data, so Bolt refuses them as task parameter types. */
export const NON_DATA_TYPES = new Set([
  'Object', 'Resource', 'Type', 'Callable', 'Runtime', 'Iterable', 'Iterator', 'Timespan', 'Timestamp', 'Regexp',
  'Class', 'SemVer', 'SemVerRange', 'Binary', 'Error', 'Default', 'Init', 'CatalogEntry', 'Deferred', 'URI',
  'Collection', 'RichData', 'TypeSet', 'TypeReference', 'Node', 'Notify', 'File', 'Package', 'Service', 'Exec',
]);

/** Aliases every parse knows (Bolt's and a few common ones from puppetlabs-stdlib). */
export const BUILTIN_ALIASES: Readonly<Record<string, string>> = {
  'Boltlib::TargetSpec': 'TargetSpec',
  'Stdlib::Port': 'Integer[0, 65535]',
  'Stdlib::Port::Privileged': 'Integer[1, 1023]',
  'Stdlib::Port::Unprivileged': 'Integer[1024, 65535]',
  'Stdlib::Unixpath': String.raw`Pattern[/\A\/([^\n\/\0]+\/*)*\z/]`,
  'Stdlib::Windowspath': String.raw`Pattern[/\A(([a-zA-Z]:[\\\/])|([\\\/][\\\/][^\\\/]+[\\\/][^\\\/]+)|([\\\/][\\\/]\?[\\\/][^\\\/]+))/]`,
  'Stdlib::Absolutepath': 'Variant[Stdlib::Windowspath, Stdlib::Unixpath]',
  'Stdlib::Filemode': String.raw`Pattern[/\A(([0-7]{1,4})|(([ugoa]*([-+=]([rwxXst]*|[ugo]))+|[-+=][0-7]+)(,([ugoa]*([-+=]([rwxXst]*|[ugo]))+|[-+=][0-7]+))*))\z/]`,
};

export interface ParseTypeOptions {
  /** Extra type aliases (name → type text), e.g. from a module's `types/` directory. */
  aliases?: Readonly<Record<string, string>>;
}

const MAX_ALIAS_DEPTH = 32;
/** Deepest nesting of type parameters (`Array[Array[...]]`) a type may have. */
export const MAX_TYPE_DEPTH = 100;

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(
    private readonly text: string,
    private readonly aliases: Readonly<Record<string, string>>,
    private readonly aliasDepth: number,
    /** Nesting depth this text starts at (an alias expands inside its user's nesting). */
    private depth = 0,
  ) {
    this.tokens = tokenize(text);
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos += 1;
    return token;
  }

  fail(reason: string, column: number): never {
    throw new PuppetTypeError(reason, column, this.text);
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.peek();
    if (token.kind !== kind) this.fail(`expected ${what} at column ${token.column}, got ${describe(token)}`, token.column);
    return this.next();
  }

  parseAll(): PuppetType {
    const type = this.parseType();
    const token = this.peek();
    if (token.kind !== 'eof') this.fail(`expected end of type at column ${token.column}, got ${describe(token)}`, token.column);
    return type;
  }

  /** `[` params `]` if present: each param parsed by `item`. */
  private params<T>(item: (index: number) => T): T[] | undefined {
    if (this.peek().kind !== '[') return undefined;
    this.next();
    const out: T[] = [];
    if (this.peek().kind === ']') {
      this.next();
      return out;
    }
    for (;;) {
      out.push(item(out.length));
      const token = this.peek();
      if (token.kind === ',') {
        this.next();
        if (this.peek().kind === ']') {
          this.next();
          return out; // trailing comma
        }
        continue;
      }
      if (token.kind === ']') {
        this.next();
        return out;
      }
      this.fail(`expected ',' or ']' at column ${token.column}, got ${describe(token)}`, token.column);
    }
  }

  /** An integer or `default` (undefined). */
  private bound(integer: boolean): number | undefined {
    const token = this.peek();
    if (token.kind === 'word' && token.value === 'default') {
      this.next();
      return undefined;
    }
    if (token.kind === 'integer' || (!integer && token.kind === 'float')) {
      this.next();
      return Number(token.value);
    }
    const what = integer ? 'an integer or default' : 'a number or default';
    return this.fail(`expected ${what} at column ${token.column}, got ${describe(token)}`, token.column);
  }

  private isBoundNext(): boolean {
    const token = this.peek();
    return token.kind === 'integer' || (token.kind === 'word' && token.value === 'default');
  }

  private checkRange(name: string, min: number | undefined, max: number | undefined, column: number, nonNegative: boolean): void {
    if (nonNegative && ((min !== undefined && min < 0) || (max !== undefined && max < 0))) {
      this.fail(`${name} size bounds must not be negative (at column ${column})`, column);
    }
    if (min !== undefined && max !== undefined && min > max) {
      this.fail(`${name} minimum ${min} is greater than maximum ${max} (at column ${column})`, column);
    }
  }

  private tooMany(name: string, max: number, got: number, column: number): never {
    return this.fail(`${name} takes at most ${max} parameters, got ${got} (at column ${column})`, column);
  }

  /** One type; nesting past {@link MAX_TYPE_DEPTH} fails (the parser and every use of the AST recurse). */
  parseType(): PuppetType {
    if (this.depth >= MAX_TYPE_DEPTH) {
      const column = this.peek().column;
      this.fail(`type nested deeper than ${MAX_TYPE_DEPTH} levels (at column ${column})`, column);
    }
    this.depth += 1;
    try {
      return this.parseNestedType();
    } finally {
      this.depth -= 1;
    }
  }

  private parseNestedType(): PuppetType {
    const token = this.peek();
    if (token.kind !== 'typename') {
      const hint = token.kind === 'word' && suggest(token.value, KNOWN_TYPES) !== undefined ? ` (did you mean '${suggest(token.value, KNOWN_TYPES)}'?)` : '';
      this.fail(`expected a type name at column ${token.column}, got ${describe(token)}${hint}`, token.column);
    }
    this.next();
    const name = token.value;
    const col = token.column;
    if (isSimpleKind(name)) {
      if (this.peek().kind === '[') this.fail(`${name} takes no parameters (at column ${this.peek().column})`, this.peek().column);
      return { kind: name };
    }
    switch (name) {
      case 'String':
      case 'Integer':
      case 'Float': {
        const integer = name !== 'Float';
        const ps = this.params(() => this.bound(integer)) ?? [];
        if (ps.length > 2) this.tooMany(name, 2, ps.length, col);
        const [min, max] = ps;
        this.checkRange(name, min, max, col, name === 'String');
        return { kind: name, min, max };
      }
      case 'Enum': {
        const values =
          this.params(() => {
            const t = this.peek();
            if (t.kind === 'string' || t.kind === 'word') return this.next().value;
            return this.fail(`expected a string or bare word in Enum at column ${t.column}, got ${describe(t)}`, t.column);
          }) ?? [];
        return { kind: 'Enum', values };
      }
      case 'Pattern': {
        const patterns =
          this.params(() => {
            const t = this.peek();
            if (t.kind === 'string') this.fail(`expected a regex (/.../) in Pattern at column ${t.column}, got ${describe(t)}; write /${t.value}/`, t.column);
            const r = this.expect('regex', 'a regex (/.../) in Pattern');
            try {
              return { source: r.value, js: rubyRegexToJs(r.value) };
            } catch (error) {
              if (error instanceof RegexTranslationError) {
                const at = r.column + 1 + error.offset;
                return this.fail(`${error.message} in /${r.value}/ at column ${at}`, at);
              }
              throw error;
            }
          }) ?? [];
        return { kind: 'Pattern', patterns };
      }
      case 'Optional':
      case 'NotUndef':
      case 'Sensitive': {
        const ps = this.params(() => this.parseType());
        if (ps === undefined) {
          if (name === 'Optional') this.fail(`Optional needs a type parameter, e.g. Optional[String] (at column ${col})`, col);
          return { kind: name, type: undefined };
        }
        if (ps.length !== 1) this.fail(`${name} takes exactly 1 type parameter, got ${ps.length} (at column ${col})`, col);
        return { kind: name, type: ps[0] };
      }
      case 'Array': {
        const ps = this.params((i) => (i === 0 ? this.parseType() : this.bound(true)));
        if (ps === undefined) return { kind: 'Array', element: undefined, min: undefined, max: undefined };
        if (ps.length === 0) this.fail(`Array[] needs an element type (at column ${col})`, col);
        if (ps.length > 3) this.tooMany('Array', 3, ps.length, col);
        const [element, min, max] = ps as [PuppetType, number | undefined, number | undefined];
        this.checkRange('Array', min, max, col, true);
        return { kind: 'Array', element, min, max };
      }
      case 'Hash': {
        let keyColumn = col;
        const ps = this.params((i) => {
          if (i === 0) keyColumn = this.peek().column;
          return i < 2 ? this.parseType() : this.bound(true);
        });
        if (ps === undefined) return { kind: 'Hash', key: undefined, value: undefined, min: undefined, max: undefined };
        if (ps.length < 2) this.fail(`Hash needs a key and a value type, e.g. Hash[String, Integer] (at column ${col})`, col);
        if (ps.length > 4) this.tooMany('Hash', 4, ps.length, col);
        const [key, value, min, max] = ps as [PuppetType, PuppetType, number | undefined, number | undefined];
        const bad = nonStringKey(key);
        if (bad !== undefined) {
          this.fail(`Hash key type ${bad} at column ${keyColumn} is not Data: hash keys must be String, Enum or Pattern`, keyColumn);
        }
        this.checkRange('Hash', min, max, col, true);
        return { kind: 'Hash', key, value, min, max };
      }
      case 'Struct':
        return this.parseStruct();
      case 'Tuple': {
        const items: (PuppetType | number | undefined)[] = [];
        let boundsStarted = false;
        this.params(() => {
          if (boundsStarted || this.isBoundNext()) {
            boundsStarted = true;
            items.push(this.bound(true));
          } else {
            items.push(this.parseType());
          }
          return null;
        });
        const types = items.filter((x): x is PuppetType => typeof x === 'object');
        const bounds = items.slice(types.length) as (number | undefined)[];
        if (bounds.length > 2) this.tooMany('Tuple size', 2, bounds.length, col);
        if (types.length === 0 && items.length > 0) this.fail(`Tuple needs at least one type before its size bounds (at column ${col})`, col);
        const [min, max] = bounds;
        this.checkRange('Tuple', min, max, col, true);
        return { kind: 'Tuple', types, min, max };
      }
      case 'Variant': {
        const types = this.params(() => this.parseType()) ?? [];
        return { kind: 'Variant', types };
      }
      default:
        return this.parseNamed(name, col);
    }
  }

  private parseStruct(): PuppetType {
    this.expect('[', "'[' after Struct");
    this.expect('{', "'{' (Struct[{key => Type, ...}])");
    const members: StructMember[] = [];
    const seen = new Set<string>();
    while (this.peek().kind !== '}') {
      const keyToken = this.peek();
      let optionalKey = false;
      let name: string;
      if (keyToken.kind === 'string' || keyToken.kind === 'word') {
        name = this.next().value;
      } else if (keyToken.kind === 'typename' && (keyToken.value === 'Optional' || keyToken.value === 'NotUndef')) {
        this.next();
        optionalKey = keyToken.value === 'Optional';
        this.expect('[', `'[' after ${keyToken.value}`);
        const inner = this.peek();
        if (inner.kind !== 'string' && inner.kind !== 'word') {
          this.fail(`expected a key name at column ${inner.column}, got ${describe(inner)}`, inner.column);
        }
        name = this.next().value;
        this.expect(']', "']'");
      } else {
        this.fail(`expected a Struct key (name, 'string' or Optional[name]) at column ${keyToken.column}, got ${describe(keyToken)}`, keyToken.column);
      }
      if (seen.has(name)) this.fail(`duplicate Struct key '${name}' at column ${keyToken.column}`, keyToken.column);
      seen.add(name);
      this.expect('=>', "'=>'");
      members.push({ name, optionalKey, type: this.parseType() });
      if (this.peek().kind === ',') this.next();
      else if (this.peek().kind !== '}') {
        const t = this.peek();
        this.fail(`expected ',' or '}' at column ${t.column}, got ${describe(t)}`, t.column);
      }
    }
    this.next();
    this.expect(']', "']' after Struct's hash");
    return { kind: 'Struct', members };
  }

  private parseNamed(name: string, col: number): PuppetType {
    const aliasText = this.aliases[name];
    if (aliasText !== undefined) {
      if (this.aliasDepth >= MAX_ALIAS_DEPTH) this.fail(`type alias '${name}' refers to itself (at column ${col})`, col);
      if (this.peek().kind === '[') this.fail(`type alias ${name} takes no parameters (at column ${this.peek().column})`, this.peek().column);
      let type: PuppetType;
      try {
        type = new Parser(aliasText, this.aliases, this.aliasDepth + 1, this.depth).parseAll();
      } catch (error) {
        if (error instanceof PuppetTypeError) this.fail(`in type alias ${name} = ${aliasText}: ${error.reason}`, col);
        throw error;
      }
      return { kind: 'Alias', name, type };
    }
    if (NON_DATA_TYPES.has(name)) {
      this.fail(`type '${name}' at column ${col} is not Data: task parameters accept only Data (JSON-compatible) types`, col);
    }
    const guess = suggest(name, [...KNOWN_TYPES, ...Object.keys(this.aliases)]);
    this.fail(`unknown type '${name}' at column ${col}${guess === undefined ? '' : ` (did you mean '${guess}'?)`}`, col);
  }
}

/** The text of a Hash key type that cannot be a JSON object key, or undefined when it is fine. */
function nonStringKey(type: PuppetType): string | undefined {
  switch (type.kind) {
    case 'String':
    case 'Enum':
    case 'Pattern':
      return undefined;
    case 'Variant': {
      for (const t of type.types) {
        const bad = nonStringKey(t);
        if (bad !== undefined) return bad;
      }
      return undefined;
    }
    case 'Alias':
      return nonStringKey(type.type) === undefined ? undefined : type.name;
    default:
      return formatType(type);
  }
}

/**
 * Parses a Puppet type string into a {@link PuppetType}.
 *
 * @throws PuppetTypeError with the column of the problem.
 * @example
 * ```ts
 * parseType('Integer[1, 65535]'); // { kind: 'Integer', min: 1, max: 65535 }
 * parseType('Struct[{name => String, Optional[port] => Integer}]');
 * ```
 */
export function parseType(text: string, options: ParseTypeOptions = {}): PuppetType {
  const aliases = options.aliases ? { ...BUILTIN_ALIASES, ...options.aliases } : BUILTIN_ALIASES;
  return new Parser(text, aliases, 0).parseAll();
}
