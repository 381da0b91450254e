/**
 * The resolved inventory: target-spec resolution (I-13..I-16, P-22, P-23), config merging
 * (I-06..I-09), in-memory mutation for plans (P-24, P-25) and `inventory show` (C-14).
 *
 * @example
 * ```ts
 * const inventory = loadInventory({ path: 'inventory.yaml' });
 * const targets = inventory.getTargets('web*,db1', { cli: true });
 * inventory.setVar(targets[0]!, 'role', 'primary');
 * console.log(JSON.stringify(inventory.show('all', { detail: true })));
 * ```
 * @module
 */
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { ErrorKind, RivetError, isRivetError, type Target, type TargetConfig, type TransportName } from '../../core/index.ts';
import { globToRegExp, isGlob } from './glob.ts';
import {
  buildModel,
  clone,
  deepMerge,
  isDict,
  TRANSPORT_DEFAULTS,
  TRANSPORTS,
  type DataBlock,
  type GroupModel,
  type InventoryModel,
  type TargetModel,
} from './schema.ts';
import { YamlSource, type KeyPath } from './source.ts';
import { splitTargetSpec } from './target-spec.ts';
import { hasScheme, parseTargetUri, safeUri } from './uri.ts';

type Dict = Record<string, unknown>;

/** What `getTargets` accepts: a spec string, a Target, or arrays of these (Bolt's TargetSpec). */
export type TargetSpec = string | Target | readonly TargetSpec[];

/** A reference to one target: its name (or alias), or the Target itself. */
export type TargetRef = string | Target;

/** How a password or other secret appears in `show()` output (Bolt's Sensitive rendering). */
export const REDACTED = 'Sensitive [value redacted]';

const SECRET_KEYS = new Set(['password', 'sudo-password', 'token']);

/** One entry of `inventory show --detail` (C-14). */
export interface TargetDetail {
  name: string;
  uri: string | null;
  alias: string[];
  config: Dict & { transport: TransportName };
  vars: Dict;
  features: string[];
  facts: Dict;
  plugin_hooks: Dict;
  groups: string[];
}

/**
 * `inventory show` JSON (C-14), Bolt's `Application#show_inventory` document: ad-hoc targets,
 * inventory targets with the file read (`file`, else the default) and the default file, then all
 * targets (inventory first) and their count.
 */
export interface InventoryShow<T = string | TargetDetail> {
  adhoc: { count: number; targets: T[] };
  inventory: { count: number; targets: T[]; file: string | null; default: string | null };
  targets: T[];
  count: number;
}

/** Options of {@link Inventory}. */
export interface InventoryOptions {
  /** Config under every target's inventory config (CLI flags; see `applyOverrides`). */
  baseConfig?: Dict;
  /** Where relative key paths resolve (the project directory; default: the current directory). */
  baseDir?: string;
}

interface RuntimeGroup {
  name: string;
  data: DataBlock;
  targets: string[];
  members: Set<string>;
  groups: RuntimeGroup[];
  parent: RuntimeGroup | undefined;
}

/**
 * What resolution has done since load, for tests that check it stays lazy (issue 13): the
 * targets resolved (cache misses, in order), how many groups their data was collected from, and
 * how many targets' data was copied out of the loaded model (selected, resolved or changed).
 */
export interface ResolutionStats {
  resolved: string[];
  groupsVisited: number;
  copied: number;
}

interface TargetState {
  name: string;
  uri: string | undefined;
  alias: string[];
  config: Dict;
  vars: Dict;
  facts: Dict;
  /** The target's own features: true = on, false = switched off by `setFeature(..., false)`. */
  features: Map<string, boolean>;
  pluginHooks: Dict;
  adhoc: boolean;
  path: KeyPath | undefined;
}

interface Collected extends DataBlock {
  groups: string[];
}

function unknownTransport(transport: unknown, target: Pick<Target, 'name' | 'uri'>): RivetError {
  return inventoryError(
    `unknown transport ${JSON.stringify(transport)} for target '${displayName(target)}'; valid transports are: ${TRANSPORTS.join(', ')}`,
    { target: displayName(target) },
  );
}

/** Inventory errors not tied to a file position. */
function inventoryError(msg: string, details: Dict = {}): RivetError {
  return new RivetError(ErrorKind.Inventory, msg, { details });
}

function mergeCollected(base: Collected, over: Collected): Collected {
  return {
    config: deepMerge(base.config, over.config),
    facts: deepMerge(base.facts, over.facts),
    vars: { ...base.vars, ...over.vars },
    features: [...new Set([...base.features, ...over.features])],
    pluginHooks: { ...base.pluginHooks, ...over.pluginHooks },
    groups: [...new Set([...base.groups, ...over.groups])],
  };
}

function toRuntime(group: GroupModel, parent?: RuntimeGroup): RuntimeGroup {
  const runtime: RuntimeGroup = {
    name: group.name,
    data: {
      config: clone(group.config),
      facts: clone(group.facts),
      vars: clone(group.vars),
      features: [...group.features],
      pluginHooks: clone(group.pluginHooks),
    },
    targets: [...group.targets],
    members: new Set(group.targets),
    groups: [],
    parent,
  };
  runtime.groups = group.groups.map((child) => toRuntime(child, runtime));
  return runtime;
}

/** The default port of a transport: ssh 22, winrm 5986 (ssl) or 5985; none otherwise. */
export function defaultPort(transport: string, options: Dict): number | undefined {
  // ssh: none here, so ~/.ssh/config's Port still applies; the transport falls back to 22.
  if (transport === 'winrm') return options['ssl'] === false ? 5985 : 5986;
  return undefined;
}

/**
 * A target's own config: a target named `localhost` gets `transport: local` under its own data,
 * so group-level `transport` settings do not apply to it (Bolt's `Inventory::Target#initialize`).
 */
function ownConfig(name: string, config: Dict): Dict {
  return name === 'localhost' ? deepMerge({ transport: 'local' }, config) : config;
}

/** `~` and `~/x` → the home directory, then absolute against `baseDir` (Ruby's `File.expand_path`). */
function expandPath(path: string, baseDir: string): string {
  const home = process.env['HOME'] ?? homedir();
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
  return resolvePath(baseDir, expanded);
}

/** The name to print for a target: its URI without the password unless it has its own name. */
export function displayName(target: Pick<Target, 'name' | 'uri'>): string {
  return target.uri === target.name ? safeUri(target.name) : target.name;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!isDict(value)) return value;
  const out: Dict = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEYS.has(key) && item !== undefined && item !== null) out[key] = REDACTED;
    else if (key === 'private-key' && isDict(item)) out[key] = { ...item, 'key-data': REDACTED };
    else out[key] = redact(item);
  }
  return out;
}

/**
 * An inventory: groups, targets and the data attached to them. Targets returned are snapshots;
 * change them through the mutation methods (`setVar`, `addFacts`, ...), which are in memory only.
 */
export class Inventory {
  /** The file (or `BOLT_INVENTORY`, ...) the inventory was read from; undefined when empty/ad hoc. */
  readonly source: string | undefined;
  /** Config under every target's inventory config (CLI flags; see `applyOverrides`). */
  readonly baseConfig: Dict;
  /** Where relative key paths resolve. */
  readonly baseDir: string | undefined;
  private readonly model: InventoryModel;
  private readonly root: RuntimeGroup;
  private readonly groupIndex = new Map<string, RuntimeGroup>();
  /**
   * Targets made or touched since load: ad hoc and added targets, and inventory targets once
   * something asked for them ({@link Inventory.state}); the others are read from the model.
   */
  private readonly states = new Map<string, TargetState>();
  private readonly aliases: Map<string, string>;
  private readonly cache = new Map<string, Target>();
  /** target name → the groups that list it directly (not through subgroups); built on first use. */
  private directGroups: Map<string, Set<RuntimeGroup>> | undefined;
  /** group → all its members (own and subgroups'), tree order; cleared when membership changes. */
  private readonly memberCache = new Map<RuntimeGroup, string[]>();
  private readonly stats: ResolutionStats = { resolved: [], groupsVisited: 0, copied: 0 };

  /**
   * Builds an inventory from a validated model (use `loadInventory` instead). The model's
   * structure and values were validated with file:line by `buildModel`; here only each target's
   * URI transport is checked (cheap). The model is never changed: a target's data is copied out
   * of it when something first asks for the target. Targets are resolved lazily, when a spec
   * selects them, and cached until the inventory changes (issue 13: a glob or a group resolves
   * only its targets).
   */
  constructor(model: InventoryModel, options: InventoryOptions = {}) {
    this.model = model;
    this.source = model.source.name;
    this.baseConfig = clone(options.baseConfig ?? {});
    this.baseDir = options.baseDir;
    this.root = toRuntime(model.root);
    const index = (group: RuntimeGroup): void => {
      this.groupIndex.set(group.name, group);
      group.groups.forEach(index);
    };
    index(this.root);
    this.aliases = new Map(model.aliases);
    for (const target of model.targets.values()) this.checkUriTransport(target);
  }

  /** A copy of this inventory (as loaded, without in-memory changes) over another base config. */
  withBaseConfig(baseConfig: Dict): Inventory {
    return new Inventory(this.model, { baseConfig, ...(this.baseDir === undefined ? {} : { baseDir: this.baseDir }) });
  }

  /** What the file has that Bolt accepts with a warning (a top-level `name`), for the caller to show. */
  get warnings(): readonly string[] {
    return this.model.warnings;
  }

  /**
   * At load, a URI naming an unknown transport is reported with file:line (the schema checked
   * the rest). A target with only a `name` is valid, as in Bolt (I-04): with no host, connecting
   * to it fails ("Target <name> does not have a host").
   */
  private checkUriTransport(target: TargetModel): void {
    if (target.uri === undefined || !hasScheme(target.uri)) return;
    const transport = parseTargetUri(target.uri).transport;
    if (transport !== undefined && !(TRANSPORTS as readonly string[]).includes(transport)) {
      this.failAt(target, unknownTransport(transport, target));
    }
  }

  /** An error of an inventory target, at its file:line; other errors are thrown as they are. */
  private failAt(state: Pick<TargetState, 'path'>, error: unknown): never {
    if (state.path !== undefined && isRivetError(error)) throw this.model.source.fail(state.path, error.message, ErrorKind.Inventory);
    throw error;
  }

  /**
   * What resolution has done since load (targets resolved, groups visited), for tests that check
   * it stays lazy. Not part of the public API.
   *
   * @internal
   */
  resolutionStats(): Readonly<ResolutionStats> {
    return { ...this.stats, resolved: [...this.stats.resolved] };
  }

  /** The groups listing `name` directly; the index is built from the group tree on first use. */
  private directGroupsOf(name: string): Iterable<RuntimeGroup> {
    if (this.directGroups === undefined) {
      const index = new Map<string, Set<RuntimeGroup>>();
      const walk = (group: RuntimeGroup): void => {
        for (const member of group.targets) {
          let groups = index.get(member);
          if (!groups) index.set(member, (groups = new Set()));
          groups.add(group);
        }
        group.groups.forEach(walk);
      };
      walk(this.root);
      this.directGroups = index;
    }
    return this.directGroups.get(name) ?? [];
  }

  /** Adds `name` to `group`'s own targets (no-op when it is there). */
  private addMember(group: RuntimeGroup, name: string): void {
    if (group.members.has(name)) return;
    group.members.add(name);
    group.targets.push(name);
    this.directGroups = undefined;
    this.memberCache.clear();
  }

  /** True when `name` is a target of the inventory or added since (not an alias or a group). */
  private hasTarget(name: string): boolean {
    return this.states.has(name) || this.model.targets.has(name);
  }

  /** Names of all groups, `all` first, depth-first. */
  groupNames(): string[] {
    return [...this.groupIndex.keys()];
  }

  /** Names of all targets known so far (inventory and ad hoc), in tree order. */
  targetNames(): string[] {
    return [...this.membersOf(this.root)];
  }

  /** True when `name` was added ad hoc (it is not in the inventory file). */
  isAdhoc(target: TargetRef): boolean {
    const name = typeof target === 'string' ? target : target.name;
    return this.states.get(name)?.adhoc ?? false; // a target only in the model is from the file
  }

  /**
   * Resolves a target spec to unique targets, in order (I-13..I-16, P-22). Unknown names become
   * ad hoc targets added to `all`. With `cli: true` the spec is split the CLI way and `{a,b}`
   * globs are allowed.
   *
   * @example
   * ```ts
   * inventory.getTargets('linux,win*');            // group members + glob matches
   * inventory.getTargets(['web1', 'ssh://u@h:22']); // names or URIs
   * ```
   */
  getTargets(spec: TargetSpec, options: { cli?: boolean } = {}): Target[] {
    return this.namesOf(spec, options).map((name) => this.resolve(name));
  }

  /** The unique target names a spec selects, in order, without resolving them. */
  private namesOf(spec: TargetSpec, options: { cli?: boolean }): string[] {
    const names: string[] = [];
    const seen = new Set<string>();
    const add = (name: string): void => {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    };
    const walk = (item: TargetSpec): void => {
      if (typeof item === 'string') {
        for (const token of splitTargetSpec(item, options)) this.resolveToken(token, options.cli ?? false).forEach(add);
      } else if (Array.isArray(item)) {
        (item as readonly TargetSpec[]).forEach(walk);
      } else {
        add(this.nameOf(item as Target));
      }
    };
    walk(spec);
    return names;
  }

  /**
   * Resolves a spec that must name exactly one target (P-23).
   *
   * @example
   * ```ts
   * inventory.getTarget('web1').host;
   * inventory.getTarget('linux'); // throws "'linux' refers to 3 targets"
   * ```
   */
  getTarget(spec: TargetSpec, options: { cli?: boolean } = {}): Target {
    const targets = this.getTargets(spec, options);
    if (targets.length !== 1) {
      const text = typeof spec === 'string' ? spec : Array.isArray(spec) ? JSON.stringify(spec) : (spec as Target).name;
      throw inventoryError(`'${text}' refers to ${targets.length} targets`, { spec: text, count: targets.length });
    }
    return targets[0] as Target;
  }

  private nameOf(target: Target): string {
    if (!this.hasTarget(target.name)) {
      this.addAdhoc(target.name, target.uri ?? target.name);
    }
    return target.name;
  }

  private resolveToken(token: string, cli: boolean): string[] {
    const group = this.groupIndex.get(token);
    if (group) return this.membersOf(group);
    if (this.hasTarget(token)) return [token];
    const aliased = this.aliases.get(token);
    if (aliased !== undefined) return [aliased];
    if (isGlob(token) && !hasScheme(token)) {
      const re = globToRegExp(token, { braces: cli });
      const found = new Set<string>();
      for (const [name, g] of this.groupIndex) if (re.test(name)) for (const member of this.membersOf(g)) found.add(member);
      for (const name of this.membersOf(this.root)) if (re.test(name)) found.add(name);
      for (const [alias, name] of this.aliases) if (re.test(alias)) found.add(name);
      if (found.size === 0) {
        throw new RivetError(ErrorKind.WildcardError, `Found 0 targets matching wildcard pattern ${token}`, {
          details: { pattern: token },
        });
      }
      return [...found];
    }
    this.addAdhoc(token, token);
    return [token];
  }

  private addAdhoc(name: string, uri: string): void {
    // Checked before the target is added (a name-only `show` does not resolve it).
    const transport = parseTargetUri(uri).transport;
    if (transport !== undefined && !(TRANSPORTS as readonly string[]).includes(transport)) throw unknownTransport(transport, { name, uri });
    this.states.set(name, {
      name,
      uri,
      alias: [],
      config: ownConfig(name, {}),
      vars: {},
      facts: {},
      features: new Map(),
      pluginHooks: {},
      adhoc: true,
      path: undefined,
    });
    this.addMember(this.root, name);
  }

  /** All members of a group (own targets first, then its subgroups'), cached until membership changes. */
  private membersOf(group: RuntimeGroup): string[] {
    const cached = this.memberCache.get(group);
    if (cached) return cached;
    const out = new Set<string>(group.targets);
    for (const child of group.groups) for (const name of this.membersOf(child)) out.add(name);
    const members = [...out];
    this.memberCache.set(group, members);
    return members;
  }

  /** The groups whose subtree holds `name`: the groups listing it and their ancestors. */
  private groupsHolding(name: string): Set<RuntimeGroup> {
    const out = new Set<RuntimeGroup>();
    for (const direct of this.directGroupsOf(name)) {
      for (let g: RuntimeGroup | undefined = direct; g !== undefined && !out.has(g); g = g.parent) out.add(g);
    }
    return out;
  }

  /** Group data for `name`: children beat parents, earlier siblings beat later ones (I-06). */
  private collectFor(name: string): Collected | undefined {
    const holding = this.groupsHolding(name);
    return holding.has(this.root) ? this.collect(this.root, name, holding) : undefined;
  }

  /** `collect` of the subtree at `group`, walking only the groups in `holding`. */
  private collect(group: RuntimeGroup, name: string, holding: Set<RuntimeGroup>): Collected {
    this.stats.groupsVisited++;
    let fromChildren: Collected | undefined;
    for (const child of group.groups) {
      if (!holding.has(child)) continue;
      const data = this.collect(child, name, holding);
      if (!data) continue;
      if (fromChildren) {
        // The earlier sibling wins; group names stay in tree order.
        const groups = [...new Set([...fromChildren.groups, ...data.groups])];
        fromChildren = { ...mergeCollected(data, fromChildren), groups };
      } else {
        fromChildren = data;
      }
    }
    const own: Collected = { ...group.data, groups: [group.name] };
    if (fromChildren) {
      const merged = mergeCollected(own, fromChildren);
      merged.groups = [group.name, ...fromChildren.groups.filter((g) => g !== group.name)];
      return merged;
    }
    return own;
  }

  /** A target's state, copied out of the model on first use. */
  private state(name: string): TargetState {
    let state = this.states.get(name);
    if (state) return state;
    const target = this.model.targets.get(name);
    if (!target) throw inventoryError(`unknown target '${name}'`);
    state = {
      name: target.name,
      uri: target.uri,
      alias: [...target.alias],
      config: ownConfig(target.name, clone(target.config)),
      vars: clone(target.vars),
      facts: clone(target.facts),
      features: new Map(target.features.map((f) => [f, true])),
      pluginHooks: clone(target.pluginHooks),
      adhoc: false,
      path: target.path,
    };
    this.stats.copied++;
    this.states.set(name, state);
    return state;
  }

  /** A target's name, URI and whether it is ad hoc, without copying it out of the model. */
  private peek(name: string): Pick<TargetState, 'name' | 'uri' | 'adhoc'> {
    const state = this.states.get(name);
    if (state) return state;
    const target = this.model.targets.get(name);
    return target ? { name: target.name, uri: target.uri, adhoc: false } : this.state(name);
  }

  /** A snapshot of a target the caller may change freely. */
  private resolve(name: string): Target {
    return clone(this.resolveShared(name));
  }

  /** The cached resolved target: never hand this object out. */
  private resolveShared(name: string): Target {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const state = this.state(name);
    this.stats.resolved.push(name);
    try {
      const target = this.build(state);
      this.cache.set(name, target);
      return target;
    } catch (error) {
      this.failAt(state, error);
    }
  }

  private build(state: TargetState): Target {
    const group = this.collectFor(state.name) ?? { ...this.root.data, groups: ['all'] };
    const config = this.expandKeyPaths(deepMerge(deepMerge(this.baseConfig, group.config), state.config));
    const uri = state.uri === undefined ? undefined : parseTargetUri(state.uri);
    const transportValue = uri?.transport ?? config['transport'] ?? 'ssh';
    if (typeof transportValue !== 'string' || !(TRANSPORTS as readonly string[]).includes(transportValue)) {
      throw unknownTransport(transportValue, state);
    }
    const transport = transportValue as TransportName;
    const options = isDict(config[transport]) ? (config[transport] as Dict) : {};
    const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    const port = uri?.port ?? (typeof options['port'] === 'number' ? options['port'] : defaultPort(transport, options));
    const features = new Set(group.features);
    for (const [feature, on] of state.features) {
      if (on) features.add(feature);
      else features.delete(feature);
    }
    const password = uri?.password ?? str(options['password']);
    const target: Target = {
      name: state.name,
      uri: state.uri,
      alias: [...state.alias],
      transport,
      host: uri?.host ?? str(options['host']),
      port,
      user: uri?.user ?? str(options['user']),
      ...(password === undefined ? {} : { password }),
      config: { ...config, transport } as TargetConfig,
      vars: { ...group.vars, ...state.vars },
      facts: deepMerge(group.facts, state.facts),
      features: [...features],
      groups: group.groups,
    };
    return target;
  }

  /** `private-key` (ssh) and `cacert` (winrm) paths, expanded as Bolt's transport configs do. */
  private expandKeyPaths(config: Dict): Dict {
    const base = this.baseDir ?? process.cwd();
    const out = { ...config };
    for (const [transport, key] of [['ssh', 'private-key'], ['winrm', 'cacert']] as const) {
      const options = out[transport];
      if (isDict(options) && typeof options[key] === 'string') out[transport] = { ...options, [key]: expandPath(options[key] as string, base) };
    }
    return out;
  }

  private changed(): void {
    this.cache.clear();
  }

  private ref(target: TargetRef): TargetState {
    const name = typeof target === 'string' ? this.getTarget(target).name : this.nameOf(target);
    return this.state(name);
  }

  /**
   * Sets one var, or merges a map of vars, on a target (P-25 `set_var`). Returns the updated target.
   *
   * @example
   * ```ts
   * inventory.setVar('web1', 'role', 'db');
   * inventory.setVar('web1', { role: 'db', tier: 2 });
   * ```
   */
  setVar(target: TargetRef, keyOrVars: string | Dict, value?: unknown): Target {
    const state = this.ref(target);
    if (typeof keyOrVars === 'string') state.vars[keyOrVars] = clone(value);
    else Object.assign(state.vars, clone(keyOrVars));
    this.changed();
    return this.resolve(state.name);
  }

  /** The merged vars of a target (P-25 `vars`). */
  vars(target: TargetRef): Dict {
    return this.resolve(this.ref(target).name).vars;
  }

  /** The merged facts of a target (P-25 `facts`). */
  facts(target: TargetRef): Dict {
    return this.resolve(this.ref(target).name).facts;
  }

  /**
   * Deep-merges facts into a target's facts (P-25 `add_facts`). Returns the updated target.
   *
   * @example
   * ```ts
   * inventory.addFacts('web1', { os: { family: 'RedHat' } });
   * ```
   */
  addFacts(target: TargetRef, facts: Dict): Target {
    if (!isDict(facts)) throw inventoryError('add_facts expects a map of facts');
    const state = this.ref(target);
    state.facts = deepMerge(state.facts, clone(facts));
    this.changed();
    return this.resolve(state.name);
  }

  /** Turns a feature on (default) or off for one target (P-25 `set_feature`). */
  setFeature(target: TargetRef, feature: string, value = true): Target {
    const state = this.ref(target);
    state.features.set(feature, value);
    this.changed();
    return this.resolve(state.name);
  }

  /**
   * Sets target-level config (P-25 `set_config`): a key, or a key path such as
   * `['ssh', 'user']`; an empty path replaces the whole config.
   *
   * @example
   * ```ts
   * inventory.setConfig('web1', ['ssh', 'port'], 2222);
   * ```
   */
  setConfig(target: TargetRef, keyOrPath: string | readonly string[], value: unknown): Target {
    const state = this.ref(target);
    const path = typeof keyOrPath === 'string' ? [keyOrPath] : [...keyOrPath];
    if (path.length === 0) {
      if (!isDict(value)) throw inventoryError('set_config with an empty key path needs a map');
      state.config = clone(value);
    } else {
      const last = path.pop() as string;
      let at: Dict = state.config;
      for (const key of path) {
        if (!isDict(at[key])) at[key] = {};
        at = at[key] as Dict;
      }
      at[last] = clone(value);
    }
    this.changed();
    return this.resolve(state.name);
  }

  /**
   * Adds targets to an existing group (P-25 `add_to_group`); like Bolt, the group must exist.
   *
   * @example
   * ```ts
   * inventory.addToGroup('newhost', 'linux');
   * ```
   */
  addToGroup(targets: TargetSpec, group: string): Target[] {
    const runtime = this.groupIndex.get(group);
    if (!runtime) throw inventoryError(`Group ${group} does not exist in inventory`, { group });
    const resolved = this.getTargets(targets);
    for (const target of resolved) this.addMember(runtime, target.name);
    this.changed();
    return resolved.map((t) => this.resolve(t.name));
  }

  /**
   * Removes one target from a group and its subgroups (P-25 `remove_from_group`); never from `all`.
   */
  removeFromGroup(target: TargetSpec, group: string): Target {
    const targets = this.getTargets(target);
    if (targets.length !== 1) {
      throw inventoryError(`'remove_from_group' expects a single Target, got ${targets.length}`);
    }
    if (group === 'all') throw inventoryError("Cannot remove Target from Group 'all'");
    const runtime = this.groupIndex.get(group);
    if (!runtime) throw inventoryError(`Group ${group} does not exist in inventory`, { group });
    const name = (targets[0] as Target).name;
    const remove = (g: RuntimeGroup): void => {
      if (g.members.delete(name)) {
        g.targets = g.targets.filter((t) => t !== name);
        this.directGroups?.get(name)?.delete(g);
      }
      g.groups.forEach(remove);
    };
    remove(runtime);
    this.memberCache.clear();
    this.changed();
    return this.resolve(name);
  }

  /**
   * Adds a target from a URI or a data map (P-24 `Target.new`), replacing a target of the same
   * name. Inventory group data still applies; the new target's own data replaces the old one's.
   *
   * @example
   * ```ts
   * inventory.addTarget({ uri: 'ssh://10.0.0.9', name: 'new', vars: { role: 'db' } });
   * ```
   */
  addTarget(data: string | Dict): Target {
    const model = buildModel(YamlSource.fromData({ targets: [data] }, 'Target.new'));
    const [def] = [...model.targets.values()];
    if (!def) throw inventoryError('Target.new needs a uri or a name');
    if (this.groupIndex.has(def.name)) {
      throw inventoryError(`Target name ${def.name} conflicts with group of the same name`);
    }
    for (const alias of def.alias) {
      if (this.groupIndex.has(alias)) throw inventoryError(`Alias ${alias} conflicts with group of the same name`);
      if (this.hasTarget(alias)) throw inventoryError(`Alias ${alias} conflicts with target of the same name`);
      const owner = this.aliases.get(alias);
      if (owner !== undefined && owner !== def.name) {
        throw inventoryError(`Alias ${alias} refers to multiple targets: ${owner} and ${def.name}`);
      }
    }
    const existing = this.hasTarget(def.name) ? this.state(def.name) : undefined;
    for (const [alias, owner] of [...this.aliases]) if (owner === def.name) this.aliases.delete(alias);
    for (const alias of def.alias) this.aliases.set(alias, def.name);
    this.states.set(def.name, {
      name: def.name,
      uri: def.uri,
      alias: def.alias,
      config: ownConfig(def.name, def.config),
      vars: def.vars,
      facts: def.facts,
      features: new Map(def.features.map((f) => [f, true])),
      pluginHooks: def.pluginHooks,
      adhoc: existing?.adhoc ?? true,
      path: undefined,
    });
    if (!existing) this.addMember(this.root, def.name);
    this.changed();
    return this.resolve(def.name);
  }

  /**
   * One target as `inventory show --detail` prints it (C-14, Bolt's `Target#detail`): the
   * transport's config over its defaults ({@link TRANSPORT_DEFAULTS}), key paths expanded.
   * Passwords (`password`, `sudo-password`, `private-key.key-data`, a URI's password) are shown
   * as `"Sensitive [value redacted]"` or removed.
   */
  targetDetail(target: TargetRef): TargetDetail {
    return this.detailOf(this.ref(target));
  }

  private detailOf(state: TargetState): TargetDetail {
    const t = this.resolve(state.name);
    const group = this.collectFor(state.name);
    const options = t.config[t.transport];
    return {
      name: displayName(t),
      uri: t.uri === undefined ? null : safeUri(t.uri),
      alias: [...t.alias],
      config: {
        transport: t.transport,
        [t.transport]: redact({ ...TRANSPORT_DEFAULTS[t.transport], ...(isDict(options) ? options : {}) }),
      } as TargetDetail['config'],
      vars: t.vars,
      features: t.features,
      facts: t.facts,
      plugin_hooks: { ...(group?.pluginHooks ?? {}), ...state.pluginHooks },
      groups: t.groups,
    };
  }

  /**
   * `inventory show` (C-14): the targets of `spec` (default `all`), split into inventory and ad
   * hoc targets; names, or detail entries with `detail: true`. The document is Bolt's
   * (`Application#show_inventory`, `Outputter::JSON#print_targets`): `targets` lists the
   * inventory targets first, then the ad-hoc ones; `inventory.file` is the file read, else
   * `defaultFile` (the project's `inventory.yaml`), which `inventory.default` also names.
   *
   * @example
   * ```ts
   * inventory.show('web1,newhost').adhoc.targets; // ['newhost']
   * ```
   */
  show(spec: TargetSpec = 'all', options: { detail?: boolean; cli?: boolean; defaultFile?: string } = {}): InventoryShow {
    // Names need no resolution: only `detail` resolves the selected targets.
    const targets = this.namesOf(spec, { cli: options.cli ?? false }).map((name) => this.peek(name));
    const entry = (t: Pick<TargetState, 'name' | 'uri'>): string | TargetDetail => (options.detail ? this.detailOf(this.state(t.name)) : displayName(t));
    const inventory = targets.filter((t) => !t.adhoc).map(entry);
    const adhoc = targets.filter((t) => t.adhoc).map(entry);
    return {
      adhoc: { count: adhoc.length, targets: adhoc },
      inventory: { count: inventory.length, targets: inventory, file: this.source ?? options.defaultFile ?? null, default: options.defaultFile ?? null },
      targets: [...inventory, ...adhoc],
      count: targets.length,
    };
  }

  /** `group show` (C-14): `{count, groups}`. */
  showGroups(): { count: number; groups: string[] } {
    const groups = this.groupNames();
    return { count: groups.length, groups };
  }
}
