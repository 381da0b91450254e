import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRivetError, type RivetError } from '../../../src/core/index.ts';
import { discoverTasks, fullModulepath, listModules, listTasks, loadTask, taskShowData } from '../../../src/runtime/tasks/discovery.ts';

const MODULES = resolve('test/fixtures/modules');
const SHADOW = join(MODULES, '_shadow');
const PROJECT = join(MODULES, '_project');
const DEMO_TASKS = join(MODULES, 'demo', 'tasks');
const BROKEN_TASKS = join(MODULES, 'broken', 'tasks');

async function loadError(name: string, modulepath = [MODULES]): Promise<RivetError> {
  try {
    await loadTask(name, modulepath);
  } catch (error) {
    if (isRivetError(error)) return error;
    throw error;
  }
  throw new Error(`expected ${name} to fail`);
}

describe('task discovery', () => {
  it('T-01..T-03: names, ignored files, init', async () => {
    const errors = new Map<string, RivetError>();
    const tasks = await discoverTasks([MODULES], { onError: (name, error) => errors.set(name, error) });
    const demo = [...tasks.keys()].filter((n) => n === 'demo' || n.startsWith('demo::'));
    expect(demo).toEqual([
      'demo',
      'demo::bad_utf8',
      'demo::deploy',
      'demo::echo_stdin',
      'demo::env_vars',
      'demo::error',
      'demo::fail',
      'demo::fail_silent',
      'demo::fail_stdout',
      'demo::files_task',
      'demo::no_params',
      'demo::noop',
      'demo::private_task',
      'demo::sensitive',
      'demo::service',
      'demo::sql',
      'demo::sql_linux',
      'demo::sql_windows',
      'demo::start',
      'demo::stop',
      'demo::text',
      'demo::unknown_keys',
    ]);
    // README.md, notes.conf, Bad-Name.sh, 1bad.sh, sub/nested.sh are not tasks; _shadow/_project are not modules
    expect([...tasks.keys()].some((n) => /readme|notes|bad-name|1bad|nested|shadow|project/i.test(n))).toBe(false);
    expect([...errors.keys()].every((n) => n.startsWith('broken::'))).toBe(true);
  });

  it('T-03: init.sh is the module task; the executable and metadata are found', async () => {
    const task = await loadTask('demo', [MODULES]);
    expect(task).toMatchObject({
      name: 'demo',
      module: 'demo',
      moduleDir: join(MODULES, 'demo'),
      metadataFile: join(DEMO_TASKS, 'init.json'),
      executables: [{ name: 'init.sh', path: join(DEMO_TASKS, 'init.sh') }],
      files: [],
      private: false,
      warnings: [],
    });
    expect(task.metadata.description).toBe('Echo the parameters back');
  });

  it('T-04: a task without metadata has its single executable', async () => {
    const task = await loadTask('demo::fail', [MODULES]);
    expect(task.metadataFile).toBeUndefined();
    expect(task.metadata).toEqual({});
    expect(task.executables).toEqual([{ name: 'fail.sh', path: join(DEMO_TASKS, 'fail.sh') }]);
  });

  it('T-04: no executable → puppet.tasks/no-implementation', async () => {
    const error = await loadError('broken::meta_only');
    expect(error.kind).toBe('puppet.tasks/no-implementation');
    expect(error.message).toBe(`No source besides task metadata was found in directory ${BROKEN_TASKS} for task broken::meta_only`);
  });

  it('T-04: two executables without implementations → puppet.tasks/multiple-implementations', async () => {
    const error = await loadError('broken::two');
    expect(error.kind).toBe('puppet.tasks/multiple-implementations');
    expect(error.message).toBe(
      `Multiple executables were found in directory ${BROKEN_TASKS} for task broken::two; define 'implementations' in metadata to differentiate between them`,
    );
  });

  it('T-05: an implementation that does not exist → puppet.tasks/missing-implementation', async () => {
    const error = await loadError('broken::missing_impl');
    expect(error.kind).toBe('puppet.tasks/missing-implementation');
    expect(error.message).toBe(`${join(BROKEN_TASKS, 'missing_impl.json')}: implementations: Task metadata for task broken::missing_impl specifies missing implementation nothere.sh`);
    expect(error.details['missing']).toEqual(['nothere.sh']);
  });

  it('T-05: implementations / requirements not arrays → puppet.tasks/invalid-metadata', async () => {
    const impls = await loadError('broken::bad_impls');
    expect(impls.kind).toBe('puppet.tasks/invalid-metadata');
    expect(impls.message).toBe(`${join(BROKEN_TASKS, 'bad_impls.json')}: implementations: Task metadata for task broken::bad_impls does not specify implementations as an array`);
    const reqs = await loadError('broken::bad_reqs');
    expect(reqs.message).toBe(`${join(BROKEN_TASKS, 'bad_reqs.json')}: implementations[0].requirements: Task metadata for task broken::bad_reqs does not specify requirements as an array`);
  });

  it('T-05: two metadata files may share one executable', async () => {
    const start = await loadTask('demo::start', [MODULES]);
    const stop = await loadTask('demo::stop', [MODULES]);
    expect(start.executables).toEqual([{ name: 'service.sh', path: join(DEMO_TASKS, 'service.sh') }]);
    expect(stop.executables).toEqual(start.executables);
    expect(stop.metadata.implementations).toEqual([{ name: 'service.sh', requirements: [] }]);
  });

  it('T-06: metadata-only task with implementations; implementation may be private', async () => {
    const sql = await loadTask('demo::sql', [MODULES]);
    expect(sql.executables.map((e) => e.name)).toEqual(['sql_linux.sh', 'sql_windows.ps1']);
    expect((await loadTask('demo::sql_windows', [MODULES])).private).toBe(true);
    expect((await loadTask('demo::sql_linux', [MODULES])).private).toBe(false);
  });

  it('T-07: empty metadata file is {}', async () => {
    const task = await loadTask('broken::empty_meta', [MODULES]);
    expect(task.metadata).toEqual({});
    expect(task.metadataFile).toBe(join(BROKEN_TASKS, 'empty_meta.json'));
  });

  it('T-07: unparsable metadata → puppet.tasks/unparseable-metadata', async () => {
    const error = await loadError('broken::unparsable');
    expect(error.kind).toBe('puppet.tasks/unparseable-metadata');
    expect(error.message.startsWith(`${join(BROKEN_TASKS, 'unparsable.json')}: unparseable JSON: `)).toBe(true);
  });

  it('T-13: a bad type names the file and field', async () => {
    const error = await loadError('broken::bad_type');
    expect(error.kind).toBe('puppet.tasks/invalid-metadata');
    expect(error.message).toBe(`${join(BROKEN_TASKS, 'bad_type.json')}: parameters.port.type: unknown type 'Integr' at column 1 (did you mean 'Integer'?)`);
    const def = await loadError('broken::bad_default');
    expect(def.message).toBe(`${join(BROKEN_TASKS, 'bad_default.json')}: parameters.port.default: expects an Integer, got "eighty" (the default must match the type Integer)`);
    const obj = await loadError('broken::not_object');
    expect(obj.message).toBe(`${join(BROKEN_TASKS, 'not_object.json')}: task metadata must be a JSON object, got an array`);
  });

  it('T-10: unknown metadata keys give a warning on the task', async () => {
    const task = await loadTask('demo::unknown_keys', [MODULES]);
    expect(task.warnings.map((w) => w.id)).toEqual(['unknown_task_metadata_keys']);
    expect(task.warnings[0]?.msg).toContain("Metadata for task 'demo::unknown_keys' contains unknown keys: paramters.");
  });

  it('T-18: files and directories are resolved', async () => {
    const task = await loadTask('demo::files_task', [MODULES]);
    expect(task.files).toEqual([
      { name: 'demo/files/helper.sh', path: join(MODULES, 'demo/files/helper.sh') },
      { name: 'demo/lib/sub/more.sh', path: join(MODULES, 'demo/lib/sub/more.sh') },
      { name: 'demo/lib/util.sh', path: join(MODULES, 'demo/lib/util.sh') },
    ]);
  });

  const fileErrors: [string, string, string][] = [
    ['missing_file', 'puppet.tasks/invalid-file', `Could not find ${join(MODULES, 'demo/files/nope.sh')} on disk`],
    ['dir_no_slash', 'puppet.tasks/invalid-metadata', 'Directories specified in task metadata must include a trailing slash: demo/lib'],
    ['file_slash', 'puppet.tasks/invalid-metadata', 'Files specified in task metadata cannot include a trailing slash: demo/files/helper.sh/'],
    ['no_module', 'puppet.tasks/invalid-metadata', 'Could not find module nosuchmodule containing task file x.sh'],
  ];
  for (const [name, kind, message] of fileErrors) {
    it(`T-18: broken::${name}`, async () => {
      const error = await loadError(`broken::${name}`);
      expect(error.kind).toBe(kind);
      expect(error.message).toBe(`${join(BROKEN_TASKS, `${name}.json`)}: files: ${message}`);
    });
  }
  it('T-18: bad mount and relative paths are caught when reading metadata', async () => {
    expect((await loadError('broken::bad_mount')).message).toBe(
      `${join(BROKEN_TASKS, 'bad_mount.json')}: files[0]: Files must be saved in module directories that Puppet makes available via mount points: files, lib, scripts, tasks`,
    );
    expect((await loadError('broken::relative')).message).toBe(`${join(BROKEN_TASKS, 'relative.json')}: files[0]: File pathnames cannot include relative paths`);
  });

  it('T-20: private tasks are hidden from the list but loadable', async () => {
    const { tasks, modulepath } = await listTasks([MODULES]);
    const names = tasks.map(([n]) => n);
    expect(names).not.toContain('demo::private_task');
    expect(names).not.toContain('demo::sql_windows');
    expect(names).toContain('demo::sql_linux');
    expect(tasks.find(([n]) => n === 'demo::deploy')).toEqual(['demo::deploy', 'Deploy an application']);
    expect(tasks.find(([n]) => n === 'demo::fail')).toEqual(['demo::fail', null]);
    expect(modulepath).toEqual([MODULES]);
    expect((await loadTask('demo::private_task', [MODULES])).private).toBe(true);
  });

  it('T-01: an unknown task suggests close names (typos, the same task in another module)', async () => {
    const typo = await loadError('demo::deplyo', [MODULES]);
    expect(typo.kind).toBe('bolt/unknown-task');
    expect(typo.message).toBe("Could not find a task named 'demo::deplyo'. Did you mean: demo::deploy? For a list of available tasks, run 'rivet task show'.");
    expect(typo.details['did_you_mean']).toEqual(['demo::deploy']);
    expect((await loadError('deploy', [MODULES])).message).toContain('Did you mean: demo::deploy?');
    expect((await loadError('zzzzzz', [MODULES])).message).not.toContain('Did you mean');
  });

  it('T-09: the list names the tasks that come from the built-in modules directory', async () => {
    const { BUILTIN_MODULES_DIR } = await import('../../../src/runtime/task-catalog.ts');
    expect((await listTasks([MODULES, BUILTIN_MODULES_DIR], { builtinDir: BUILTIN_MODULES_DIR })).builtin).toEqual(['facts', 'package', 'service']);
    expect((await listTasks([MODULES])).builtin).toEqual([]);
  });

  it('T-09: the first module with a name wins', async () => {
    const first = await loadTask('demo', [SHADOW, MODULES]);
    expect(first.moduleDir).toBe(join(SHADOW, 'demo'));
    expect((await loadTask('demo', [MODULES, SHADOW])).moduleDir).toBe(join(MODULES, 'demo'));
    // a module shadowed entirely: its tasks are not merged with the later one
    const error = await loadError('demo::deploy', [SHADOW, MODULES]);
    expect(error.kind).toBe('bolt/unknown-task');
    expect(error.message).toBe("Could not find a task named 'demo::deploy'. For a list of available tasks, run 'rivet task show'.");
    const all = await discoverTasks([SHADOW, MODULES]);
    expect(all.has('demo::shadow_only')).toBe(true);
    expect(all.has('demo::deploy')).toBe(false);
    expect(all.has('other')).toBe(true);
  });

  it('T-08/T-09: project tasks, default modulepath, .modules, builtin modules first', async () => {
    expect(fullModulepath([], { projectDir: PROJECT, builtinModulesDir: SHADOW })).toEqual([SHADOW, join(PROJECT, 'modules'), join(PROJECT, '.modules')]);
    const modules = await listModules([], { projectDir: PROJECT, projectName: 'myproj', builtinModulesDir: SHADOW });
    expect(modules.map((m) => m.name)).toEqual(['demo', 'other', 'myproj', 'projmod', 'vendored']);
    const hello = await loadTask('myproj::hello', [], { projectDir: PROJECT, projectName: 'myproj' });
    expect(hello.executables).toEqual([{ name: 'hello.sh', path: join(PROJECT, 'tasks/hello.sh') }]);
    const tasks = await discoverTasks([], { projectDir: PROJECT, projectName: 'myproj' });
    expect([...tasks.keys()]).toEqual(['myproj::hello', 'projmod', 'vendored']);
  });

  it('unknown names and bad names are bolt/unknown-task', async () => {
    expect((await loadError('nosuch::task')).kind).toBe('bolt/unknown-task');
    expect((await loadError('demo::nosuch')).kind).toBe('bolt/unknown-task');
    expect((await loadError('demo::sub::nested')).kind).toBe('bolt/unknown-task');
    expect((await loadError('demo::Bad-Name')).kind).toBe('bolt/unknown-task');
    expect((await loadError('demo::readme')).kind).toBe('bolt/unknown-task');
  });

  it('C-11: task show data', async () => {
    const task = await loadTask('demo::files_task', [MODULES]);
    expect(taskShowData(task)).toEqual({
      name: 'demo::files_task',
      files: [
        { name: 'files_task.sh', path: join(DEMO_TASKS, 'files_task.sh') },
        { name: 'demo/files/helper.sh', path: join(MODULES, 'demo/files/helper.sh') },
        { name: 'demo/lib/sub/more.sh', path: join(MODULES, 'demo/lib/sub/more.sh') },
        { name: 'demo/lib/util.sh', path: join(MODULES, 'demo/lib/util.sh') },
      ],
      metadata: { description: 'Task with extra files', files: ['demo/files/helper.sh', 'demo/lib/'], parameters: {} },
      module_dir: join(MODULES, 'demo'),
    });
    expect(taskShowData(task, { builtinModulesDir: MODULES }).module_dir).toBe('built-in module');
  });
});
