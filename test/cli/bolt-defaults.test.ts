/**
 * bolt-defaults.yaml (I-23): Bolt's settings for every project, from
 * `~/.puppetlabs/etc/bolt/bolt-defaults.yaml` (here under a temporary HOME), below the project
 * file; `inventory-config` is transport config below the inventory's and the CLI flags'.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

async function homeWith(defaults: string): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'rivet-home-'));
  await mkdir(join(home, '.puppetlabs', 'etc', 'bolt'), { recursive: true });
  await writeFile(join(home, '.puppetlabs', 'etc', 'bolt', 'bolt-defaults.yaml'), defaults);
  return home;
}

interface Detail {
  targets: { name: string; config: { ssh?: Record<string, unknown> } }[];
}

describe('bolt-defaults.yaml (I-23)', () => {
  it('I-23: inventory-config, save-rerun and disable-warnings apply to every project, below the project file, the inventory and the flags', async () => {
    const HOME = await homeWith(['inventory-config:', '  ssh:', '    user: deploy', '    port: 2222', 'save-rerun: false', 'disable-warnings: [cli_overrides]', ''].join('\n'));
    const cwd = await makeProject({
      'rivet-project.yaml': 'name: def\n',
      'inventory.yaml': ['targets:', '  - web1', '  - uri: web2', '    config:', '      ssh:', '        port: 22', '  - name: box', '    config:', '      transport: local', ''].join('\n'),
    });
    const shown = await rivet(['inventory', 'show', '-t', 'web1,web2', '--detail', '--format', 'json'], { cwd, env: { HOME, RIVET_DEFAULTS_DIRS: undefined } });
    expect(shown.stderr).toBe('');
    const ssh = Object.fromEntries(shown.json<Detail>().targets.map((t) => [t.name, t.config.ssh]));
    expect(ssh['web1']).toMatchObject({ user: 'deploy', port: 2222 });
    expect(ssh['web2']).toMatchObject({ user: 'deploy', port: 22 }); // the inventory wins

    // save-rerun: false: no record; disable-warnings: the cli_overrides warning is silenced.
    const run = await rivet(['command', 'run', 'true', '-t', 'box', '--user', 'me'], { cwd, env: { HOME, RIVET_DEFAULTS_DIRS: undefined } });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(existsSync(join(cwd, '.rivet', 'rerun.json'))).toBe(false);

    // The project file beats the defaults file.
    await writeFile(join(cwd, 'rivet-project.yaml'), 'name: def\nsave-rerun: true\n');
    expect((await rivet(['command', 'run', 'true', '-t', 'box'], { cwd, env: { HOME, RIVET_DEFAULTS_DIRS: undefined } })).code).toBe(0);
    expect(existsSync(join(cwd, '.rivet', 'rerun.json'))).toBe(true);
  });

  it("I-23: unknown keys, project-only keys and top-level transport config are ignored with Bolt's warning ids", async () => {
    const HOME = await homeWith(['bogus: 1', 'modulepath: [mods]', 'ssh:', '  user: root', 'concurrency: 4', ''].join('\n'));
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: def\n', 'inventory.yaml': 'targets:\n  - name: box\n    config:\n      transport: local\n' });
    const r = await rivet(['command', 'run', 'true', '-t', 'box'], { cwd, env: { HOME, RIVET_DEFAULTS_DIRS: undefined } });
    expect(r.code).toBe(0);
    const file = join(HOME, '.puppetlabs', 'etc', 'bolt', 'bolt-defaults.yaml');
    expect(r.stderr).toContain(`${file}:1: bogus: unknown option 'bogus'; ignored [ID: unknown_option]`);
    expect(r.stderr).toContain(`${file}:2: modulepath: 'modulepath' is project configuration: set it in the project file; ignored [ID: unsupported_project_config]`);
    expect(r.stderr).toContain(`${file}:3: ssh: transport config belongs under 'inventory-config'`);
    expect(r.stderr).toContain('[ID: unsupported_inventory_config]');
  });

  it('I-23: a bad value, or a bad transport option under inventory-config, is an error naming the file and key; nothing runs', async () => {
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: def\n', 'inventory.yaml': 'targets:\n  - name: box\n    config:\n      transport: local\n' });
    const bad = await rivet(['command', 'run', 'touch ran', '-t', 'box'], { cwd, env: { HOME: await homeWith('concurrency: many\n'), RIVET_DEFAULTS_DIRS: undefined } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bolt-defaults\.yaml:1.*concurrency.*must be a positive integer/);
    const option = await rivet(['command', 'run', 'touch ran', '-t', 'box'], { cwd, env: { HOME: await homeWith('inventory-config:\n  ssh:\n    privat-key: /k\n'), RIVET_DEFAULTS_DIRS: undefined } });
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/bolt-defaults\.yaml:1 inventory-config.*privat-key/);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  });

  it('I-23: the system and user files merge as Bolt merges config layers (inventory-config deep, disable-warnings joined); RIVET_DEFAULTS_DIRS names the directories', async () => {
    const system = await mkdtemp(join(tmpdir(), 'rivet-etc-'));
    const user = await mkdtemp(join(tmpdir(), 'rivet-user-'));
    await writeFile(join(system, 'bolt-defaults.yaml'), 'inventory-config:\n  ssh:\n    user: sys\n    port: 2222\ndisable-warnings: [unknown_option]\n');
    await writeFile(join(user, 'bolt-defaults.yaml'), 'inventory-config:\n  ssh:\n    user: me\ndisable-warnings: [cli_overrides]\nbogus: 1\n');
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: def\n', 'inventory.yaml': 'targets:\n  - web1\n' });
    const shown = await rivet(['inventory', 'show', '-t', 'web1', '--detail', '--format', 'json'], { cwd, env: { RIVET_DEFAULTS_DIRS: [system, user].join(delimiter) } });
    expect(shown.stderr).toBe(''); // the user file's unknown key is silenced by the system file's list (joined)
    expect(shown.json<Detail>().targets[0]!.config.ssh).toMatchObject({ user: 'me', port: 2222 });
  });

  it('I-23: a directory in place of the file, or a YAML error, is an error naming the file', async () => {
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: def\n', 'inventory.yaml': 'targets:\n  - name: box\n    config:\n      transport: local\n' });
    const dir = await mkdtemp(join(tmpdir(), 'rivet-etc-'));
    await mkdir(join(dir, 'bolt-defaults.yaml'));
    const isDir = await rivet(['command', 'run', 'touch ran', '-t', 'box'], { cwd, env: { RIVET_DEFAULTS_DIRS: dir } });
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toContain(join(dir, 'bolt-defaults.yaml'));
    expect(isDir.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const yaml = await rivet(['command', 'run', 'touch ran', '-t', 'box'], { cwd, env: { HOME: await homeWith('concurrency: [1\n'), RIVET_DEFAULTS_DIRS: undefined } });
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toContain('bolt-defaults.yaml');
    expect(yaml.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  });

  it('I-23: module-install and log are checked inside as in the project file (a misspelt forge key is an error, not installs from the public Forge)', async () => {
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: def\n', 'inventory.yaml': 'targets:\n  - name: box\n    config:\n      transport: local\n' });
    const forge = await rivet(['command', 'run', 'touch ran', '-t', 'box'], { cwd, env: { HOME: await homeWith('module-install:\n  forge:\n    base_url: https://forge.example\n'), RIVET_DEFAULTS_DIRS: undefined } });
    expect(forge.code).toBe(2);
    expect(forge.stderr).toMatch(/bolt-defaults\.yaml:3.*unknown key 'base_url' in module-install\.forge/);
    const level = await rivet(['command', 'run', 'touch ran', '-t', 'box'], { cwd, env: { HOME: await homeWith('log:\n  console:\n    level: loud\n'), RIVET_DEFAULTS_DIRS: undefined } });
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/bolt-defaults\.yaml:3.*level.*must be one of/);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  });
});
