/**
 * YAML text kept with its positions, so every inventory or project error can name file:line and
 * the key path (`groups[1].targets[0].alias`).
 *
 * @example
 * ```ts
 * const src = YamlSource.fromText('targets:\n  - web1\n', 'inventory.yaml');
 * src.lineOf(['targets', 0]); // 2
 * src.fail(['targets', 0], 'bad target', ErrorKind.Inventory).message;
 * // "inventory.yaml:2: targets[0]: bad target"
 * ```
 * @module
 */
import { createRequire } from 'node:module';
import type * as YamlPackage from 'yaml';
import type { Document, LineCounter, Node, ScalarTag } from 'yaml';
import { ConfigError } from '../../core/index.ts';
import { readPlainYaml } from './fast-yaml.ts';

let yamlPackage: typeof YamlPackage | undefined;

/**
 * The `yaml` package, loaded on first use (about 0.1 s of CPU): only texts outside the plain
 * subset, errors and line lookups need it, so a valid inventory never loads it.
 */
function yaml(): typeof YamlPackage {
  yamlPackage ??= createRequire(import.meta.url)('yaml') as typeof YamlPackage;
  return yamlPackage;
}

/** Psych's extra boolean words (YAML 1.1 without `y`/`n`). */
const PSYCH_BOOL: ScalarTag = {
  identify: (value) => typeof value === 'boolean',
  default: true,
  tag: 'tag:yaml.org,2002:bool',
  test: /^(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)$/,
  resolve: (text) => /^(?:yes|on)$/i.test(text),
};

/** Most alias expansions one YAML file may make (yaml's `maxAliasCount`): stops alias bombs. */
export const MAX_ALIAS_COUNT = 1000;
/** Deepest nesting of maps and lists a YAML file may have. */
export const MAX_YAML_DEPTH = 200;

/**
 * A YAML alias that refers to its own ancestor (`a: &x {b: *x}`) makes a cycle, and nesting past
 * {@link MAX_YAML_DEPTH} is refused: the first such place, or undefined. Recursion is bounded by
 * the depth limit; a node already checked at the same or a shallower depth is not walked again,
 * so shared aliases cost nothing.
 */
function shapeProblem(data: unknown): { path: (string | number)[]; msg: string } | undefined {
  const ancestors = new Set<object>();
  const checkedAt = new Map<object, number>();
  const path: (string | number)[] = [];
  const walk = (value: unknown, depth: number): { path: (string | number)[]; msg: string } | undefined => {
    if (value === null || typeof value !== 'object') return undefined;
    if (ancestors.has(value)) return { path: [...path], msg: 'YAML alias cycle: this value contains itself through an alias' };
    if (depth > MAX_YAML_DEPTH) return { path: [...path], msg: `YAML nesting is deeper than ${MAX_YAML_DEPTH} levels` };
    const seen = checkedAt.get(value);
    if (seen !== undefined && seen <= depth) return undefined;
    ancestors.add(value);
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : value instanceof Map
        ? [...value.entries()].map(([k, v]) => [String(k), v])
        : value instanceof Set
          ? [...value].map((v, i) => [i, v])
          : Object.entries(value);
    for (const [key, child] of entries) {
      path.push(key);
      const found = walk(child, depth + 1);
      path.pop();
      if (found) return found;
    }
    ancestors.delete(value);
    checkedAt.set(value, depth);
    return undefined;
  };
  return walk(data, 0);
}

/** The 1-based line where a `yaml` node starts. */
function lineOfNode(positions: Positions, node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? positions.lines.linePos(range[0]).line : undefined;
}

/** A key path into parsed data: map keys and array indexes. */
export type KeyPath = readonly (string | number)[];

/** Formats a key path the way error messages show it: `groups[1].targets[0].alias`. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** A `yaml` Document of the text and its line index: where each part was written. */
interface Positions {
  doc: Document;
  lines: LineCounter;
}

/** How many texts each reader has read in this process (for tests that check the fast path is taken). */
const readCounts = { plain: 0, positioned: 0 };

/**
 * How many YAML texts were read by the fast reader (`plain`) and with positions by the `yaml`
 * Document (`positioned`: texts outside the plain subset, errors, and the first line lookup of a
 * text read fast). For tests; not part of the public API.
 *
 * @internal
 */
export function yamlReadCounts(): Readonly<{ plain: number; positioned: number }> {
  return { ...readCounts };
}

/** Reads `text` with the `yaml` package's Document, keeping every node's position. */
function readPositioned(text: string): Positions {
  readCounts.positioned++;
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  // Like Bolt's Ruby parser (Psych): `<<` merge keys work and yes/no/on/off are booleans
  // (but not YAML 1.1's `y`/`n`, which Psych also reads as strings).
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    customTags: (tags) => [...tags, PSYCH_BOOL],
  });
  return { doc, lines };
}

/**
 * Parsed data plus a way to find where each part was written.
 *
 * Text in the plain subset of YAML (no aliases, tags or merge keys: what inventories are written
 * in) is read by a fast reader (`fast-yaml.ts`) and its positions only on the first
 * {@link YamlSource.lineOf} (an error or a warning); anything else, and every error, is read by
 * the `yaml` Document, so messages and limits are the same either way.
 */
export class YamlSource {
  #positions: Positions | undefined;

  private constructor(
    /** The name used in messages (a file path, `BOLT_INVENTORY`, ...). */
    readonly name: string | undefined,
    /** The parsed data (plain JS). */
    readonly data: unknown,
    /** The text read, for positions; undefined for data that did not come from YAML text. */
    private readonly text: string | undefined,
    positions?: Positions,
  ) {
    this.#positions = positions;
  }

  /**
   * Parses YAML text. A syntax error becomes a {@link ConfigError} of `kind` naming the line;
   * an alias cycle, an alias bomb or nesting deeper than {@link MAX_YAML_DEPTH} is refused.
   *
   * @example
   * ```ts
   * YamlSource.fromText('a: [1', 'x.yaml'); // throws "x.yaml:1: ..."
   * ```
   */
  static fromText(text: string, name: string, kind = 'bolt.inventory/validation-error'): YamlSource {
    const plain = readPlainYaml(text);
    if (plain !== undefined) {
      readCounts.plain++;
      return new YamlSource(name, plain.data, text);
    }
    return YamlSource.fromTextWithPositions(text, name, kind);
  }

  /**
   * {@link YamlSource.fromText} without the fast reader: the `yaml` Document reads the text and
   * every node's position at once. For tests that compare the two readers.
   *
   * @internal
   */
  static fromTextWithPositions(text: string, name: string, kind = 'bolt.inventory/validation-error'): YamlSource {
    const positions = readPositioned(text);
    const { doc, lines } = positions;
    const first = doc.errors[0];
    if (first) {
      const line = first.linePos?.[0].line ?? (first.pos[0] >= 0 ? lines.linePos(first.pos[0]).line : undefined);
      const msg = first.message.split('\n')[0] ?? first.message;
      throw new ConfigError(kind, `YAML syntax error: ${msg}`, line === undefined ? { file: name } : { file: name, line });
    }
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      // yaml throws ReferenceError for an unresolved alias or an alias bomb ("Excessive alias count").
      const msg = error instanceof Error ? error.message : String(error);
      throw new ConfigError(kind, `YAML alias error: ${msg}`, { file: name });
    }
    const problem = shapeProblem(data);
    if (problem !== undefined) {
      const where: { file: string; key?: string } = { file: name };
      if (problem.path.length > 0) where.key = formatPath(problem.path);
      throw new ConfigError(kind, problem.msg, where);
    }
    return new YamlSource(name, data, text, positions);
  }

  /** Wraps data that did not come from YAML text (no line numbers). */
  static fromData(data: unknown, name: string | undefined): YamlSource {
    return new YamlSource(name, data, undefined);
  }

  /** The text's positions, read on first use. */
  private positions(): Positions | undefined {
    if (this.#positions === undefined && this.text !== undefined) this.#positions = readPositioned(this.text);
    return this.#positions;
  }

  /**
   * The 1-based line where `path` was written: the line of its key for a map entry, else of
   * the value. Undefined for data without positions, or when the path does not exist.
   */
  lineOf(path: KeyPath): number | undefined {
    const positions = this.positions();
    if (!positions) return undefined;
    const { isMap, isPair, isScalar, isSeq } = yaml();
    let node: unknown = positions.doc.contents;
    let keyNode: Node | undefined;
    for (const seg of path) {
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(seg));
        if (!pair) return lineOfNode(positions, node);
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return lineOfNode(positions, node);
        node = item;
      } else {
        return lineOfNode(positions, node);
      }
    }
    return lineOfNode(positions, keyNode ?? node);
  }

  /** A ConfigError at `path`: `<file>:<line>: <key path>: <msg>`. */
  fail(path: KeyPath, msg: string, kind: string): ConfigError {
    const where: { file?: string; line?: number; key?: string } = {};
    if (this.name !== undefined) where.file = this.name;
    const line = this.lineOf(path);
    if (line !== undefined) where.line = line;
    if (path.length > 0) where.key = formatPath(path);
    return new ConfigError(kind, msg, where);
  }
}
