/**
 * The inventory v2 schema (I-01..I-07): validates parsed `inventory.yaml` data and builds the
 * group tree, the target definitions and the alias table. Every error names file:line and the
 * key path.
 *
 * @example
 * ```ts
 * const model = buildModel(YamlSource.fromText('targets: [web1]\n', 'inventory.yaml'));
 * model.root.targets; // ['web1']
 * ```
 * @module
 */
import { ErrorKind } from '../../core/index.ts';
import { withWarningId } from '../../core/warning-id.ts';
import { parseTargetUri } from './uri.ts';
import { formatPath, type KeyPath, type YamlSource } from './source.ts';
import { parseByteSize } from '../output-limit.ts';

type Dict = Record<string, unknown>;

/** Bolt's transports (I-07). Rivet runs only some of them; all parse. */
export const TRANSPORTS = ['docker', 'jail', 'local', 'lxd', 'pcp', 'podman', 'remote', 'ssh', 'winrm'] as const;

/** Group names and aliases: Bolt's `NAME_REGEX`. */
export const NAME_PATTERN = /^[a-z0-9_][a-z0-9_-]*$/;

const DATA_KEYS = ['config', 'facts', 'features', 'plugin_hooks', 'vars'];
// `name` is accepted at the top level and ignored with a warning, as Bolt does (Group#initialize).
const TOP_KEYS = [...DATA_KEYS, 'groups', 'name', 'targets', 'version'].sort();
const GROUP_KEYS = [...DATA_KEYS, 'groups', 'name', 'targets'].sort();
const TARGET_KEYS = [...DATA_KEYS, 'alias', 'name', 'uri'].sort();
const CONFIG_KEYS = ['transport', ...TRANSPORTS];

/** How one transport option is checked. */
type OptionType = 'string' | 'integer' | 'port' | 'boolean' | 'strings' | 'map' | 'command' | 'private-key' | 'size' | readonly string[];

const RUN_AS: Record<string, OptionType> = {
  'run-as': 'string',
  'run-as-command': 'strings',
  'sudo-executable': 'string',
  'sudo-password': 'string',
};

/**
 * Known options of the transports Rivet validates (X-02, X-05, X-06, X-10, X-12), kebab-case.
 * Other transports' hashes are passed through unchecked.
 */
export const TRANSPORT_OPTIONS: Record<'ssh' | 'winrm' | 'local', Record<string, OptionType>> = {
  ssh: {
    'batch-mode': 'boolean',
    cleanup: 'boolean',
    'connect-timeout': 'integer',
    'copy-command': 'command',
    'disconnect-timeout': 'integer',
    'encryption-algorithms': 'strings',
    extensions: 'strings',
    host: 'string',
    'host-key-algorithms': 'strings',
    'host-key-check': 'boolean',
    interpreters: 'map',
    'kex-algorithms': 'strings',
    'load-config': 'boolean',
    'login-shell': ['sh', 'bash', 'zsh', 'dash', 'ksh', 'powershell'],
    'mac-algorithms': 'strings',
    'native-ssh': 'boolean',
    password: 'string',
    port: 'port',
    'private-key': 'private-key',
    proxyjump: 'string',
    'script-dir': 'string',
    'ssh-command': 'command',
    tmpdir: 'string',
    tty: 'boolean',
    user: 'string',
    // Rivet extensions (see docs/configuration.md).
    'known-hosts-file': 'string',
    'ssh-config-file': 'string',
    'max-sessions': 'integer',
    'keepalive-interval': 'integer',
    'keepalive-count-max': 'integer',
    'tcp-nodelay': 'boolean',
    'skip-none-probe': 'boolean',
    'max-output': 'size',
    ...RUN_AS,
  },
  winrm: {
    'basic-auth-only': 'boolean',
    cacert: 'string',
    cleanup: 'boolean',
    'connect-timeout': 'integer',
    extensions: 'strings',
    'file-protocol': ['winrm', 'smb'],
    host: 'string',
    interpreters: 'map',
    password: 'string',
    port: 'port',
    realm: 'string',
    'smb-port': 'port',
    ssl: 'boolean',
    'ssl-verify': 'boolean',
    tmpdir: 'string',
    user: 'string',
  },
  local: {
    'bundled-ruby': 'boolean',
    cleanup: 'boolean',
    extensions: 'strings',
    interpreters: 'map',
    tmpdir: 'string',
    // Rivet extension (see docs/configuration.md).
    'max-output': 'size',
    ...RUN_AS,
  },
};

/** The option names of each validated transport, sorted (as error messages list them). */
const SORTED_OPTION_KEYS: Record<'ssh' | 'winrm' | 'local', readonly string[]> = {
  ssh: Object.keys(TRANSPORT_OPTIONS.ssh).sort(),
  winrm: Object.keys(TRANSPORT_OPTIONS.winrm).sort(),
  local: Object.keys(TRANSPORT_OPTIONS.local).sort(),
};

/**
 * The defaults Bolt merges under each transport's config (`DEFAULTS` in
 * `lib/bolt/config/transport/{ssh,winrm,local}.rb`), shown by `inventory show --detail`. Rivet
 * applies the same values; `local` has no `bundled-ruby` (Rivet has no bundled Ruby, I-08).
 *
 * @example
 * ```ts
 * TRANSPORT_DEFAULTS.ssh['connect-timeout']; // 10
 * ```
 */
export const TRANSPORT_DEFAULTS: Readonly<Record<string, Readonly<Dict>>> = {
  ssh: {
    'batch-mode': true,
    cleanup: true,
    'connect-timeout': 10,
    'disconnect-timeout': 5,
    'load-config': true,
    'login-shell': 'bash',
    tty: false,
  },
  winrm: {
    'basic-auth-only': false,
    cleanup: true,
    'connect-timeout': 10,
    ssl: true,
    'ssl-verify': true,
    'file-protocol': 'winrm',
  },
  local: { cleanup: true },
};

/** Data every group and target may carry. */
export interface DataBlock {
  config: Dict;
  facts: Dict;
  vars: Dict;
  features: string[];
  pluginHooks: Dict;
}

/** A group of the inventory tree; the root is `all`. `targets` holds target names. */
export interface GroupModel extends DataBlock {
  name: string;
  path: KeyPath;
  targets: string[];
  groups: GroupModel[];
}

/** A target defined in the inventory, merged over all its entries. */
export interface TargetModel extends DataBlock {
  name: string;
  uri: string | undefined;
  alias: string[];
  /** Where the target was first defined. */
  path: KeyPath;
}

/** The validated inventory. */
export interface InventoryModel {
  source: YamlSource;
  root: GroupModel;
  targets: Map<string, TargetModel>;
  /** alias → target name */
  aliases: Map<string, string>;
  /** Things Bolt accepts with a warning (a top-level `name`), for the caller to show. */
  warnings: string[];
}

const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How a YAML value is named in error messages: `a map`, `an array`, `string "x"`, `null`. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Deep copy of plain YAML data: arrays and plain objects are copied by hand (many times faster
 * than `structuredClone` on the small maps an inventory holds, issue 13); anything else that is
 * an object (a Date, Map or Set from YAML tags) goes through `structuredClone`.
 *
 * @example
 * ```ts
 * const copy = clone({ ssh: { port: 22 } }); // a new object, nested maps too
 * ```
 */
export function clone<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Dict = {};
  for (const [key, item] of Object.entries(value)) {
    // A YAML key `__proto__` is data: define it rather than set the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: clone(item), enumerable: true, writable: true, configurable: true });
    else out[key] = clone(item);
  }
  return out as T;
}

class Validator {
  constructor(private readonly src: YamlSource) {}

  fail(path: KeyPath, msg: string): never {
    throw this.src.fail(path, msg, ErrorKind.Inventory);
  }

  /**
   * Rejects any `{_plugin: ...}` reference (I-12 is not implemented yet). One walk over all the
   * data with one path stack: the key path is only copied for the error.
   */
  rejectPlugins(value: unknown, path: KeyPath): void {
    const stack: (string | number)[] = [...path];
    const walk = (item: unknown): void => {
      if (typeof item !== 'object' || item === null) return;
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length; i++) {
          stack.push(i);
          walk(item[i]);
          stack.pop();
        }
        return;
      }
      if ('_plugin' in item) {
        this.fail([...stack, '_plugin'], `plugins are not supported yet (plugin '${String((item as Dict)['_plugin'])}' at '${formatPath(stack) || '<top>'}')`);
      }
      for (const key in item) {
        if (!Object.hasOwn(item, key)) continue;
        stack.push(key);
        walk((item as Dict)[key]);
        stack.pop();
      }
    };
    walk(value);
  }

  keys(value: Dict, allowed: readonly string[], path: KeyPath, what: string): void {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const hint = key === 'nodes' ? " ('nodes' is inventory v1 syntax; v2 uses 'targets')" : '';
      this.fail([...path, key], `unknown key '${key}' in ${what}${hint}; valid keys are: ${allowed.join(', ')}`);
    }
  }

  dict(value: unknown, path: KeyPath): Dict {
    if (value === undefined || value === null) return {};
    if (!isDict(value)) this.fail(path, `must be a map, not ${typeName(value)}`);
    return value;
  }

  array(value: unknown, path: KeyPath): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `must be an array, not ${typeName(value)}`);
    return value;
  }

  strings(value: unknown, path: KeyPath): string[] {
    const list = this.array(value, path);
    list.forEach((item, i) => {
      if (typeof item !== 'string') this.fail([...path, i], `must be a string, not ${typeName(item)}`);
    });
    return list as string[];
  }

  /** The data keys of a group or target, copied; a key that is not written costs no key path. */
  data(value: Dict, path: KeyPath): DataBlock {
    const { config, facts, vars, features, plugin_hooks: pluginHooks } = value;
    return {
      config: config == null ? {} : this.config(config, [...path, 'config']),
      facts: facts == null ? {} : clone(this.dict(facts, [...path, 'facts'])),
      vars: vars == null ? {} : clone(this.dict(vars, [...path, 'vars'])),
      features: features == null ? [] : [...new Set(this.strings(features, [...path, 'features']))],
      pluginHooks: pluginHooks == null ? {} : clone(this.dict(pluginHooks, [...path, 'plugin_hooks'])),
    };
  }

  config(value: unknown, path: KeyPath): Dict {
    const config = this.dict(value, path);
    this.keys(config, CONFIG_KEYS, path, 'config');
    const transport = config['transport'];
    if (transport !== undefined && !(typeof transport === 'string' && (TRANSPORTS as readonly string[]).includes(transport))) {
      this.fail([...path, 'transport'], `unknown transport ${typeName(transport)}; valid transports are: ${TRANSPORTS.join(', ')}`);
    }
    for (const name of TRANSPORTS) {
      if (config[name] === undefined) continue;
      const options = this.dict(config[name], [...path, name]);
      if (name === 'ssh' || name === 'winrm' || name === 'local') this.transportOptions(name, options, [...path, name]);
    }
    return clone(config);
  }

  transportOptions(name: 'ssh' | 'winrm' | 'local', options: Dict, path: KeyPath): void {
    const known = TRANSPORT_OPTIONS[name];
    this.keys(options, SORTED_OPTION_KEYS[name], path, `${name} config`);
    for (const [key, value] of Object.entries(options)) {
      const type = known[key];
      if (type === undefined || value === null) continue;
      const why = checkOption(type, value);
      if (why) this.fail([...path, key], why);
    }
  }

  name(value: unknown, path: KeyPath, what: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, `${what} must be a non-empty string, not ${typeName(value)}`);
    return value;
  }
}

/** Why `value` is not a valid option of `type`, or undefined when it is. */
export function checkOption(type: OptionType, value: unknown): string | undefined {
  if (Array.isArray(type)) {
    return typeof value === 'string' && type.includes(value)
      ? undefined
      : `must be one of ${type.join(', ')}, not ${typeName(value)}`;
  }
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string, not ${typeName(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean, not ${typeName(value)}`;
    case 'size':
      return parseByteSize(value) !== undefined ? undefined : `must be a size in bytes such as 1048576 or 10MiB, not ${typeName(value)}`;
    case 'integer':
      return Number.isInteger(value) && (value as number) >= 0 ? undefined : `must be a non-negative integer, not ${typeName(value)}`;
    case 'port':
      return Number.isInteger(value) && (value as number) > 0 && (value as number) <= 65535
        ? undefined
        : `must be an integer port (1-65535), not ${typeName(value)}`;
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : `must be an array of strings, not ${typeName(value)}`;
    case 'map':
      return isDict(value) ? undefined : `must be a map, not ${typeName(value)}`;
    case 'command':
      return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))
        ? undefined
        : `must be a string or an array of strings, not ${typeName(value)}`;
    case 'private-key':
      return typeof value === 'string' || (isDict(value) && typeof value['key-data'] === 'string')
        ? undefined
        : `must be a path to a private key file or a map with 'key-data', not ${typeName(value)}`;
  }
}

function checkTargetName(v: Validator, name: string, path: KeyPath): void {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(name)) v.fail(path, `target name '${name}' must be ASCII characters`);
  if (/[\s,]/.test(name)) v.fail(path, `target name '${name}' must not contain whitespace or commas`);
}

/** A target entry as written, before string entries are resolved to names. */
interface RawTargetEntry {
  kind: 'string' | 'map';
  text: string;
  path: KeyPath;
}

/**
 * Validates parsed inventory data and builds the model. Throws a ConfigError of kind
 * `bolt.inventory/validation-error` naming file:line and the key path.
 *
 * @example
 * ```ts
 * buildModel(YamlSource.fromData({ version: 2, targets: ['a'] }, 'inline')).targets.has('a'); // true
 * ```
 */
export function buildModel(src: YamlSource): InventoryModel {
  const v: Validator = new Validator(src);
  const data = src.data ?? {};
  if (!isDict(data)) v.fail([], `the inventory must be a map, not ${typeName(data)}`);
  v.rejectPlugins(data, []);
  v.keys(data, TOP_KEYS, [], 'the inventory (group all)');
  if (data['version'] !== undefined && data['version'] !== 2) {
    v.fail(['version'], `Unsupported version ${JSON.stringify(data['version'])}: only inventory version 2 is supported`);
  }
  const warnings: string[] = [];
  // Bolt's Group#initialize (all_group: true): a top-level name other than 'all' is ignored.
  const topName = data['name'];
  if (topName !== undefined && topName !== 'all') {
    const line = src.lineOf(['name']);
    const where = src.name === undefined ? '' : `${src.name}${line === undefined ? '' : `:${line}`}: `;
    warnings.push(withWarningId('top_level_group_name', `${where}Top-level group '${String(topName)}' cannot specify a name, using 'all' instead.`));
  }

  const targets = new Map<string, TargetModel>();
  const aliases = new Map<string, { target: string; path: KeyPath }>();
  const groupNames = new Map<string, KeyPath>([['all', []]]);
  const entries = new Map<GroupModel, RawTargetEntry[]>();

  const defineTarget = (value: Dict, path: KeyPath): string => {
    v.keys(value, TARGET_KEYS, path, 'a target');
    const uri = value['uri'];
    const rawName = value['name'];
    if (uri === undefined && rawName === undefined) v.fail(path, "a target needs a 'uri' or a 'name'");
    if (uri !== undefined) {
      v.name(uri, [...path, 'uri'], 'uri');
      try {
        parseTargetUri(uri as string);
      } catch (error) {
        v.fail([...path, 'uri'], (error as Error).message);
      }
    }
    const name = rawName === undefined ? (uri as string) : v.name(rawName, [...path, 'name'], 'name');
    checkTargetName(v, name, rawName === undefined ? [...path, 'uri'] : [...path, 'name']);
    const rawAlias = value['alias'];
    let alias: string[] = [];
    if (typeof rawAlias === 'string') alias = [rawAlias];
    else if (rawAlias !== undefined && rawAlias !== null) {
      if (!Array.isArray(rawAlias)) v.fail([...path, 'alias'], `must be a string or an array of strings, not ${typeName(rawAlias)}`);
      alias = v.strings(rawAlias, [...path, 'alias']);
    }
    alias.forEach((a, i) => {
      const aliasPath = typeof rawAlias === 'string' ? [...path, 'alias'] : [...path, 'alias', i];
      if (!NAME_PATTERN.test(a)) v.fail(aliasPath, `invalid alias '${a}': aliases must match ${NAME_PATTERN.source}`);
      const seen = aliases.get(a);
      if (seen && seen.target !== name) {
        v.fail(aliasPath, `alias '${a}' refers to two targets: '${seen.target}' and '${name}'`);
      }
      if (!seen) aliases.set(a, { target: name, path: aliasPath });
    });
    const block = v.data(value, path);
    const existing = targets.get(name);
    if (!existing) {
      targets.set(name, { name, uri: uri as string | undefined, alias, path, ...block });
    } else {
      // The same target in several groups: one target, first definition wins per key (I-06).
      existing.uri ??= uri as string | undefined;
      for (const a of alias) if (!existing.alias.includes(a)) existing.alias.push(a);
      existing.config = deepMerge(block.config, existing.config);
      existing.facts = deepMerge(block.facts, existing.facts);
      existing.vars = { ...block.vars, ...existing.vars };
      existing.features = [...new Set([...existing.features, ...block.features])];
      existing.pluginHooks = { ...block.pluginHooks, ...existing.pluginHooks };
    }
    return name;
  };

  const buildGroup = (value: Dict, path: KeyPath, name: string): GroupModel => {
    const group: GroupModel = { name, path, targets: [], groups: [], ...v.data(value, path) };
    const raw: RawTargetEntry[] = [];
    v.array(value['targets'], [...path, 'targets']).forEach((entry, i) => {
      const entryPath = [...path, 'targets', i];
      if (typeof entry === 'string') {
        if (entry === '') v.fail(entryPath, 'a target must not be an empty string');
        try {
          parseTargetUri(entry);
        } catch (error) {
          v.fail(entryPath, (error as Error).message);
        }
        checkTargetName(v, entry, entryPath);
        raw.push({ kind: 'string', text: entry, path: entryPath });
      } else if (isDict(entry)) {
        raw.push({ kind: 'map', text: defineTarget(entry, entryPath), path: entryPath });
      } else {
        v.fail(entryPath, `a target must be a URI string or a map, not ${typeName(entry)}`);
      }
    });
    entries.set(group, raw);
    v.array(value['groups'], [...path, 'groups']).forEach((child, i) => {
      const childPath = [...path, 'groups', i];
      if (!isDict(child)) v.fail(childPath, `a group must be a map, not ${typeName(child)}`);
      v.keys(child, GROUP_KEYS, childPath, 'a group');
      if (child['name'] === undefined) v.fail(childPath, "a group needs a 'name'");
      const childName = v.name(child['name'], [...childPath, 'name'], 'group name');
      if (!NAME_PATTERN.test(childName)) {
        v.fail([...childPath, 'name'], `invalid group name '${childName}': group names must match ${NAME_PATTERN.source}`);
      }
      const first = groupNames.get(childName);
      if (first) {
        const where = src.lineOf([...first, 'name']);
        v.fail([...childPath, 'name'], `group '${childName}' is defined twice${where ? ` (first at line ${where})` : childName === 'all' ? " ('all' is the top level)" : ''}`);
      }
      groupNames.set(childName, childPath);
      group.groups.push(buildGroup(child, childPath, childName));
    });
    return group;
  };

  const root = buildGroup(data, [], 'all');

  // Resolve string entries: an alias names its target; anything else is a target named by its URI.
  for (const [group, raw] of entries) {
    const members = new Set<string>();
    for (const entry of raw) {
      let name = entry.text;
      if (entry.kind === 'string') {
        const alias = aliases.get(entry.text);
        if (alias && !targets.has(entry.text)) name = alias.target;
        else if (!targets.has(name)) {
          targets.set(name, { name, uri: name, alias: [], path: entry.path, config: {}, facts: {}, vars: {}, features: [], pluginHooks: {} });
        }
      }
      if (!members.has(name)) {
        members.add(name);
        group.targets.push(name);
      }
    }
  }

  // Conflicts (I-05).
  for (const target of targets.values()) {
    if (groupNames.has(target.name)) {
      const key = target.path.length > 0 && target.uri !== target.name ? [...target.path, 'name'] : target.path;
      v.fail(key, `target name '${target.name}' is also the name of a group`);
    }
  }
  for (const [alias, { target, path }] of aliases) {
    if (groupNames.has(alias)) v.fail(path, `alias '${alias}' is also the name of a group`);
    if (targets.has(alias)) v.fail(path, `alias '${alias}' of target '${target}' is also the name of a target`);
  }

  return {
    source: src,
    root,
    targets,
    aliases: new Map([...aliases].map(([alias, { target }]) => [alias, target])),
    warnings,
  };
}

/** Deep-merges maps: `over` wins; arrays and scalars are replaced, not merged. */
export function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isDict(prev) && isDict(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

export { isDict };
