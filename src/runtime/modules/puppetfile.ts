/**
 * Reading a `Puppetfile`: the small Ruby subset Puppetfiles use, tokenized and parsed (no Ruby is
 * run). Supported: `forge 'URL'`, `moduledir 'DIR'` (ignored: Rivet installs into `.modules`),
 * and `mod 'owner/name'[, 'VERSION' | :latest]` or `mod 'name', :git => 'URL'` with one of
 * `:ref`/`:branch`/`:tag`/`:commit`, or `mod 'name', :local => 'PATH'`. Options may be written
 * `:key => value` or `key: value`; statements may span lines after a comma; `#` starts a comment.
 * Anything else is an error naming the file and line.
 *
 * @example
 * ```ts
 * const pf = parsePuppetfile("mod 'puppetlabs/stdlib', '9.0.0'\n", '/p/Puppetfile', '/p');
 * pf.specs[0]; // { type: 'forge', slug: 'puppetlabs-stdlib', versionRequirement: '9.0.0', ... }
 * ```
 * @module
 */
import { resolve } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { MODULE_NAME_PATTERN, parseForgeName, type ModuleSpec } from './specs.ts';

/** The error kind for a Puppetfile that cannot be read (Bolt's `Bolt::ModuleInstaller::PuppetfileError`). */
export const PUPPETFILE_ERROR = 'bolt/puppetfile-error';

type Token =
  | { t: 'ident'; v: string; line: number }
  | { t: 'string'; v: string; line: number }
  | { t: 'symbol'; v: string; line: number }
  | { t: 'label'; v: string; line: number }
  | { t: 'bool'; v: boolean; line: number }
  | { t: ',' | '=>' | '(' | ')' | 'nl'; line: number };

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new ConfigError(PUPPETFILE_ERROR, msg, { file, line });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      tokens.push({ t: 'nl', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
    } else if (c === ',') {
      tokens.push({ t: ',', line });
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ t: c, line });
      i++;
    } else if (c === '=' && text[i + 1] === '>') {
      tokens.push({ t: '=>', line });
      i += 2;
    } else if (c === "'" || c === '"') {
      const start = line;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) {
          line = start;
          fail('unterminated string');
        }
        const d = text[i]!;
        if (d === c) {
          i++;
          break;
        }
        if (d === '\n') line++;
        if (d === '\\' && i + 1 < text.length) {
          const e = text[i + 1]!;
          if (c === "'") value += e === "'" || e === '\\' ? e : `\\${e}`;
          else value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        if (c === '"' && d === '#' && text[i + 1] === '{') fail('string interpolation (#{...}) is not supported in a Puppetfile read by Rivet');
        value += d;
        i++;
      }
      tokens.push({ t: 'string', v: value, line: start });
    } else if (c === ':' && /[a-z_]/i.test(text[i + 1] ?? '')) {
      const m = /^:([a-z_][a-z0-9_]*)/i.exec(text.slice(i))!;
      tokens.push({ t: 'symbol', v: m[1]!, line });
      i += m[0].length;
    } else if (/[a-z_]/i.test(c)) {
      const m = /^([a-z_][a-z0-9_]*)(:(?!:))?/i.exec(text.slice(i))!;
      if (m[2] !== undefined) tokens.push({ t: 'label', v: m[1]!, line });
      else if (m[1] === 'true' || m[1] === 'false') tokens.push({ t: 'bool', v: m[1] === 'true', line });
      else tokens.push({ t: 'ident', v: m[1]!, line });
      i += m[0].length;
    } else {
      fail(`unexpected character '${c}'`);
    }
  }
  tokens.push({ t: 'nl', line });
  return tokens;
}

type Value = { kind: 'string'; v: string } | { kind: 'symbol'; v: string } | { kind: 'bool'; v: boolean };

interface Statement {
  name: string;
  line: number;
  args: Value[];
  options: Map<string, { value: Value; line: number }>;
}

function parseStatements(tokens: Token[], file: string): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  const fail = (line: number, msg: string): never => {
    throw new ConfigError(PUPPETFILE_ERROR, msg, { file, line });
  };
  const describe = (tok: Token): string => (tok.t === 'nl' ? 'end of line' : 'v' in tok ? `'${String(tok.v)}'` : `'${tok.t}'`);
  while (i < tokens.length) {
    const tok = tokens[i]!;
    if (tok.t === 'nl') {
      i++;
      continue;
    }
    if (tok.t !== 'ident') fail(tok.line, `expected a statement such as mod 'owner/name', found ${describe(tok)}`);
    const statement: Statement = { name: (tok as { v: string }).v, line: tok.line, args: [], options: new Map() };
    i++;
    const paren = tokens[i]?.t === '(';
    if (paren) i++;
    let expectValue = tokens[i]?.t !== 'nl' || paren;
    while (expectValue) {
      while (paren && tokens[i]?.t === 'nl') i++;
      const cur = tokens[i]!;
      if (paren && cur.t === ')' && statement.args.length === 0 && statement.options.size === 0) break;
      let key: string | undefined;
      if (cur.t === 'label') {
        key = cur.v;
        i++;
      } else if (cur.t === 'symbol' && tokens[i + 1]?.t === '=>') {
        key = cur.v;
        i += 2;
      }
      const valueTok = tokens[i]!;
      let value: Value;
      if (valueTok.t === 'string') value = { kind: 'string', v: valueTok.v };
      else if (valueTok.t === 'symbol') value = { kind: 'symbol', v: valueTok.v };
      else if (valueTok.t === 'bool') value = { kind: 'bool', v: valueTok.v };
      else return fail(valueTok.line, `expected a value (a quoted string or a :symbol), found ${describe(valueTok)}`);
      i++;
      if (key === undefined) {
        if (statement.options.size > 0) fail(valueTok.line, 'a plain argument cannot follow options');
        statement.args.push(value);
      } else {
        if (statement.options.has(key)) fail(valueTok.line, `option :${key} is given twice`);
        statement.options.set(key, { value, line: valueTok.line });
      }
      if (tokens[i]?.t === ',') {
        i++;
        while (tokens[i]?.t === 'nl') i++;
        expectValue = true;
      } else {
        expectValue = false;
      }
    }
    if (paren) {
      while (tokens[i]?.t === 'nl') i++;
      if (tokens[i]?.t !== ')') fail(tokens[i]?.line ?? statement.line, `expected ')' to close ${statement.name}(`);
      i++;
    }
    const end = tokens[i];
    if (end !== undefined && end.t !== 'nl') fail(end.line, `expected a new line after the ${statement.name} statement, found ${describe(end)}`);
    out.push(statement);
  }
  return out;
}

export interface Puppetfile {
  /** `forge 'URL'`, if given. */
  forge?: string | undefined;
  specs: ModuleSpec[];
  warnings: string[];
}

const GIT_REF_KEYS = ['ref', 'branch', 'tag', 'commit'] as const;

/**
 * Parses Puppetfile text; relative `:local` paths are resolved against `baseDir`.
 * Errors are ConfigErrors (`bolt/puppetfile-error`) naming the file and line.
 */
export function parsePuppetfile(text: string, file: string, baseDir: string): Puppetfile {
  const statements = parseStatements(tokenize(text, file), file);
  const result: Puppetfile = { specs: [], warnings: [] };
  for (const st of statements) {
    const fail = (msg: string, line = st.line): never => {
      throw new ConfigError(PUPPETFILE_ERROR, msg, { file, line });
    };
    const origin = { file, line: st.line };
    if (st.name === 'forge' || st.name === 'moduledir') {
      const arg = st.args[0];
      if (st.args.length !== 1 || st.options.size > 0 || arg?.kind !== 'string') fail(`${st.name} takes one quoted string`);
      if (st.name === 'forge') result.forge = (arg as { v: string }).v;
      else result.warnings.push(`${file}:${st.line}: moduledir is ignored: Rivet installs modules into .modules`);
      continue;
    }
    if (st.name !== 'mod') fail(`unknown Puppetfile statement '${st.name}' (Rivet reads forge, moduledir and mod)`);
    const [nameArg, versionArg, ...extra] = st.args;
    if (nameArg?.kind !== 'string') fail("mod needs a module name in quotes, such as mod 'puppetlabs/stdlib'");
    if (extra.length > 0) fail('mod takes a name, an optional version and options');
    const name = (nameArg as { v: string }).v;
    const option = (key: string): { value: Value; line: number } | undefined => st.options.get(key);
    for (const key of st.options.keys()) {
      if (!['git', 'local', 'install_path', 'default_branch', ...GIT_REF_KEYS].includes(key)) fail(`unknown option :${key} for module '${name}' (Rivet reads :git with :ref/:branch/:tag/:commit, and :local)`, st.options.get(key)!.line);
    }
    const installPath = option('install_path');
    if (installPath !== undefined) {
      // Bolt installs through r10k, which puts such a module in <Puppetfile dir>/<install_path>/<name>,
      // outside the managed moduledir; Rivet installs every module into .modules.
      fail(`:install_path for module '${name}' is not supported: Rivet installs every module into .modules (Bolt's r10k would put it in ${(installPath.value as { v: unknown }).v}/${parseForgeName(name)?.moduleName ?? name}); remove :install_path, or keep that module in the project's modules/ directory yourself`, installPath.line);
    }
    const git = option('git');
    const local = option('local');
    if (git !== undefined) {
      if (git.value.kind !== 'string') fail(`:git for '${name}' must be a quoted URL`, git.line);
      if (versionArg !== undefined) fail(`module '${name}' comes from git: give a :ref, not a version`);
      const refs = GIT_REF_KEYS.filter((k) => st.options.has(k));
      if (refs.length > 1) fail(`module '${name}' has more than one of ${refs.map((r) => `:${r}`).join(', ')}`);
      const refOpt = refs[0] === undefined ? option('default_branch') : option(refs[0]);
      if (refOpt === undefined || refOpt.value.kind !== 'string') fail(`git module '${name}' needs a :ref, :branch, :tag or :commit in quotes`);
      const moduleName = parseForgeName(name)?.moduleName ?? (MODULE_NAME_PATTERN.test(name) ? name : undefined);
      if (moduleName === undefined) fail(`'${name}' is not a module name`);
      result.specs.push({ type: 'git', git: (git.value as { v: string }).v, ref: (refOpt!.value as { v: string }).v, moduleName, resolve: false, origin });
      continue;
    }
    if (local !== undefined) {
      if (local.value.kind !== 'string') fail(`:local for '${name}' must be the module's path in quotes (a module already in the moduledir is not managed by Rivet: put it in modules/)`, local.line);
      const moduleName = parseForgeName(name)?.moduleName ?? (MODULE_NAME_PATTERN.test(name) ? name : undefined);
      if (moduleName === undefined) fail(`'${name}' is not a module name`);
      result.specs.push({ type: 'local', moduleName: moduleName!, path: resolve(baseDir, (local.value as { v: string }).v), origin });
      continue;
    }
    for (const key of st.options.keys()) fail(`option :${key} needs :git`, st.options.get(key)!.line);
    const parsed = parseForgeName(name);
    if (parsed === undefined) fail(`'${name}' is not a Forge module name: use owner/name, such as puppetlabs/stdlib`);
    let versionRequirement: string | undefined;
    if (versionArg !== undefined) {
      if (versionArg.kind === 'symbol' && versionArg.v === 'latest') versionRequirement = undefined;
      else if (versionArg.kind === 'string') versionRequirement = versionArg.v;
      else fail(`the version of '${name}' must be a quoted version or :latest`);
    }
    result.specs.push({ type: 'forge', ...parsed!, versionRequirement, resolve: false, origin });
  }
  return result;
}
