import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { ErrorKind, RivetError, type Target } from '../../../src/core/index.ts';
import { loadInventory, REDACTED, type Inventory } from '../../../src/runtime/inventory/index.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/inventory/${name}`, import.meta.url));
const basic = (): Inventory => loadInventory({ path: fixture('basic.yaml') });
const names = (targets: Target[]): string[] => targets.map((t) => t.name);
const inline = (text: string): Inventory => loadInventory({ text, name: 'inventory.yaml' });

function thrown(fn: () => unknown): RivetError {
  try {
    fn();
  } catch (error) {
    return error as RivetError;
  }
  throw new Error('expected an error');
}

describe('target resolution (I-13, I-14, P-22)', () => {
  it('I-14: group names expand to their targets, including subgroups', () => {
    expect(names(basic().getTargets('linux'))).toEqual(['web1.example.com', 'web2', 'db1.example.com']);
    expect(names(basic().getTargets('db'))).toEqual(['db1.example.com', 'web2']);
  });

  it('I-17: all = every inventory target', () => {
    expect(names(basic().getTargets('all'))).toEqual(['v6', 'web1.example.com', 'web2', 'db1.example.com', 'win1', 'localhost']);
  });

  it('I-14: target names and aliases', () => {
    const inv = basic();
    expect(names(inv.getTargets('web2'))).toEqual(['web2']);
    expect(names(inv.getTargets('w2 second'))).toEqual(['web2']);
  });

  it('P-22: results are unique and in order; arrays and Target objects are accepted', () => {
    const inv = basic();
    const win = inv.getTarget('win1');
    expect(names(inv.getTargets(['db', 'linux', win, ['w2']]))).toEqual(['db1.example.com', 'web2', 'web1.example.com', 'win1']);
  });

  it('I-14: globs match target names, aliases and group names, case-insensitively', () => {
    const inv = basic();
    expect(names(inv.getTargets('WEB*'))).toEqual(['web1.example.com', 'web2']);
    expect(names(inv.getTargets('secon?'))).toEqual(['web2']);
    expect(names(inv.getTargets('window[s]'))).toEqual(['win1']);
    expect(names(inv.getTargets('db[0-9].*'))).toEqual(['db1.example.com']);
  });

  it('I-15: {a,b} only on the CLI', () => {
    const inv = basic();
    expect(names(inv.getTargets('{win1,v6}', { cli: true }))).toEqual(['v6', 'win1']);
    expect(() => inv.getTargets('{win1,v6}')).toThrow('Found 0 targets matching wildcard pattern {win1');
  });

  it('I-14: a glob matching nothing is a wildcard error', () => {
    const err = thrown(() => basic().getTargets('nothing*'));
    expect(err).toBeInstanceOf(RivetError);
    expect(err.kind).toBe(ErrorKind.WildcardError);
    expect(err.kind).toBe('bolt.inventory/wildcard-error');
    expect(err.message).toBe('Found 0 targets matching wildcard pattern nothing*');
  });

  it('I-14: a URI with a scheme and glob characters is a literal target', () => {
    const inv = basic();
    const [t] = inv.getTargets('ssh://[::1]:2200');
    expect(t).toMatchObject({ name: 'ssh://[::1]:2200', host: '::1', port: 2200, transport: 'ssh' });
  });

  it('P-22: unknown names become ad-hoc targets added to all', () => {
    const inv = basic();
    const [t] = inv.getTargets('winrm://admin:p%40ss@newbox');
    expect(t).toMatchObject({ transport: 'winrm', host: 'newbox', user: 'admin', password: 'p@ss', port: 5986, groups: ['all'] });
    expect(inv.isAdhoc(t!)).toBe(true);
    expect(names(inv.getTargets('all'))).toContain('winrm://admin:p%40ss@newbox');
  });

  it('P-23: getTarget returns exactly one target', () => {
    const inv = basic();
    expect(inv.getTarget('second').name).toBe('web2');
    expect(() => inv.getTarget('linux')).toThrow("'linux' refers to 3 targets");
    expect(() => inv.getTarget('web1.example.com,win1')).toThrow("'web1.example.com,win1' refers to 2 targets");
  });
});

describe('config merging (I-06..I-09, I-16)', () => {
  it('I-06: child group beats parent, target beats group; vars/facts/features merged', () => {
    const web2 = basic().getTarget('web2');
    expect(web2.config.ssh).toEqual({ user: 'other', 'host-key-check': false, port: 2200 });
    expect(web2.vars).toEqual({ env: 'prod', role: 'db' });
    expect(web2.facts).toEqual({ os: { family: 'Linux', release: '9' } });
    expect(web2.features).toEqual(['bash']);
    expect(web2.groups).toEqual(['all', 'linux', 'db']);
  });

  it('I-16: URI parts beat config; percent-decoded user/password', () => {
    const web2 = basic().getTarget('web2');
    expect(web2).toMatchObject({ user: 'deploy', password: 's@cret', port: 2222, host: 'web2.example.com', transport: 'ssh' });
  });

  it('I-06: earlier sibling group wins; the same target in several groups is one target', () => {
    const inv = inline(
      'groups:\n  - name: a\n    vars: {x: a, onlya: 1}\n    config: {ssh: {user: ua}}\n    targets: [h]\n' +
        '  - name: b\n    vars: {x: b, onlyb: 2}\n    config: {ssh: {user: ub, port: 2}}\n    targets: [h]\n',
    );
    const h = inv.getTarget('h');
    expect(h.vars).toEqual({ x: 'a', onlya: 1, onlyb: 2 });
    expect(h).toMatchObject({ user: 'ua', port: 2 });
    expect(inv.targetNames()).toEqual(['h']);
    expect(h.groups).toEqual(['all', 'a', 'b']);
  });

  it('I-06: a target defined twice merges its definitions, first value wins', () => {
    const inv = inline(
      'groups:\n  - name: a\n    targets:\n      - name: h\n        uri: h1\n        vars: {x: 1}\n' +
        '  - name: b\n    targets:\n      - name: h\n        vars: {x: 2, y: 2}\n        alias: hh\n',
    );
    expect(inv.getTarget('hh')).toMatchObject({ name: 'h', host: 'h1', vars: { x: 1, y: 2 }, alias: ['hh'] });
  });

  it('I-07: transport defaults to ssh (port left to ssh_config, then 22); winrm ports follow ssl', () => {
    const inv = inline('targets:\n  - a\n  - winrm://b\n  - uri: c\n    config: {transport: winrm, winrm: {ssl: false}}\n');
    expect(inv.getTarget('a')).toMatchObject({ transport: 'ssh', port: undefined, host: 'a', user: undefined });
    expect(inv.getTarget('winrm://b')).toMatchObject({ transport: 'winrm', port: 5986 });
    expect(inv.getTarget('c')).toMatchObject({ transport: 'winrm', port: 5985 });
    expect(basic().getTarget('win1')).toMatchObject({ host: '10.0.0.7', port: 5985, user: 'Administrator', password: 'hunter2' });
  });

  it('I-08: localhost uses the local transport unless the inventory says otherwise', () => {
    const inv = basic();
    expect(inv.getTarget('localhost')).toMatchObject({ transport: 'local', port: undefined });
    expect(inline('targets: [x]\n').getTarget('localhost').transport).toBe('local');
    expect(inline('targets:\n  - uri: localhost\n    config: {transport: ssh}\n').getTarget('localhost').transport).toBe('ssh');
  });

  // Bolt: lib/bolt/inventory/target.rb Target#initialize deep-merges {config: {transport: local}}
  // under the target's own data, and #transport reads the target's config before the groups'.
  it('I-08: localhost gets transport local as its own config: group and top-level transport: ssh do not apply', () => {
    const inv = inline('config: {transport: ssh}\ngroups:\n  - name: g\n    config: {transport: ssh, ssh: {user: admin}}\n    targets: [localhost, web]\n');
    expect(inv.getTarget('localhost').transport).toBe('local');
    expect(inv.getTarget('web').transport).toBe('ssh');
    expect(inline('config: {transport: ssh}\n').getTarget('localhost').transport).toBe('local'); // ad hoc
    expect(inv.targetDetail('localhost')).toMatchObject({ name: 'localhost', uri: 'localhost', config: { transport: 'local', local: { cleanup: true } }, groups: ['all', 'g'] });
    // A URI scheme still wins (Target#transport), and so does the target's own config.
    expect(inline('targets: [ssh://localhost:2222]\n').getTarget('ssh://localhost:2222').transport).toBe('ssh');
    expect(inline('targets:\n  - name: localhost\n    config: {transport: ssh, ssh: {host: 127.0.0.1}}\n').getTarget('localhost').transport).toBe('ssh');
    // Target.new (add_target) goes through the same constructor.
    const added = inline('config: {transport: ssh}\n').addTarget({ name: 'localhost', vars: { x: 1 } });
    expect(added.transport).toBe('local');
  });

  it('I-09: ad-hoc targets get the all group config, vars and facts', () => {
    const t = basic().getTarget('adhoc.example.com');
    expect(t).toMatchObject({ user: 'root', port: undefined, vars: { env: 'prod' }, facts: { os: { family: 'Linux' } }, groups: ['all'] });
    expect(t.config.ssh).toEqual({ user: 'root', 'host-key-check': false });
  });

  it('I-07: an unknown URI scheme is an error', () => {
    expect(() => basic().getTargets('telnet://x')).toThrow(/unknown transport "telnet" for target 'telnet:\/\/x'/);
  });

  it('targets are snapshots: editing one does not change the inventory', () => {
    const inv = basic();
    inv.getTarget('web2').vars['role'] = 'changed';
    expect(inv.getTarget('web2').vars['role']).toBe('db');
  });
});

describe('plan-side mutation (P-24, P-25)', () => {
  it('P-25: setVar (key or map) and vars()', () => {
    const inv = basic();
    inv.setVar('web2', 'role', 'primary');
    inv.setVar(inv.getTarget('web2'), { tier: 1 });
    expect(inv.vars('web2')).toEqual({ env: 'prod', role: 'primary', tier: 1 });
    expect(inv.vars('db1.example.com')['role']).toBe('db');
  });

  it('P-25: addFacts deep-merges', () => {
    const inv = basic();
    inv.addFacts('web2', { os: { name: 'Rocky' }, kernel: 'Linux' });
    expect(inv.facts('web2')).toEqual({ os: { family: 'Linux', release: '9', name: 'Rocky' }, kernel: 'Linux' });
  });

  it('P-25: setFeature on and off', () => {
    const inv = basic();
    expect(inv.setFeature('win1', 'powershell').features).toEqual(['powershell']);
    expect(inv.setFeature('web2', 'bash', false).features).toEqual([]);
  });

  it('P-25: setConfig with a key path changes the resolved connection', () => {
    const inv = basic();
    const t = inv.setConfig('web1.example.com', ['ssh', 'port'], 2022);
    expect(t.port).toBe(2022);
    expect(inv.setConfig('web1.example.com', 'transport', 'winrm').transport).toBe('winrm');
    expect(inv.setConfig('web1.example.com', [], { transport: 'local' }).transport).toBe('local');
  });

  it('P-25: addToGroup needs an existing group and applies its data', () => {
    const inv = basic();
    const [t] = inv.addToGroup('newhost', 'db');
    expect(t).toMatchObject({ name: 'newhost', vars: { env: 'prod', role: 'db' }, port: 2200, user: 'admin' });
    expect(names(inv.getTargets('db'))).toContain('newhost');
    expect(() => inv.addToGroup('newhost', 'nope')).toThrow('Group nope does not exist in inventory');
  });

  it('P-25: removeFromGroup removes from the group and its subgroups, never from all', () => {
    const inv = basic();
    inv.removeFromGroup('web2', 'linux');
    expect(names(inv.getTargets('linux'))).toEqual(['web1.example.com', 'db1.example.com']);
    expect(inv.getTarget('web2').groups).toEqual(['all']);
    expect(() => inv.removeFromGroup('web2', 'all')).toThrow("Cannot remove Target from Group 'all'");
    expect(() => inv.removeFromGroup('linux', 'db')).toThrow("'remove_from_group' expects a single Target, got 2");
  });

  it('P-24: addTarget replaces a same-named target and checks alias conflicts', () => {
    const inv = basic();
    const t = inv.addTarget({ name: 'web2', uri: 'ssh://other-host', vars: { mine: true } });
    expect(t).toMatchObject({ host: 'other-host', user: 'admin' }); // its own config (user: other) was replaced
    expect(t.vars).toEqual({ env: 'prod', role: 'db', mine: true });
    expect(inv.getTargets('w2')).toHaveLength(1); // alias w2 was dropped: now an ad-hoc name
    expect(inv.getTarget('w2').name).toBe('w2');
    expect(() => inv.addTarget({ uri: 'x', alias: 'linux' })).toThrow('Alias linux conflicts with group of the same name');
    expect(() => inv.addTarget({ name: 'db', uri: 'x' })).toThrow('Target name db conflicts with group of the same name');
  });
});

describe('inventory show (C-14)', () => {
  it('C-14: names split into inventory and adhoc', () => {
    const inv = basic();
    expect(inv.show('web2,newhost,ssh://u:pw@h2')).toEqual({
      adhoc: { count: 2, targets: ['newhost', 'ssh://u@h2'] },
      inventory: { count: 1, targets: ['web2'], file: fixture('basic.yaml'), default: null },
      targets: ['web2', 'newhost', 'ssh://u@h2'],
      count: 3,
    });
  });

  // Bolt: lib/bolt/application.rb Application#show_inventory and group_targets_by_source;
  // lib/bolt/outputter/json.rb print_targets.
  it("C-14: Bolt's document: adhoc first, inventory with file and default, inventory targets before ad-hoc ones", () => {
    const shown = basic().show('newhost,web2', { defaultFile: '/p/inventory.yaml' });
    expect(JSON.stringify(shown)).toBe(
      JSON.stringify({
        adhoc: { count: 1, targets: ['newhost'] },
        inventory: { count: 1, targets: ['web2'], file: fixture('basic.yaml'), default: '/p/inventory.yaml' },
        targets: ['web2', 'newhost'],
        count: 2,
      }),
    );
    // No file read: `file` is the default file (`inventory.source || config.default_inventoryfile`).
    const empty = loadInventory({ path: '/nonexistent/inventory.yaml' }).show('all', { defaultFile: '/p/inventory.yaml' });
    expect(empty.inventory).toEqual({ count: 0, targets: [], file: '/p/inventory.yaml', default: '/p/inventory.yaml' });
  });

  // Bolt: lib/bolt/config/transport/{ssh,winrm,local}.rb DEFAULTS, merged by Base#initialize;
  // ssh.rb #validate expands private-key with File.expand_path(key, project).
  it('C-14: --detail shows the transport defaults and expands ~ and relative key paths', () => {
    const inv = loadInventory(
      { text: 'targets:\n  - uri: a\n    config: {ssh: {private-key: ~/.ssh/id_a, connect-timeout: 3}}\n  - uri: b\n    config: {ssh: {private-key: keys/b}}\n', name: 'inventory.yaml' },
      { baseDir: '/proj' },
    );
    const home = process.env['HOME'] ?? '';
    expect(inv.targetDetail('a').config).toEqual({
      transport: 'ssh',
      ssh: { 'batch-mode': true, cleanup: true, 'connect-timeout': 3, 'disconnect-timeout': 5, 'load-config': true, 'login-shell': 'bash', tty: false, 'private-key': `${home}/.ssh/id_a` },
    });
    expect(inv.targetDetail('b').config['ssh']).toMatchObject({ 'private-key': '/proj/keys/b' });
    // The same path reaches the transport.
    expect(inv.getTarget('b').config.ssh).toMatchObject({ 'private-key': '/proj/keys/b' });
    expect(inv.targetDetail('winrm://w').config).toEqual({
      transport: 'winrm',
      winrm: { 'basic-auth-only': false, cleanup: true, 'connect-timeout': 10, ssl: true, 'ssl-verify': true, 'file-protocol': 'winrm' },
    });
  });

  it('C-14: --detail entries; passwords never appear', () => {
    const inv = basic();
    const shown = inv.show('win1,web2,ssh://u:topsecret@h2', { detail: true });
    const text = JSON.stringify(shown);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s%40cret');
    expect(text).not.toContain('topsecret');
    expect(shown.targets[0]).toEqual({
      name: 'win1',
      uri: null,
      alias: [],
      config: {
        transport: 'winrm',
        winrm: { 'basic-auth-only': false, cleanup: true, 'connect-timeout': 10, 'ssl-verify': true, 'file-protocol': 'winrm', user: 'Administrator', password: REDACTED, ssl: false, host: '10.0.0.7' },
      },
      vars: { env: 'prod' },
      features: [],
      facts: { os: { family: 'Linux' } },
      plugin_hooks: {},
      groups: ['all', 'windows'],
    });
    expect(shown.targets[1]).toMatchObject({ name: 'web2', uri: 'ssh://deploy@web2.example.com:2222', alias: ['w2', 'second'] });
  });

  it('I-02/I-04: plugin_hooks are accepted and merged in the detail (target beats group)', () => {
    const inv = inline(
      'plugin_hooks: {puppet_library: {plugin: task, task: a}}\ngroups:\n  - name: g\n    plugin_hooks: {x: {plugin: g}}\n' +
        '    targets:\n      - uri: h\n        plugin_hooks: {x: {plugin: t}}\n',
    );
    expect(inv.targetDetail('h').plugin_hooks).toEqual({ puppet_library: { plugin: 'task', task: 'a' }, x: { plugin: 't' } });
  });

  it('C-14: group show', () => {
    expect(basic().showGroups()).toEqual({ count: 5, groups: ['all', 'linux', 'db', 'windows', 'lo'] });
  });
});
