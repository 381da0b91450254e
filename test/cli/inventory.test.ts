/**
 * `rivet inventory show` against Bolt's document and inventories from Bolt's documentation
 * (groups 6 and 7 of issue 10). Bolt references: lib/bolt/application.rb `show_inventory`,
 * lib/bolt/outputter/json.rb `print_targets`/`print_target_info`, lib/bolt/inventory/target.rb.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

describe('rivet inventory show --format json (C-14)', () => {
  it("C-14: prints Bolt's document: adhoc, inventory {count, targets, file, default}, targets, count", async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n', 'inventory.yaml': 'targets: [web1, web2]\n' });
    const r = await rivet(['inventory', 'show', '-t', 'web2,newhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${JSON.stringify(
        {
          adhoc: { count: 1, targets: ['newhost'] },
          inventory: { count: 1, targets: ['web2'], file: join(cwd, 'inventory.yaml'), default: join(cwd, 'inventory.yaml') },
          targets: ['web2', 'newhost'],
          count: 2,
        },
        null,
        2,
      )}\n`,
    );
  });

  it('C-14: with no inventory file, file is the default file', async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n' });
    const out = (await rivet(['inventory', 'show', '--format', 'json'], { cwd })).json<{ inventory: Record<string, unknown> }>();
    expect(out.inventory).toEqual({ count: 0, targets: [], file: join(cwd, 'inventory.yaml'), default: join(cwd, 'inventory.yaml') });
  });
});

describe('rivet group show (C-14)', () => {
  it('lists every group, and has no --targets (it filters nothing, as in Bolt)', async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n', 'inventory.yaml': 'groups:\n  - name: web\n    targets: [web1]\n  - name: db\n    targets: [db1]\n' });
    const r = await rivet(['group', 'show', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ count: 3, groups: ['all', 'web', 'db'] });
    expect((await rivet(['group', 'show', '--help'], { cwd })).stdout).not.toContain('--targets');
    const filtered = await rivet(['group', 'show', '-t', 'db'], { cwd });
    expect(filtered.code).toBe(2);
    expect(filtered.stderr).toContain("unknown option '-t'");
  });
});

describe("inventories from Bolt's documentation load (I-02, I-04)", () => {
  it('I-04: a target with only a name (bolt_inventory_reference.md) is listed under its name', async () => {
    const cwd = await makeProject({ 'inventory.yaml': 'targets:\n  - name: database\n' });
    const r = await rivet(['inventory', 'show', '--detail', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<{ targets: unknown[] }>().targets).toEqual([
      {
        name: 'database',
        uri: null,
        alias: [],
        config: { transport: 'ssh', ssh: { 'batch-mode': true, cleanup: true, 'connect-timeout': 10, 'disconnect-timeout': 5, 'load-config': true, 'login-shell': 'bash', tty: false } },
        vars: {},
        features: [],
        facts: {},
        plugin_hooks: {},
        groups: ['all'],
      },
    ]);
  });

  it("I-04: running on a name-only ssh target fails that target with Bolt's 'does not have a host' (ssh/connection.rb)", async () => {
    const cwd = await makeProject({ 'inventory.yaml': 'targets:\n  - name: database\n' });
    const r = await rivet(['command', 'run', 'true', '-t', 'database', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    const item = r.json<{ items: { object: unknown; value: { _error: unknown } }[] }>().items[0]!;
    expect(item.object).toBeNull();
    expect(item.value._error).toMatchObject({ kind: 'bolt/validation-error', msg: 'Target database does not have a host' });
  });

  it("I-02: a top-level name (inventory_files.md) loads with Bolt's warning on stderr", async () => {
    const cwd = await makeProject({ 'inventory.yaml': 'name: vegetables\ntargets:\n  - uri: carrot.example.org\n    name: carrot\n' });
    const r = await rivet(['inventory', 'show', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<{ targets: string[] }>().targets).toEqual(['carrot']);
    expect(r.stderr).toContain("Top-level group 'vegetables' cannot specify a name, using 'all' instead.");
  });
});

describe('the localhost target (I-08)', () => {
  it('I-08: group-level transport: ssh does not apply to localhost; --detail shows local and its defaults', async () => {
    const cwd = await makeProject({
      'inventory.yaml': 'groups:\n  - name: nodes\n    config:\n      transport: ssh\n      ssh: {user: root}\n    targets: [localhost, web1]\n',
    });
    const r = await rivet(['inventory', 'show', '--detail', '--format', 'json'], { cwd });
    const targets = r.json<{ targets: { name: string; config: Record<string, unknown> }[] }>().targets;
    expect(targets.find((t) => t.name === 'localhost')!.config).toEqual({ transport: 'local', local: { cleanup: true } });
    expect(targets.find((t) => t.name === 'web1')!.config).toMatchObject({ transport: 'ssh', ssh: { user: 'root' } });
    const run = await rivet(['command', 'run', 'echo here', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(run.code).toBe(0);
    expect(run.json<{ items: { value: { stdout: string } }[] }>().items[0]!.value.stdout).toBe('here\n');
  });
});
