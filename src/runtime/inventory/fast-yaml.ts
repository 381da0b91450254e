/**
 * The fast path of {@link YamlSource}: reads the plain subset of YAML that inventories and
 * project files are written in with js-yaml's event parser (3-5x faster than the `yaml`
 * package's Document, which keeps every node's position; issue 13). Anything outside that subset
 * or any error is declined (`undefined`), and the caller reads the text with the `yaml` Document
 * instead, so error messages, alias limits and the rare features keep exactly one behaviour.
 *
 * The subset: one document, no directives, no tags, no aliases, no `<<` merge keys, map keys that
 * are strings. Its scalars resolve like the `yaml` package's YAML 1.2 core schema plus Psych's
 * `yes`/`no`/`on`/`off` booleans (the tags below copy that package's patterns), so both readers
 * give the same data (test/runtime/inventory/fast-yaml.test.ts compares them).
 *
 * @example
 * ```ts
 * readPlainYaml('targets: [web1]\nvars: {on: yes}\n'); // declined: `on` is a boolean key
 * readPlainYaml('vars: {debug: on, port: 0x10}\n');    // { data: { vars: { debug: true, port: 16 } } }
 * readPlainYaml('a: *x\n');                            // undefined: aliases go to the `yaml` reader
 * ```
 * @module
 */
import {
  constructFromEvents,
  defineMappingTag,
  defineScalarTag,
  EVENT_ID,
  mapTag,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
  Schema,
  seqTag,
  strTag,
  type Event,
} from 'js-yaml';

const DIGITS = '0123456789'.split('');

/** `~`, `null`, `Null`, `NULL` or nothing. */
const nullTag = defineScalarTag('tag:yaml.org,2002:null', {
  implicit: true,
  implicitFirstChars: ['', '~', 'n', 'N'],
  resolve: (source) => (/^(?:~|[Nn]ull|NULL)?$/.test(source) ? null : NOT_RESOLVED),
  identify: (value) => value === null,
});

/** YAML 1.2's `true`/`false` forms and Psych's `yes`/`no`/`on`/`off` (not YAML 1.1's `y`/`n`). */
const boolTag = defineScalarTag('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['t', 'T', 'f', 'F', 'y', 'Y', 'n', 'N', 'o', 'O'],
  resolve: (source) => {
    if (/^(?:[Tt]rue|TRUE|[Yy]es|YES|[Oo]n|ON)$/.test(source)) return true;
    if (/^(?:[Ff]alse|FALSE|[Nn]o|NO|[Oo]ff|OFF)$/.test(source)) return false;
    return NOT_RESOLVED;
  },
  identify: (value) => typeof value === 'boolean',
});

/** Decimal (`-12`, `012`), octal (`0o17`) and hex (`0x1F`) integers, as numbers. */
const intTag = defineScalarTag('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: ['-', '+', ...DIGITS],
  resolve: (source) => {
    if (/^0o[0-7]+$/.test(source)) return parseInt(source.slice(2), 8);
    if (/^[-+]?[0-9]+$/.test(source)) return parseInt(source, 10);
    if (/^0x[0-9a-fA-F]+$/.test(source)) return parseInt(source.slice(2), 16);
    return NOT_RESOLVED;
  },
  identify: (value) => Number.isInteger(value),
});

/** `.inf`, `-.inf`, `.nan`, `1e3`, `1.5`, `.5`. */
const floatTag = defineScalarTag('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: ['-', '+', '.', ...DIGITS],
  resolve: (source) => {
    if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source)) {
      if (source.slice(-3).toLowerCase() === 'nan') return NaN;
      return source.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(source) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(source)) {
      return parseFloat(source);
    }
    return NOT_RESOLVED;
  },
  identify: (value) => typeof value === 'number',
});

/**
 * Longest map key the fast path takes. The `yaml` reader refuses an implicit key whose `:` is
 * more than 1024 characters after its start (js-yaml has no such limit); an escape such as
 * `\u0041` is 6 characters of text for 1 of key, so keys over 1024 / 6 go to that reader.
 */
const MAX_KEY_LENGTH = 170;

/**
 * js-yaml's `{}` maps, but a key that is not a string (the `yaml` reader names those
 * differently) or is long is refused: the error makes the caller decline.
 */
const stringKeyMapTag = defineMappingTag('tag:yaml.org,2002:map', {
  create: mapTag.create,
  addPair: (map, key, value) =>
    typeof key !== 'string' ? 'a map key that is not a string' : key.length > MAX_KEY_LENGTH ? 'a long map key' : mapTag.addPair(map, key, value),
  has: mapTag.has,
  keys: mapTag.keys,
  get: mapTag.get,
  identify: () => false,
});

const SCHEMA = new Schema([strTag, seqTag, stringKeyMapTag, nullTag, boolTag, intTag, floatTag]);

/**
 * Deepest collection nesting the fast path takes: below the `yaml` reader's limit
 * (`MAX_YAML_DEPTH`), so anything near it is checked, and reported, by that reader.
 */
export const FAST_YAML_MAX_DEPTH = 150;

/** True when the events use something outside the plain subset (see the module comment). */
function outsideSubset(events: readonly Event[], text: string): boolean {
  let documents = 0;
  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1 || event.directives.length > 0) return true;
        break;
      case EVENT_ID.ALIAS:
        return true;
      case EVENT_ID.SCALAR:
        if (event.tagStart !== -1) return true;
        if (event.style === SCALAR_STYLE.PLAIN && event.valueEnd - event.valueStart === 2 && text.startsWith('<<', event.valueStart)) return true;
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING:
        if (event.tagStart !== -1) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

/**
 * Reads YAML text in the plain subset: `{ data }` (null for an empty document), or undefined
 * when the text is outside the subset or not valid YAML (then read it with the `yaml` Document).
 */
export function readPlainYaml(text: string): { data: unknown } | undefined {
  try {
    const events = parseEvents(text, { maxDepth: FAST_YAML_MAX_DEPTH });
    if (outsideSubset(events, text)) return undefined;
    const [data = null] = constructFromEvents(events, { source: text, schema: SCHEMA, maxAliases: 0 });
    return { data };
  } catch {
    // Any error (syntax, duplicate key, non-string key, depth) is reported by the `yaml` reader.
    return undefined;
  }
}
