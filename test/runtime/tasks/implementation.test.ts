import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRivetError } from '../../../src/core/index.ts';
import type { TaskDefinition } from '../../../src/runtime/tasks/discovery.ts';
import { loadTask } from '../../../src/runtime/tasks/discovery.ts';
import { defaultInputMethod, selectImplementation } from '../../../src/runtime/tasks/implementation.ts';

const MODULES = resolve('test/fixtures/modules');
const DEMO = join(MODULES, 'demo');

function fake(metadata: TaskDefinition['metadata'], executables: string[], files: string[] = []): TaskDefinition {
  return {
    name: 'm::t',
    module: 'm',
    moduleDir: '/mods/m',
    metadata,
    rawMetadata: {},
    executables: executables.map((name) => ({ name, path: `/mods/m/tasks/${name}` })),
    files: files.map((name) => ({ name, path: `/mods/${name}` })),
    private: false,
    warnings: [],
  };
}

function noImpl(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isRivetError(error)) return `${error.kind}: ${error.message}`;
    throw error;
  }
  throw new Error('expected an error');
}

describe('implementation selection', () => {
  it('T-16/T-17: first implementation whose requirements are target features', async () => {
    const sql = await loadTask('demo::sql', [MODULES]);
    const linux = selectImplementation(sql, { name: 'web1', features: ['shell'] });
    expect(linux).toEqual({
      name: 'sql_linux.sh',
      path: join(DEMO, 'tasks/sql_linux.sh'),
      inputMethod: 'both',
      files: [],
      usesInstallDir: false,
      installPath: 'demo/tasks/sql_linux.sh',
    });
    const windows = selectImplementation(sql, { name: 'win1', features: ['powershell'] });
    expect(windows.name).toBe('sql_windows.ps1');
    expect(windows.inputMethod).toBe('powershell');
    expect(noImpl(() => selectImplementation(sql, { name: 'pcp1', features: ['puppet-agent'] }))).toBe(
      'bolt/no-implementation: No suitable implementation of demo::sql for pcp1',
    );
  });

  it('T-14: input method: implementation > top level > default', () => {
    const task = fake({ input_method: 'environment', implementations: [{ name: 'a.sh', requirements: [], input_method: 'stdin' }, { name: 'b.sh', requirements: ['x'] }] }, ['a.sh', 'b.sh']);
    expect(selectImplementation(task, { name: 't', features: [] }).inputMethod).toBe('stdin');
    const top = fake({ input_method: 'environment' }, ['a.sh']);
    expect(selectImplementation(top, { name: 't', features: ['shell'] }).inputMethod).toBe('environment');
    expect(defaultInputMethod('x.ps1', ['powershell'])).toBe('powershell');
    expect(defaultInputMethod('x.PS1', ['powershell'])).toBe('powershell');
    expect(defaultInputMethod('x.ps1', ['shell'])).toBe('both');
    expect(defaultInputMethod('x.sh', ['powershell'])).toBe('both');
  });

  it('T-18/T-19: implementation files first, then top-level; directories by prefix', () => {
    const task = fake(
      { files: ['m/files/top.sh', 'm/lib/'], implementations: [{ name: 'a.sh', requirements: ['shell'], files: ['m/files/impl.sh'] }] },
      ['a.sh'],
      ['m/files/top.sh', 'm/lib/x.rb', 'm/lib/y/z.rb', 'm/files/impl.sh', 'm/libother/no.rb'],
    );
    const impl = selectImplementation(task, { name: 't', features: ['shell'] });
    expect(impl.files.map((f) => f.name)).toEqual(['m/files/impl.sh', 'm/files/top.sh', 'm/lib/x.rb', 'm/lib/y/z.rb']);
    expect(impl.usesInstallDir).toBe(true);
    expect(impl.installPath).toBe('m/tasks/a.sh');
  });

  it('T-19: files_task fixture uses an install dir', async () => {
    const task = await loadTask('demo::files_task', [MODULES]);
    const impl = selectImplementation(task, { name: 'localhost', features: ['shell'] });
    expect(impl.usesInstallDir).toBe(true);
    expect(impl.files.map((f) => f.name)).toEqual(['demo/files/helper.sh', 'demo/lib/sub/more.sh', 'demo/lib/util.sh']);
  });

  it('T-21: remote tasks only on remote targets and vice versa', () => {
    const remoteTask = fake({ remote: true }, ['a.sh']);
    expect(noImpl(() => selectImplementation(remoteTask, { name: 'web1', features: ['shell'] }))).toBe('bolt/no-implementation: No suitable implementation of m::t for web1');
    expect(selectImplementation(remoteTask, { name: 'api', features: [] }, { remote: true }).name).toBe('a.sh');
    const normal = fake({}, ['a.sh']);
    expect(noImpl(() => selectImplementation(normal, { name: 'api', features: [] }, { remote: true }))).toBe('bolt/no-implementation: No suitable implementation of m::t for api');
    const mixed = fake({ remote: true, implementations: [{ name: 'a.sh', requirements: [], remote: false }, { name: 'b.sh', requirements: [] }] }, ['a.sh', 'b.sh']);
    expect(selectImplementation(mixed, { name: 'web1', features: [] }).name).toBe('a.sh');
    expect(selectImplementation(mixed, { name: 'api', features: [] }, { remote: true }).name).toBe('b.sh');
  });
});
