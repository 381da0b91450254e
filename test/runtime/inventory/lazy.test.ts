/**
 * Issue 13, "Inventory at scale": targets are resolved only when a spec selects them. Counts
 * resolutions through `Inventory#resolutionStats` (no wall-clock budgets).
 */
import { describe, it, expect } from 'vitest';
import { stringify } from 'yaml';
import { loadInventory, type Inventory } from '../../../src/runtime/inventory/index.ts';

/** `regions` × `racks` groups two levels deep, `perRack` targets each, data at every level. */
function generated(regions: number, racks: number, perRack: number): Record<string, unknown> {
  return {
    config: { ssh: { 'host-key-check': false } },
    vars: { env: 'test' },
    groups: Array.from({ length: regions }, (_, r) => ({
      name: `dc${r}`,
      vars: { region: r },
      config: { ssh: { user: `u${r}` } },
      groups: Array.from({ length: racks }, (_, k) => ({
        name: `dc${r}_rack${k}`,
        facts: { rack: k },
        targets: Array.from({ length: perRack }, (_, i) => {
          const name = `dc${r}-rack${k}-node${i}`;
          return i === 0 ? { name, alias: `first${r}x${k}`, config: { ssh: { port: 2200 + k } } } : name;
        }),
      })),
    })),
  };
}

const big = (): Inventory => loadInventory({ text: stringify(generated(5, 4, 10)), name: 'inventory.yaml' });

describe('lazy resolution (issue 13)', () => {
  it('loading resolves no target and copies none out of the model; structure errors still name file:line at load', () => {
    expect(big().resolutionStats()).toEqual({ resolved: [], groupsVisited: 0, copied: 0 });
    const text = stringify(generated(2, 2, 3)).replace('port: 2201', 'port: "abc"');
    expect(() => loadInventory({ text, name: 'inventory.yaml' })).toThrow(/^inventory\.yaml:\d+: groups\[0\]\.groups\[1\]\.targets\[0\]\.config\.ssh\.port: must be an integer port/);
  });

  it('I-14: one group resolves only its members and walks only its branch of the tree', () => {
    const inv = big();
    const targets = inv.getTargets('dc3_rack2');
    expect(targets.map((t) => t.name)).toEqual(Array.from({ length: 10 }, (_, i) => `dc3-rack2-node${i}`));
    const stats = inv.resolutionStats();
    expect(stats.resolved).toEqual(targets.map((t) => t.name));
    // all → dc3 → dc3_rack2 for each of the 10 targets: no other group is visited.
    expect(stats.groupsVisited).toBe(30);
    expect(targets[0]).toMatchObject({ user: 'u3', port: 2202, vars: { env: 'test', region: 3 }, facts: { rack: 2 }, groups: ['all', 'dc3', 'dc3_rack2'] });
  });

  it('I-15: a glob resolves only what it matches; a second request uses the cache', () => {
    const inv = big();
    expect(inv.getTargets('dc1-rack*-node9')).toHaveLength(4);
    expect(inv.resolutionStats().resolved).toEqual(['dc1-rack0-node9', 'dc1-rack1-node9', 'dc1-rack2-node9', 'dc1-rack3-node9']);
    expect(inv.resolutionStats().copied).toBe(4);
    inv.getTargets('dc1-rack0-node9,first1x0');
    expect(inv.resolutionStats().resolved).toHaveLength(5);
  });

  it('C-14: inventory show lists names without resolving; --detail resolves only the selection', () => {
    const inv = big();
    expect(inv.show('all').count).toBe(200);
    expect(inv.show('dc*-rack1-*', { cli: true }).count).toBe(50);
    expect(inv.resolutionStats()).toEqual({ resolved: [], groupsVisited: 0, copied: 0 });
    const detail = inv.show('dc0_rack1', { detail: true });
    expect(detail.count).toBe(10);
    expect(inv.resolutionStats().resolved).toHaveLength(10);
  });

  it('P-25: changing membership is seen by later lookups (group index kept in step)', () => {
    const inv = big();
    inv.addToGroup('dc0-rack0-node1', 'dc4_rack3');
    expect(inv.getTarget('dc0-rack0-node1').groups).toEqual(['all', 'dc0', 'dc0_rack0', 'dc4', 'dc4_rack3']);
    expect(inv.getTargets('dc4_rack3').map((t) => t.name)).toContain('dc0-rack0-node1');
    inv.removeFromGroup('dc0-rack0-node1', 'dc4');
    expect(inv.getTarget('dc0-rack0-node1').groups).toEqual(['all', 'dc0', 'dc0_rack0']);
    expect(inv.getTargets('dc4_rack3').map((t) => t.name)).not.toContain('dc0-rack0-node1');
  });

  it('I-16: an ad-hoc URI with an unknown transport is an error even where nothing is resolved', () => {
    const inv = big();
    expect(() => inv.show('telnet://x', { cli: true })).toThrow(/unknown transport "telnet" for target 'telnet:\/\/x'/);
    expect(inv.targetNames()).not.toContain('telnet://x');
  });

  it('I-16: an unknown transport in a URI is still reported at load with file:line', () => {
    expect(() => loadInventory({ text: 'targets:\n  - web1\n  - telnet://web2\n', name: 'inventory.yaml' })).toThrow(
      /^inventory\.yaml:3: targets\[1\]: unknown transport "telnet" for target 'telnet:\/\/web2'/,
    );
  });
});
