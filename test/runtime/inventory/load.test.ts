import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ConfigError, ErrorKind, isRivetError } from '../../../src/core/index.ts';
import { loadInventory, loadInventoryFile } from '../../../src/runtime/inventory/index.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/inventory/${name}`, import.meta.url));

/** Loads YAML text named inventory.yaml and returns the error it throws. */
const inline = (text: string) => loadInventory({ text, name: 'inventory.yaml' });

function errorOf(text: string): ConfigError {
  try {
    loadInventory({ text, name: 'inventory.yaml' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).kind).toBe(ErrorKind.Inventory);
    return error as ConfigError;
  }
  throw new Error('expected the inventory to be rejected');
}

describe('loading inventory.yaml', () => {
  it('I-01: empty file, missing file and comment-only text are empty inventories', () => {
    expect(loadInventory({ text: '', name: 'inventory.yaml' }).targetNames()).toEqual([]);
    expect(loadInventory({ text: '# nothing\n', name: 'inventory.yaml' }).groupNames()).toEqual(['all']);
    expect(loadInventory({ path: fixture('does-not-exist.yaml') }).targetNames()).toEqual([]);
  });

  it('I-10: a missing explicit --inventoryfile is an error naming the path', () => {
    const path = fixture('does-not-exist.yaml');
    expect(() => loadInventoryFile(path, { explicit: true })).toThrow(`${path}: the inventory file given with --inventoryfile does not exist`);
    expect(loadInventoryFile(path).targetNames()).toEqual([]);
  });

  it('I-01: version 2 is accepted, anything else is an error with file:line', () => {
    expect(loadInventory({ text: 'version: 2\ntargets: [a]\n', name: 'inventory.yaml' }).targetNames()).toEqual(['a']);
    const err = errorOf('targets: [a]\nversion: 1\n');
    expect(err.message).toBe('inventory.yaml:2: version: Unsupported version 1: only inventory version 2 is supported');
    expect(err.line).toBe(2);
    expect(err.key).toBe('version');
  });

  it('I-01: v1 nodes: is rejected with a hint', () => {
    expect(errorOf('nodes: [a]\n').message).toMatch(/^inventory.yaml:1: nodes: unknown key 'nodes' .*v2 uses 'targets'/);
  });

  it('YAML syntax errors name the line', () => {
    const err = errorOf('targets:\n  - a\n  - [b\ngroups: []\n');
    expect(err.message).toMatch(/^inventory.yaml:\d+: YAML syntax error: /);
    expect(err.line).toBeGreaterThanOrEqual(3);
  });

  it('duplicate map keys are YAML errors with the line', () => {
    expect(errorOf('vars: {}\nvars: {}\n').message).toMatch(/^inventory.yaml:2: YAML syntax error: .*unique/);
  });

  it('I-02: unknown top-level key lists the valid keys', () => {
    expect(errorOf('targets: [a]\ntarget: [b]\n').message).toBe(
      "inventory.yaml:2: target: unknown key 'target' in the inventory (group all); valid keys are: config, facts, features, groups, name, plugin_hooks, targets, vars, version",
    );
  });

  it("I-02: a top-level name is accepted and ignored with Bolt's warning (Bolt: inventory/group.rb Group#initialize, all_group)", () => {
    const inv = loadInventory({ text: 'name: vegetables\ntargets:\n  - uri: carrot.example.org\n    name: carrot\n', name: 'inventory.yaml' });
    expect(inv.warnings).toEqual(["inventory.yaml:1: Top-level group 'vegetables' cannot specify a name, using 'all' instead. [ID: top_level_group_name]"]);
    expect(inv.groupNames()).toEqual(['all']);
    expect(inv.getTargets('all').map((t) => t.name)).toEqual(['carrot']);
    expect(loadInventory({ text: 'name: all\n', name: 'inventory.yaml' }).warnings).toEqual([]);
  });

  it('I-03: unknown group key names the key path and line', () => {
    const text = 'groups:\n  - name: a\n    targets: [x]\n  - name: b\n    tragets: [y]\n';
    expect(errorOf(text).message).toBe(
      "inventory.yaml:5: groups[1].tragets: unknown key 'tragets' in a group; valid keys are: config, facts, features, groups, name, plugin_hooks, targets, vars",
    );
  });

  it('I-03: a group needs a valid name', () => {
    expect(errorOf('groups:\n  - targets: [a]\n').message).toBe("inventory.yaml:2: groups[0]: a group needs a 'name'");
    expect(errorOf('groups:\n  - name: "web servers"\n').message).toMatch(/^inventory.yaml:2: groups\[0\].name: invalid group name 'web servers'/);
  });

  it('I-04: unknown target key, target without uri or name, bad alias type', () => {
    expect(errorOf('targets:\n  - uri: a\n    var: {}\n').message).toMatch(/^inventory.yaml:3: targets\[0\].var: unknown key 'var' in a target; valid keys are: alias, config, facts, features, name, plugin_hooks, uri, vars$/);
    expect(errorOf('targets:\n  - vars: {x: 1}\n').message).toBe("inventory.yaml:2: targets[0]: a target needs a 'uri' or a 'name'");
    expect(errorOf('targets:\n  - name: a\n    uri: a\n    alias: 5\n').message).toMatch(/^inventory.yaml:4: targets\[0\].alias: must be a string or an array of strings/);
  });

  it('I-04: names with whitespace/commas or non-ASCII are rejected', () => {
    expect(errorOf('targets:\n  - name: "a b"\n    uri: x\n').message).toMatch(/^inventory.yaml:2: targets\[0\].name: target name 'a b' must not contain whitespace or commas/);
    expect(errorOf('targets:\n  - "hôte"\n').message).toMatch(/must be ASCII/);
  });

  it('I-04: a target with only a name loads, named as given, with no host (Bolt: inventory/target.rb Target#initialize, #host)', () => {
    const only = loadInventory({ text: 'groups:\n  - name: g\n    targets:\n      - name: box\n', name: 'inventory.yaml' });
    expect(only.getTarget('box')).toMatchObject({ name: 'box', uri: undefined, host: undefined, transport: 'ssh', groups: ['all', 'g'] });
    expect(only.show('all')).toMatchObject({ inventory: { targets: ['box'] }, adhoc: { targets: [] } });
    const inv = loadInventory({ text: 'targets:\n  - name: box\n    config: {ssh: {host: 10.1.1.1}}\n', name: 'inventory.yaml' });
    expect(inv.getTarget('box').host).toBe('10.1.1.1');
  });

  it('wrong types: targets: 5, port: "abc", groups: a map', () => {
    expect(errorOf('targets: 5\n').message).toBe('inventory.yaml:1: targets: must be an array, not number 5');
    expect(errorOf('targets:\n  - uri: a\n    config:\n      ssh:\n        port: "abc"\n').message).toBe(
      'inventory.yaml:5: targets[0].config.ssh.port: must be an integer port (1-65535), not string "abc"',
    );
    expect(errorOf('groups: {name: a}\n').message).toBe('inventory.yaml:1: groups: must be an array, not a map');
    expect(errorOf('vars: [1]\n').message).toBe('inventory.yaml:1: vars: must be a map, not an array');
    expect(errorOf('features: [1]\n').message).toBe('inventory.yaml:1: features[0]: must be a string, not number 1');
    expect(errorOf('targets: [7]\n').message).toBe('inventory.yaml:1: targets[0]: a target must be a URI string or a map, not number 7');
  });

  it('bad URI in the file names file:line', () => {
    expect(errorOf('targets:\n  - web1:99999\n').message).toBe("inventory.yaml:2: targets[0]: Could not parse target URI 'web1:99999': invalid port '99999'");
  });

  it('I-05: duplicate group name points at both lines', () => {
    const text = 'groups:\n  - name: web\n  - name: db\n    groups:\n      - name: web\n';
    expect(errorOf(text).message).toBe("inventory.yaml:5: groups[1].groups[0].name: group 'web' is defined twice (first at line 2)");
    expect(errorOf('groups:\n  - name: all\n').message).toMatch(/^inventory.yaml:2: groups\[0\].name: group 'all' is defined twice/);
  });

  it('I-05: a group named like a target is an error', () => {
    const text = 'groups:\n  - name: web\n    targets: [a]\ntargets:\n  - web\n';
    expect(errorOf(text).message).toBe("inventory.yaml:5: targets[0]: target name 'web' is also the name of a group");
  });

  it('I-05: alias clashing with a group name is an error', () => {
    const text = 'groups:\n  - name: web\n  - name: db\n    targets:\n      - uri: db1\n        alias: web\n';
    expect(errorOf(text).message).toBe("inventory.yaml:6: groups[1].targets[0].alias: alias 'web' is also the name of a group");
  });

  it('I-05: alias clashing with a target name is an error', () => {
    const text = 'targets:\n  - uri: o.example.com\n    name: other\n  - uri: db1\n    alias: [x, other]\n';
    expect(errorOf(text).message).toBe("inventory.yaml:5: targets[1].alias[1]: alias 'other' of target 'db1' is also the name of a target");
  });

  it('I-05: a string target equal to an alias refers to the aliased target, not a new one', () => {
    const inv = loadInventory({ text: 'groups:\n  - name: g\n    targets: [db]\ntargets:\n  - uri: db1\n    alias: db\n', name: 'i' });
    expect(inv.targetNames()).toEqual(['db1']);
    expect(inv.getTargets('g').map((t) => t.name)).toEqual(['db1']);
  });

  it('I-05: alias pointing to two targets is an error', () => {
    const text = 'targets:\n  - uri: db1\n    alias: db\n  - uri: db2\n    alias: db\n';
    expect(errorOf(text).message).toBe("inventory.yaml:5: targets[1].alias: alias 'db' refers to two targets: 'db1' and 'db2'");
  });

  it('I-07: unknown transport lists the valid ones', () => {
    expect(errorOf('config:\n  transport: telnet\n').message).toBe(
      'inventory.yaml:2: config.transport: unknown transport string "telnet"; valid transports are: docker, jail, local, lxd, pcp, podman, remote, ssh, winrm',
    );
  });

  it('I-07: unknown config key and unknown ssh/winrm/local option are errors naming the key', () => {
    expect(errorOf('config:\n  sshh: {}\n').message).toMatch(/^inventory.yaml:2: config.sshh: unknown key 'sshh' in config; valid keys are: transport, docker,/);
    expect(errorOf('config:\n  ssh:\n    host_key_check: false\n').message).toMatch(/^inventory.yaml:3: config.ssh.host_key_check: unknown key 'host_key_check' in ssh config; valid keys are: batch-mode, /);
    expect(errorOf('config:\n  winrm:\n    private-key: x\n').message).toMatch(/^inventory.yaml:3: config.winrm.private-key: unknown key 'private-key' in winrm config/);
    expect(errorOf('config:\n  local:\n    user: x\n').message).toMatch(/^inventory.yaml:3: config.local.user: unknown key 'user' in local config/);
  });

  it('I-07: option types and enums are checked', () => {
    expect(errorOf('config:\n  ssh:\n    login-shell: fish\n').message).toBe('inventory.yaml:3: config.ssh.login-shell: must be one of sh, bash, zsh, dash, ksh, powershell, not string "fish"');
    expect(errorOf('config:\n  ssh:\n    host-key-check: "no"\n').message).toMatch(/config.ssh.host-key-check: must be a boolean/);
    expect(errorOf('config:\n  ssh:\n    private-key: {path: x}\n').message).toMatch(/config.ssh.private-key: must be a path to a private key file or a map with 'key-data'/);
    expect(errorOf('config:\n  winrm:\n    file-protocol: ftp\n').message).toMatch(/config.winrm.file-protocol: must be one of winrm, smb/);
    // other transports' hashes are passed through
    expect(loadInventory({ text: 'config:\n  docker:\n    service-url: x\n', name: 'i' }).targetNames()).toEqual([]);
  });

  it('I-12: _plugin references are rejected naming the key', () => {
    const text = 'targets:\n  - uri: a\n    config:\n      ssh:\n        password:\n          _plugin: env_var\n          var: PW\n';
    expect(errorOf(text).message).toBe(
      "inventory.yaml:6: targets[0].config.ssh.password._plugin: plugins are not supported yet (plugin 'env_var' at 'targets[0].config.ssh.password')",
    );
    expect(errorOf('groups:\n  - _plugin: yaml\n    filepath: x\n').message).toMatch(/^inventory.yaml:2: groups\[0\]._plugin: plugins are not supported yet/);
  });

  it('data sources without text still name the key path', () => {
    expect(() => loadInventory({ data: { targets: 5 }, name: 'BOLT_INVENTORY' })).toThrow('BOLT_INVENTORY: targets: must be an array, not number 5');
    expect(() => loadInventory({ data: [1], name: 'x' })).toThrow('the inventory must be a map');
  });

  it('I-10: inventory from env text (BOLT_INVENTORY content)', () => {
    const inv = loadInventory({ text: '{"targets": ["foo"]}', name: 'BOLT_INVENTORY' });
    expect(inv.source).toBe('BOLT_INVENTORY');
    expect(inv.getTargets('all').map((t) => t.name)).toEqual(['foo']);
  });

  it('errors are RivetErrors with kind and details', () => {
    const err = errorOf('targets: 5\n');
    expect(isRivetError(err)).toBe(true);
    expect(err.toJSON()).toMatchObject({ kind: 'bolt.inventory/validation-error', details: { file: 'inventory.yaml', line: 1, key: 'targets' } });
  });

  it('loads the basic fixture', () => {
    expect(loadInventory({ path: fixture('basic.yaml') }).groupNames()).toEqual(['all', 'linux', 'db', 'windows', 'lo']);
  });
});

describe('YAML dialect', () => {
  it('like Bolt (Psych): yes/no/on/off booleans and << merge keys; y/n stay strings', () => {
    const inv = loadInventory({
      text: 'vars:\n  common: &common {user: deploy, host-key-check: no}\nconfig:\n  ssh:\n    <<: *common\n    port: 2222\n',
      name: 'inventory.yaml',
    });
    expect(inline('vars: {y: n, a: On, b: OFF}\n').getTarget('h').vars).toEqual({ y: 'n', a: true, b: false });
    expect(inv.getTarget('h').config.ssh).toEqual({ user: 'deploy', 'host-key-check': false, port: 2222 });
  });

  it('a missing file has no source', () => {
    expect(loadInventory({ path: fixture('does-not-exist.yaml') }).source).toBeUndefined();
    expect(loadInventory({ path: fixture('basic.yaml') }).source).toBe(fixture('basic.yaml'));
  });
});

describe('scale (pain point #13)', () => {
  it('I-06: 20k targets in 40 groups load, and a glob resolves only its matches', () => {
    const groups = Array.from({ length: 40 }, (_, g) => ({
      name: `g${g}`,
      vars: { g },
      config: { ssh: { port: 2000 + g } },
      targets: Array.from({ length: 500 }, (_, t) => `h${g}-${t}.example.com`),
    }));
    const inv = loadInventory({ data: { groups }, name: 'big' });
    const globbed = inv.getTargets('h3-*');
    expect(globbed).toHaveLength(500);
    // Lazy (issue 13): the glob resolved its 500 targets only, each walking all → g3.
    expect(inv.resolutionStats()).toEqual({ resolved: globbed.map((t) => t.name), groupsVisited: 1000, copied: 500 });
    expect(inv.getTargets('all')).toHaveLength(20000);
    expect(inv.getTarget('h39-499.example.com').port).toBe(2039);
  });
});
