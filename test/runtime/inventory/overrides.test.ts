import { describe, it, expect } from 'vitest';
import { loadInventory, applyOverrides, overridesToConfig, mergeConfigLayers } from '../../../src/runtime/inventory/index.ts';

const text =
  'config:\n  ssh:\n    user: inventory-user\n' +
  'groups:\n  - name: g\n    targets:\n      - a\n      - uri: ssh://uriuser@b\n      - uri: c\n        config: {transport: winrm}\n';

describe('CLI overrides (I-11)', () => {
  it('I-11: flags map to kebab-case options of every transport that knows them', () => {
    expect(overridesToConfig({ user: 'u', tmpdir: '/var/tmp', hostKeyCheck: false, runAs: 'root', transport: 'winrm' })).toEqual({
      transport: 'winrm',
      ssh: { user: 'u', tmpdir: '/var/tmp', 'host-key-check': false, 'run-as': 'root' },
      winrm: { user: 'u', tmpdir: '/var/tmp' },
      local: { tmpdir: '/var/tmp', 'run-as': 'root' },
    });
    expect(() => overridesToConfig({ transport: 'telnet' })).toThrow("unknown transport 'telnet' for --transport");
  });

  it('I-11: mergeConfigLayers is pure and later layers win', () => {
    const low = { ssh: { user: 'a', port: 22 } };
    expect(mergeConfigLayers(low, { ssh: { user: 'b' } })).toEqual({ ssh: { user: 'b', port: 22 } });
    expect(low).toEqual({ ssh: { user: 'a', port: 22 } });
  });

  it('I-11: inventory config beats CLI flags; URI parts beat both; Bolt warns cli_overrides', () => {
    const base = loadInventory({ text, name: 'inventory.yaml' });
    const { inventory, warnings } = applyOverrides(base, { user: 'cli-user', password: 'pw', connectTimeout: 3 });
    expect(inventory.getTarget('a')).toMatchObject({ user: 'inventory-user', password: 'pw' });
    expect(inventory.getTarget('a').config.ssh).toMatchObject({ 'connect-timeout': 3 });
    expect(inventory.getTarget('ssh://uriuser@b').user).toBe('uriuser');
    expect(inventory.getTarget('c')).toMatchObject({ transport: 'winrm', user: 'cli-user' });
    expect(warnings).toEqual(['CLI arguments ["user","password","connect-timeout"] might be overridden by Inventory: inventory.yaml [ID: cli_overrides]']);
    // the original inventory is untouched
    expect(base.getTarget('c').user).toBeUndefined();
  });

  it('I-11: --transport applies where the inventory sets none; ad-hoc targets get the flags', () => {
    const { inventory } = applyOverrides(loadInventory({ text: '', name: 'inventory.yaml' }), { transport: 'winrm', user: 'Administrator' });
    expect(inventory.getTarget('win9')).toMatchObject({ transport: 'winrm', port: 5986, user: 'Administrator' });
    expect(inventory.getTarget('localhost').transport).toBe('local');
  });

  it('I-11: no warning without overrides', () => {
    expect(applyOverrides(loadInventory({ text, name: 'inventory.yaml' }), {}).warnings).toEqual([]);
  });
});
