import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ErrorKind, UsageError } from '../../src/core/index.ts';
import { findProject, loadProjectInventory, projectNameFor, readProjectFile } from '../../src/runtime/project.ts';

let root: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'rivet-project-')));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function dir(rel: string): string {
  const path = join(root, rel);
  mkdirSync(path, { recursive: true });
  return path;
}

describe('project discovery (I-20)', () => {
  it('I-20: walks up from the cwd to a bolt-project.yaml', () => {
    write('site/bolt-project.yaml', 'name: site\n');
    const cwd = dir('site/a/b');
    const project = findProject({ cwd, env: {} });
    expect(project).toMatchObject({ dir: join(root, 'site'), name: 'site', file: join(root, 'site/bolt-project.yaml'), origin: 'found' });
  });

  it('I-20: rivet-project.yaml is found too, and preferred over bolt-project.yaml with a warning', () => {
    write('site/rivet-project.yaml', 'name: rivet_one\n');
    write('site/bolt-project.yaml', 'name: bolt_one\n');
    const project = findProject({ cwd: join(root, 'site'), env: {} });
    expect(project.name).toBe('rivet_one');
    expect(project.warnings).toEqual([`both rivet-project.yaml and bolt-project.yaml are in ${join(root, 'site')}; using rivet-project.yaml`]);
  });

  it('I-20: a Boltdir/ is the project directory', () => {
    write('repo/Boltdir/bolt-project.yaml', 'name: embedded\n');
    const project = findProject({ cwd: dir('repo/src'), env: {} });
    expect(project).toMatchObject({ dir: join(root, 'repo/Boltdir'), name: 'embedded', origin: 'found' });
  });

  it('I-20: no project found → the cwd as an unnamed project', () => {
    const cwd = dir('plain');
    const project = findProject({ cwd, env: {} });
    expect(project).toMatchObject({ dir: cwd, name: undefined, file: undefined, origin: 'cwd', config: {} });
    expect(project.inventoryFile).toEqual({ path: join(cwd, 'inventory.yaml'), explicit: false });
  });

  it('I-20: --project beats walking up; env beats --project', () => {
    write('one/bolt-project.yaml', 'name: one\n');
    write('two/bolt-project.yaml', 'name: two\n');
    const cwd = join(root, 'one');
    expect(findProject({ cwd, projectFlag: '../two', env: {} })).toMatchObject({ name: 'two', origin: 'flag' });
    const fromEnv = findProject({ cwd, projectFlag: '../two', env: { BOLT_PROJECT: join(root, 'one') } });
    expect(fromEnv).toMatchObject({ name: 'one', origin: 'env' });
    expect(fromEnv.warnings[0]).toMatch(/--project \.\.\/two is ignored because BOLT_PROJECT is set/);
    expect(findProject({ cwd, env: { RIVET_PROJECT: '../two', BOLT_PROJECT: '.' } }).name).toBe('two');
  });

  it('I-20: a missing --project or env project directory is a usage error naming it', () => {
    expect(() => findProject({ cwd: root, projectFlag: 'nope', env: {} })).toThrow(UsageError);
    expect(() => findProject({ cwd: root, projectFlag: 'nope', env: {} })).toThrow(`--project: could not find project directory '${join(root, 'nope')}'`);
    expect(() => findProject({ cwd: root, env: { RIVET_PROJECT: 'gone' } })).toThrow(/RIVET_PROJECT: could not find project directory/);
  });
});

describe('project paths (I-10, I-21, I-22)', () => {
  it('I-22: modulepath defaults to modules/ with .modules appended; downloads and rerun file', () => {
    const cwd = dir('p');
    const project = findProject({ cwd, env: {} });
    expect(project.modulepath).toEqual([join(cwd, 'modules'), join(cwd, '.modules')]);
    expect(project.downloadsDir).toBe(join(cwd, 'downloads'));
    expect(project.rerunFile).toBe(join(cwd, '.rerun.json'));
  });

  it('I-22: modulepath string or array is relative to the project dir; .modules always last', () => {
    write('p/bolt-project.yaml', 'modulepath: [site-modules, /abs/mods]\n');
    expect(findProject({ cwd: join(root, 'p'), env: {} }).modulepath).toEqual([join(root, 'p/site-modules'), '/abs/mods', join(root, 'p/.modules')]);
    write('q/bolt-project.yaml', 'modulepath: "a:b"\n');
    expect(findProject({ cwd: join(root, 'q'), env: {} }).modulepath).toEqual([join(root, 'q/a'), join(root, 'q/b'), join(root, 'q/.modules')]);
  });

  it('C-05: --modulepath is relative to the cwd and replaces the project modulepath', () => {
    write('p/bolt-project.yaml', 'modulepath: [x]\n');
    const cwd = dir('p/sub');
    expect(findProject({ cwd, modulepathFlag: 'm1:../m2', env: {} }).modulepath).toEqual([join(cwd, 'm1'), join(root, 'p/m2'), join(root, 'p/.modules')]);
  });

  it('I-10: --inventoryfile is explicit and relative to the cwd', () => {
    const cwd = dir('p');
    expect(findProject({ cwd, inventoryFlag: 'inv/prod.yaml', env: {} }).inventoryFile).toEqual({ path: join(cwd, 'inv/prod.yaml'), explicit: true });
  });

  it('I-10: RIVET_INVENTORY / BOLT_INVENTORY hold YAML content; with --inventoryfile it is an error', () => {
    const cwd = dir('p');
    expect(findProject({ cwd, env: { BOLT_INVENTORY: 'targets: [a]' } }).inventoryFile).toEqual({ text: 'targets: [a]', name: 'BOLT_INVENTORY' });
    expect(findProject({ cwd, env: { RIVET_INVENTORY: 'x', BOLT_INVENTORY: 'y' } }).inventoryFile).toEqual({ text: 'x', name: 'RIVET_INVENTORY' });
    expect(() => findProject({ cwd, inventoryFlag: 'i.yaml', env: { BOLT_INVENTORY: 'targets: [a]' } })).toThrow(
      'cannot use --inventoryfile when BOLT_INVENTORY is set',
    );
  });

  it('I-10: loadProjectInventory: env content, missing default (empty), missing explicit (error)', () => {
    const cwd = dir('p');
    expect(loadProjectInventory(findProject({ cwd, env: { BOLT_INVENTORY: 'targets: [a]' } })).targetNames()).toEqual(['a']);
    expect(loadProjectInventory(findProject({ cwd, env: {} })).targetNames()).toEqual([]);
    expect(() => loadProjectInventory(findProject({ cwd, inventoryFlag: 'missing.yaml', env: {} }))).toThrow(
      `${join(cwd, 'missing.yaml')}: the inventory file given with --inventoryfile does not exist`,
    );
    write('p/inventory.yaml', 'targets: [b]\n');
    expect(loadProjectInventory(findProject({ cwd, env: {} })).targetNames()).toEqual(['b']);
  });

  it("I-10: a missing inventory file named by the project file's 'inventoryfile' says so, not --inventoryfile", () => {
    const projectFile = write('named/rivet-project.yaml', 'name: named\ninventoryfile: inv/prod.yaml\n');
    const cwd = dir('named');
    expect(() => loadProjectInventory(findProject({ cwd, env: {} }))).toThrow(
      `${join(cwd, 'inv/prod.yaml')}: the inventory file given with 'inventoryfile' in ${projectFile} does not exist`,
    );
  });
});

describe('project file (I-22)', () => {
  const read = (text: string) => readProjectFile('bolt-project.yaml', text);
  const errorOf = (text: string): ConfigError => {
    try {
      read(text);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).kind).toBe(ErrorKind.Project);
      return error as ConfigError;
    }
    throw new Error('expected an error');
  };

  it('I-22: known keys are kept', () => {
    const text = 'name: site\nconcurrency: 20\nformat: json\ncolor: false\nstream: true\ntypecheck: true\nsave-rerun: false\n' +
      'tasks: [a::b]\nplans: ["site::*"]\ndisable-warnings: [cli_overrides]\nfuture: {file_paths: true}\n' +
      'log: {console: {level: debug}, bolt-debug.log: {append: false}}\nmodules: [puppetlabs-stdlib, {name: puppetlabs/apt, version_requirement: ">= 1.0"}, {git: "https://x/y", ref: main}]\n';
    const { config, warnings } = read(text);
    // C-15: Rivet writes no log file, and says so.
    expect(warnings).toEqual(['bolt-project.yaml:12: log.bolt-debug.log: Rivet writes no log files, so this destination is ignored; use --log-level debug, or --format jsonl for every event [ID: log_file_ignored]']);
    expect(config).toMatchObject({ name: 'site', concurrency: 20, format: 'json', color: false, typecheck: true, tasks: ['a::b'], 'disable-warnings': ['cli_overrides'] });
    expect(config.modules).toHaveLength(3);
  });

  it("C-15: Bolt's 'bolt-debug.log: disable' is accepted silently", () => {
    expect(read('name: site\nlog:\n  bolt-debug.log: disable\n  console:\n    level: info\n').warnings).toEqual([]);
  });

  it('I-22: unknown keys are warnings with file:line, not errors', () => {
    const { config, warnings } = read('name: site\nconcurency: 3\n');
    expect(config).toEqual({ name: 'site' });
    expect(warnings).toEqual(["bolt-project.yaml:2: concurency: unknown key 'concurency' in the project file is ignored [ID: unknown_option]"]);
  });

  it('I-22: transport config in the project file is ignored with a warning', () => {
    const { warnings } = read('name: site\nssh:\n  user: root\ntransport: winrm\n');
    expect(warnings).toEqual([
      "bolt-project.yaml:2: ssh: transport config in the project file is ignored (I-22); put it in inventory.yaml under 'config' [ID: project_transport_config]",
      "bolt-project.yaml:4: transport: transport config in the project file is ignored (I-22); put it in inventory.yaml under 'config' [ID: project_transport_config]",
    ]);
  });

  it('I-22: name must match ^[a-z][a-z0-9_]*$', () => {
    expect(errorOf('name: My-Site\n').message).toBe("bolt-project.yaml:1: name: invalid project name 'My-Site': project names must match ^[a-z][a-z0-9_]*$");
    expect(errorOf('\nname: 5\n').message).toBe('bolt-project.yaml:2: name: must be a string, not number 5');
  });

  it('I-22: type errors name file:line:key', () => {
    expect(errorOf('concurrency: "many"\n').message).toBe('bolt-project.yaml:1: concurrency: must be a positive integer, not string "many"');
    expect(errorOf('name: a\nformat: xml\n').message).toBe('bolt-project.yaml:2: format: must be one of human, json, rainbow, not string "xml"');
    expect(errorOf('modulepath: 5\n').message).toMatch(/^bolt-project.yaml:1: modulepath: must be a string or an array of strings/);
    expect(errorOf('tasks: a\n').message).toMatch(/^bolt-project.yaml:1: tasks: must be an array of strings/);
    expect(errorOf('typecheck: yes please\n').message).toBe('bolt-project.yaml:1: typecheck: must be a boolean, not string "yes please"');
    expect(errorOf('modules:\n  - {name: a, versoin: 1}\n').message).toMatch(/^bolt-project.yaml:2: modules\[0\].versoin: unknown key 'versoin' in a module/);
    expect(errorOf('modules:\n  - git: https://x\n').message).toBe("bolt-project.yaml:2: modules[0].git: a git module needs a 'ref'");
    expect(errorOf('module-install:\n  forge: https://forge.example.com\n').message).toMatch(/^bolt-project.yaml:2: module-install.forge: must be a map with baseurl/);
    expect(errorOf('module-install:\n  forge:\n    base_url: https://x\n').message).toMatch(/^bolt-project.yaml:3: module-install.forge.base_url: unknown key 'base_url' in module-install.forge/);
    expect(errorOf('module-install:\n  forge:\n    baseurl: 5\n').message).toBe('bolt-project.yaml:3: module-install.forge.baseurl: must be a string, not number 5');
    expect(errorOf('module-install:\n  proxy: [a]\n').message).toMatch(/^bolt-project.yaml:2: module-install.proxy: must be a URL string/);
    expect(errorOf('module-install:\n  forj: {}\n').message).toMatch(/^bolt-project.yaml:2: module-install.forj: unknown key 'forj' in module-install; valid keys are: forge, proxy/);
    expect(errorOf('save-rerun: "no"\n').message).toBe('bolt-project.yaml:1: save-rerun: must be a boolean, not string "no"');
    expect(errorOf('log:\n  console:\n    level: loud\n').message).toMatch(/^bolt-project.yaml:3: log.console.level: must be one of trace/);
    expect(errorOf('[1, 2]\n').message).toBe('bolt-project.yaml:1: the project file must be a map, not an array');
  });

  it('I-22: YAML syntax errors name the line; an empty file is an empty config', () => {
    expect(errorOf('name: a\nplans: [x\n').message).toMatch(/^bolt-project.yaml:\d+: YAML syntax error/);
    expect(read('')).toEqual({ config: {}, warnings: [] });
  });

  it('I-22: findProject surfaces project file errors with the real path', () => {
    const file = write('p/bolt-project.yaml', 'name: ok\nconcurrency: 0\n');
    expect(() => findProject({ cwd: join(root, 'p'), env: {} })).toThrow(`${file}:2: concurrency: must be a positive integer, not number 0`);
  });
});

describe('a project without a name (I-22)', () => {
  it("warns that the project's plans and tasks are ignored, suggesting a name from the directory (Bolt's missing_project_name)", () => {
    const file = write('My Site/rivet-project.yaml', 'concurrency: 5\n');
    write('My Site/plans/deploy.ts', '');
    write('My Site/plans/db/backup.ts', '');
    write('My Site/plans/types.gen.ts', '');
    const cwd = join(root, 'My Site');
    expect(findProject({ cwd, env: {} }).warnings).toEqual([
      `${file}: the project has no name, so its plans (plans/db/backup.ts, plans/deploy.ts) are ignored: add 'name: my_site' to run them as my_site::<name> [ID: missing_project_name]`,
    ]);
    write('My Site/tasks/check.sh', '');
    expect(findProject({ cwd, env: {} }).warnings[0]).toMatch(/so its plans \(plans\/db\/backup.ts, plans\/deploy.ts\) and tasks \(tasks\/\) are ignored/);
  });

  it('says nothing with a name, without plans or tasks, without a project file, or with disable-warnings: [missing_project_name]', () => {
    write('named/rivet-project.yaml', 'name: named\n');
    write('named/plans/deploy.ts', '');
    write('empty/rivet-project.yaml', '{}\n');
    dir('empty/plans');
    write('nofile/plans/deploy.ts', '');
    write('quiet/bolt-project.yaml', 'disable-warnings: [missing_project_name]\n');
    write('quiet/plans/deploy.ts', '');
    for (const name of ['named', 'empty', 'nofile', 'quiet']) expect(findProject({ cwd: join(root, name), env: {} }).warnings).toEqual([]);
  });

  it('projectNameFor makes a valid project name from any directory name', () => {
    expect(projectNameFor('My-Site 2')).toBe('my_site_2');
    expect(projectNameFor('café--ops')).toBe('cafe_ops');
    expect(projectNameFor('42_web')).toBe('web');
    expect(projectNameFor('__init__')).toBe('init');
    expect(projectNameFor('2048')).toBe('my_project');
    expect(projectNameFor('日本', 'x')).toBe('x');
  });
});
