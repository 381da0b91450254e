import { describe, it, expect } from 'vitest';
import { stringify } from 'yaml';
import { generateInventory } from '../../bench/inventory.ts';
import { parseBenchArgs } from '../../bench/run.ts';
import { loadInventory } from '../../src/runtime/inventory/index.ts';

describe('npm run bench -- inventory', () => {
  it('parses the inventory mode and its options', () => {
    const parsed = parseBenchArgs(['inventory', '--inventory-targets', '500', '--rounds', '2']);
    expect(parsed.mode).toBe('inventory');
    expect(parsed.inventory).toEqual({ targets: 500, rounds: 2 });
    expect(parseBenchArgs(['inventory']).inventory.targets).toBe(10_000);
  });

  it('the generated inventory loads, and the measured specs select what the table says', () => {
    const inv = loadInventory({ text: stringify(generateInventory(1000)), name: 'inventory.yaml' });
    expect(inv.getTargets('all')).toHaveLength(1000);
    // Targets written as URIs are named by them (ssh://deploy@...), so the glob misses those 30.
    expect(inv.getTargets('dc3-rack*', { cli: true })).toHaveLength(70);
    expect(inv.getTargets('dc7_rack2')).toHaveLength(10);
  });
});
