/**
 * Running the fixture tasks (test/fixtures/modules/demo) through the runtime, over the local
 * transport and over real sshd: every T- row that concerns running a task.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultSet } from '../../src/core/result.ts';
import { loadInventory } from '../../src/runtime/inventory/index.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { SshTransport } from '../../src/transports/ssh/index.ts';
import { LocalTransport } from '../../src/transports/local/index.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { fakeHome } from '../transports/ssh/helpers.ts';
import { ensureTestUsers, isRoot, TEST_USERS } from '../harness/users.ts';

const MODULES = join(import.meta.dirname, '..', 'fixtures', 'modules');

function value(set: ResultSet): Record<string, unknown> {
  expect(set.length).toBe(1);
  return set.first!.value;
}

interface Fixture {
  runtime: Runtime;
  target: string;
  /** exec requests sshd has started so far (undefined when not countable). */
  execCount?: () => Promise<number>;
  /** A user the login may become with sudo. */
  runAsUser?: string;
}

function taskSuite(name: string, setup: () => Promise<Fixture>, teardown: () => Promise<void>): void {
  describe(`tasks over ${name}`, () => {
    let f: Fixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f?.runtime.close();
      await teardown();
    });
    const run = (task: string, params: Record<string, unknown> = {}, options = {}) => f.runtime.runTask(task, f.target, params, options);

    it('T-03/T-24: the init task is named after the module and gets its params on stdin', async () => {
      const set = await run('demo', { anything: [1, 'two'] });
      expect(set.first?.status).toBe('success');
      expect(value(set)).toEqual({ anything: [1, 'two'], _task: 'demo' });
    });

    it('T-24/T-23: input_method stdin gets the params and _task as JSON', async () => {
      expect(value(await run('demo::echo_stdin', { message: "it's \"quoted\" $x", count: 3 }))).toEqual({ message: "it's \"quoted\" $x", count: 3, _task: 'demo::echo_stdin' });
    });

    it('T-25/T-13: input_method environment gets PT_ variables, defaults applied', async () => {
      expect(value(await run('demo::env_vars', { message: 'hi' }))).toEqual({ message: 'hi', count: 1, task: 'demo::env_vars' });
    });

    it('T-06/T-16: a metadata-only task picks the implementation matching the target features', async () => {
      expect(value(await run('demo::sql', { query: 'select 1' }))).toEqual({ impl: 'linux', task: 'demo::sql' });
    });

    it('T-18/T-19: files are installed under _installdir with the module layout', async () => {
      expect(value(await run('demo::files_task'))).toEqual({ helper: expect.any(String), util: expect.any(String), more: true });
    });

    it('T-15: noop is passed to tasks that support it', async () => {
      expect(value(await run('demo::noop', {}, { noop: true }))).toEqual({ noop: true });
    });

    it('T-15: noop on a task without supports_noop is an error before anything runs', async () => {
      await expect(run('demo::text', {}, { noop: true })).rejects.toMatchObject({ issueCode: 'TASK_NO_NOOP', message: 'Task does not support noop' });
    });

    it('T-20: a private task still runs by name', async () => {
      expect(value(await run('demo::private_task'))).toEqual({ private: true });
    });

    it('T-30: text output becomes _output', async () => {
      expect(value(await run('demo::text'))).toEqual({ _output: 'hello from Linux\n' });
    });

    it('T-31: invalid UTF-8 on stdout fails with Bolt\'s message', async () => {
      expect(value(await run('demo::bad_utf8'))['_error']).toMatchObject({ kind: 'puppetlabs.tasks/task-error', msg: 'The task result contained invalid UTF-8 on stdout' });
    });

    it('T-32/T-37: non-zero exits get Bolt\'s three messages, stderr is not in the value', async () => {
      const silent = value(await run('demo::fail_silent'));
      expect(silent['_error']).toMatchObject({ kind: 'puppetlabs.tasks/task-error', msg: 'The task failed with exit code 5 and no output', details: { exit_code: 5 } });
      const stderrOnly = value(await run('demo::fail'));
      expect((stderrOnly['_error'] as { msg: string }).msg).toBe('The task failed with exit code 3 and no stdout, but stderr contained:\nsomething went wrong\n');
      const withStdout = value(await run('demo::fail_stdout'));
      expect((withStdout['_error'] as { msg: string }).msg).toBe('The task failed with exit code 2');
      expect(withStdout['_output']).toBe('partial output\n');
      expect(JSON.stringify(withStdout)).not.toContain('and an error');
    });

    it('T-33: an _error with exit 0 is still a failure', async () => {
      const set = await run('demo::error');
      expect(set.ok).toBe(false);
      expect(value(set)['_error']).toEqual({ kind: 'demo/failed', msg: 'it broke', details: { why: 'testing' } });
    });

    it('T-36/T-13: sensitive params and _sensitive output never reach results', async () => {
      const set = await run('demo::sensitive', { user: 'bob', password: 'hunter2-secret' });
      const json = JSON.stringify(set);
      expect(json).not.toContain('hunter2-secret');
      expect(json).toContain('Sensitive [value redacted]');
    });

    it('T-13: a bad parameter is a clear error before anything runs', async () => {
      // Bolt's wording (run_task.rb, Puppet's TaskSignature#runnable_with?): "Task <name>:" and one problem per line.
      await expect(run('demo::deploy', { version: '1.0', port: 'eighty' })).rejects.toThrow(`Task demo::deploy:\n parameter 'port' expects an Integer[1, 65535], got "eighty"`);
      await expect(run('demo::deploy', {})).rejects.toThrow(/^Task demo::deploy:\n expects a value for parameter 'version'$/);
      await expect(run('demo::deploy', { version: '1', prot: 80 })).rejects.toThrow(/ has no parameter named 'prot'/);
    });

    it("T-23: metaparameters are options, never sent to the task (run_task.rb partitions every '_' key off)", async () => {
      const set = await run('demo', { anything: 1, _foo: 'x', _error: { msg: 'forged' }, _catch_errors: true, _env_vars: { A: '1' }, _task: 'forged', _installdir: '/forged' });
      expect(set.ok).toBe(true);
      expect(value(set)).toEqual({ anything: 1, _task: 'demo' });
    });

    it('T-23/T-41: _run_as runs the task as that user (run_task.rb: options[:run_as])', async (ctx) => {
      if (!f.runAsUser) return ctx.skip('needs a run-as test user (root and the test users)');
      const set = await run('demo::echo_stdin', { message: 'meta', _run_as: f.runAsUser });
      expect(value(set)).toEqual({ message: 'meta', _task: 'demo::echo_stdin' });
      // Proof that _run_as is used: a user that does not exist makes sudo fail the target.
      const nobody = await run('demo', { _run_as: 'rivet-no-such-user', probe: true });
      expect(nobody.ok).toBe(false);
      expect(value(nobody)['_error']).toMatchObject({ kind: 'puppetlabs.tasks/escalate-error' });
    });

    it('P-02: per-target params; a bad one fails only its target', async () => {
      const set = await f.runtime.runTaskWith('demo::deploy', f.target, () => ({ version: '', port: 1 }));
      expect(set.first?.ok).toBe(false);
      expect((set.first?.value['_error'] as { msg: string }).msg).toMatch(/parameter 'version' expects a String\[1\]/);
    });

    it('an unknown task is an error that says how to list tasks', async () => {
      await expect(run('demo::nope')).rejects.toThrow(/rivet task show/);
    });

    it('T-38: exit 126 gets the noexec hint', async () => {
      const set = await f.runtime.runCommand('exit 126', f.target);
      expect(String(set.first?.value['stderr'])).toContain('noexec');
    });

    it('X-08: a task without files is one exec request; with files, two', async (ctx) => {
      if (!f.execCount) return ctx.skip('exec requests are counted from the sshd log');
      await run('demo::text'); // connection already open: count only the task
      const before = await f.execCount();
      await run('demo::text');
      const one = (await f.execCount()) - before;
      await run('demo::files_task');
      const two = (await f.execCount()) - before - one;
      expect(one).toBe(1);
      expect(two).toBe(2);
    });

    it('T-28: interpreters from the target config run the task by extension', async () => {
      const inventory = f.runtime.inventory;
      const target = inventory.getTarget(f.target);
      inventory.setConfig(target, [target.transport, 'interpreters'], { '.sh': ['/bin/echo', 'interpreted'] });
      try {
        const out = value(await run('demo::text'));
        expect(String(out['_output'])).toMatch(/^interpreted \S+\/text\.sh\n$/);
      } finally {
        inventory.setConfig(target, [target.transport, 'interpreters'], {});
      }
    });

    it('T-41/X-03: runs a task as another user via sudo', async (ctx) => {
      if (!f.runAsUser) return ctx.skip('needs a run-as test user (root and the test users)');
      const set = await f.runtime.runTask('demo::echo_stdin', f.target, { message: 'as-user' }, { runAs: f.runAsUser });
      expect(value(set)).toEqual({ message: 'as-user', _task: 'demo::echo_stdin' });
      const who = await f.runtime.runCommand('id -un', f.target, { runAs: f.runAsUser });
      expect(String(who.first?.value['stdout']).trim()).toBe(f.runAsUser);
    });

    it('runs the built-in package task (status only)', async () => {
      expect(value(await run('package', { action: 'status', name: 'coreutils' }))).toMatchObject({ status: 'installed', version: expect.any(String) });
      expect(value(await run('package', { action: 'status', name: 'rivet-no-such-package' }))).toMatchObject({ status: 'not installed' });
    });

    it('runs the built-in facts task', async () => {
      const facts = value(await run('facts'));
      expect(facts).toMatchObject({ kernel: 'Linux', os: { family: expect.any(String) } });
    });
  });
}

taskSuite(
  'local',
  async () => {
    const inventory = loadInventory({ data: { targets: ['localhost'] }, name: 'test' });
    if (isRoot()) await ensureTestUsers();
    return {
      runtime: new Runtime({ inventory, projectDir: MODULES, modulepath: [MODULES], transports: { local: new LocalTransport() } }),
      target: 'localhost',
      ...(isRoot() ? { runAsUser: TEST_USERS.app } : {}),
    };
  },
  async () => {},
);

let server: TestSshServer | undefined;
taskSuite(
  'ssh',
  async () => {
    server = await startTestSshServer();
    const s = server;
    const inventory = loadInventory({
      data: {
        targets: [{ uri: `127.0.0.7:${s.port}`, name: 'sshtarget', config: { ssh: { user: s.user, 'private-key': s.clientKeyPath, 'known-hosts-file': s.knownHostsPath, 'load-config': false } } }],
      },
      name: 'test',
    });
    const transports = { ssh: new SshTransport({ resolveEnv: await fakeHome() }) };
    const logPath = (s as unknown as { logPath?: string }).logPath;
    const execCount =
      s.kind === 'sshd' && logPath
        ? async () => {
            await new Promise((r) => setTimeout(r, 200)); // sshd writes its log asynchronously
            return (await readFile(logPath, 'utf8')).split('\n').filter((l) => /Starting session: (command|subsystem)/.test(l)).length;
          }
        : undefined;
    return {
      runtime: new Runtime({ inventory, projectDir: MODULES, modulepath: [MODULES], transports }),
      target: 'sshtarget',
      ...(execCount ? { execCount } : {}),
      ...(s.kind === 'sshd' ? { runAsUser: TEST_USERS.app } : {}),
    };
  },
  async () => server?.stop(),
);
