/**
 * Runs the fixture tasks with plain `sh` on this machine through the pure pipeline (select →
 * params → input → output), to prove the fixtures do what their names say. Transports run the
 * same fixtures over local and SSH elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../../src/core/index.ts';
import { loadTask, prepareTaskParams, redactDeep, secretStrings, selectImplementation, taskInput, taskResultValue } from '../../../src/runtime/tasks/index.ts';

const MODULES = resolve('test/fixtures/modules');

async function runFixture(name: string, params: Record<string, unknown> = {}, options: { noop?: boolean } = {}) {
  const task = await loadTask(name, [MODULES]);
  const impl = selectImplementation(task, { name: 'localhost', features: ['shell'] });
  const prepared = prepareTaskParams(task, params, { ...options, ...(impl.usesInstallDir ? { installdir: MODULES } : {}) });
  const input = taskInput(prepared.params, impl.inputMethod);
  const child = spawnSync('sh', [impl.path], { input: input.stdin ?? '', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...input.env } });
  const value = taskResultValue({ stdout: child.stdout, stderr: child.stderr, exitCode: child.status, signal: child.signal, task: task.name });
  return { value, prepared };
}

describe('fixture tasks run with sh', () => {
  it('T-24: demo echoes its stdin params', async () => {
    expect((await runFixture('demo', { a: [1] })).value).toEqual({ a: [1], _task: 'demo' });
  });
  it('T-25: env_vars reads PT_ variables, default applied', async () => {
    expect((await runFixture('demo::env_vars', { message: 'hi' })).value).toEqual({ message: 'hi', count: 1, task: 'demo::env_vars' });
  });
  it('T-13: deploy gets defaults', async () => {
    expect((await runFixture('demo::deploy', { version: '1.0' })).value).toEqual({ version: '1.0', port: 8080, env: 'staging' });
  });
  it('T-33: error prints _error with exit 0', async () => {
    expect((await runFixture('demo::error')).value).toEqual({ _error: { kind: 'demo/failed', msg: 'it broke', details: { why: 'testing' } } });
  });
  it('T-32: the three failure messages', async () => {
    expect((await runFixture('demo::fail')).value['_error']).toMatchObject({ msg: 'The task failed with exit code 3 and no stdout, but stderr contained:\nsomething went wrong\n' });
    expect((await runFixture('demo::fail_silent')).value['_error']).toMatchObject({ msg: 'The task failed with exit code 5 and no output' });
    expect((await runFixture('demo::fail_stdout')).value).toMatchObject({ _output: 'partial output\n', _error: { msg: 'The task failed with exit code 2' } });
  });
  it('T-30: text output', async () => {
    expect((await runFixture('demo::text')).value['_output']).toMatch(/^hello from /);
  });
  it('T-31: invalid UTF-8', async () => {
    expect((await runFixture('demo::bad_utf8')).value['_error']).toMatchObject({ msg: 'The task result contained invalid UTF-8 on stdout' });
  });
  it('T-36: sensitive output is wrapped and echoed secrets can be masked', async () => {
    const { value, prepared } = await runFixture('demo::sensitive', { user: 'bob', password: 'hunter2' });
    expect(redactDeep(value, secretStrings(prepared.params, prepared.sensitive))).toEqual({ _sensitive: REDACTED, user: 'bob', leak: `password is ${REDACTED}` });
  });
  it('T-15: noop', async () => {
    expect((await runFixture('demo::noop', {}, { noop: true })).value).toEqual({ noop: true });
    expect((await runFixture('demo::noop')).value).toEqual({ noop: false });
  });
  it('T-05/T-23: one executable serves two tasks through _task', async () => {
    expect((await runFixture('demo::start')).value).toEqual({ action: 'demo::start' });
    expect((await runFixture('demo::stop')).value).toEqual({ action: 'demo::stop' });
  });
  it('T-06: metadata-only task runs its shell implementation', async () => {
    expect((await runFixture('demo::sql', { query: 'select 1' })).value).toEqual({ impl: 'linux', task: 'demo::sql' });
  });
  it('T-19: files_task finds its files under _installdir', async () => {
    expect((await runFixture('demo::files_task')).value).toEqual({ helper: 'from helper', util: 'from util', more: true });
  });
});
