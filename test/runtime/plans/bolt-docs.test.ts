/**
 * Plans from Bolt's "Writing plans" page, translated to Rivet as docs/plans.md says, run against
 * stubbed steps: the translation keeps the behaviour.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MockPlanEnvironment } from '../../../src/runtime/plans/index.ts';
import {
  catchErrors,
  definePlan,
  failPlan,
  getTargets,
  out,
  parallelize,
  runCommand,
  runPlan,
  runTask,
  runTaskWith,
  type ResultSet,
} from '../../../src/sdk/index.ts';

let env: MockPlanEnvironment;
afterEach(async () => env?.close());

const INVENTORY = { groups: [{ name: 'lb', targets: ['lb1'] }, { name: 'web', targets: ['w1', 'w2', 'w3'] }] };

describe("Bolt's writing-plans examples in Rivet", () => {
  it('rolling update behind a load balancer (TargetSpec params, run_task with params)', async () => {
    // plan mymodule::myplan(TargetSpec $load_balancer, TargetSpec $webservers) {
    //   run_task('mymodule::lb_remove', $load_balancer, webservers => $webservers)
    //   run_task('mymodule::update_frontends', $webservers)
    //   run_task('mymodule::lb_add', $load_balancer, webservers => $webservers)
    // }
    const plan = definePlan({
      params: { load_balancer: 'TargetSpec', webservers: 'TargetSpec' },
      async run({ load_balancer, webservers }) {
        const names = webservers.map((t) => t.name);
        await runTask('mymodule::lb_remove', load_balancer, { webservers: names });
        await runTask('mymodule::update_frontends', webservers);
        await runTask('mymodule::lb_add', load_balancer, { webservers: names });
      },
    });
    env = await MockPlanEnvironment.create({ inventory: INVENTORY });
    env.expect('task', 'mymodule::lb_remove').withTargets(['lb1']).withParams({ webservers: ['w1', 'w2', 'w3'] });
    env.expect('task', 'mymodule::update_frontends').withTargets(['w1', 'w2', 'w3']);
    env.expect('task', 'mymodule::lb_add').withParams({ webservers: ['w1', 'w2', 'w3'] });
    expect(await env.run(plan, { load_balancer: 'lb', webservers: 'web' })).toBeUndefined();
    env.verify();
  });

  it('acting on results: ok_set, error_set, messages, returning a ResultSet', async () => {
    // $r = run_command('cat /etc/os-release', $targets, '_catch_errors' => true)
    // $r.error_set.each |$e| { out::message("${e.target.name}: ${e.error.message}") }
    // run_command('uptime', $r.ok_set.targets)   ... return $r
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        const r = await runCommand('cat /etc/os-release', targets, { catchErrors: true });
        for (const e of r.errorSet) out.message(`${e.target.name}: ${e.error()?.msg}`);
        await runCommand('uptime', r.okSet.targets);
        return r;
      },
    });
    env = await MockPlanEnvironment.create({ inventory: INVENTORY });
    env.allow('command', 'cat /etc/os-release').returnForTargets({ w2: { _error: { kind: 'puppetlabs.tasks/command-error', msg: 'exit 1', details: {} } } });
    env.expect('command', 'uptime').withTargets(['w1', 'w3']);
    const r = (await env.run(plan, { targets: 'web' })) as ResultSet;
    expect(r.errorSet.names).toEqual(['w2']);
    expect(env.messages).toEqual(['w2: exit 1']);
    env.verify();
  });

  it('run_task_with, catch_errors with kinds, fail_plan, run_plan, parallelize', async () => {
    const restart = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        return runTaskWith('service', targets, (t) => ({ action: 'restart', name: t.name === 'w1' ? 'nginx' : 'apache2' }));
      },
    });
    const plan = definePlan({
      async run() {
        const web = getTargets('web');
        const caught = await catchErrors(() => runTask('mymodule::flaky', web), ['bolt/run-failure']);
        if (!('kind' in caught) || caught.kind !== 'bolt/run-failure') failPlan('expected a run failure');
        const restarted = (await runPlan(restart, { targets: web })) as ResultSet;
        const uptimes = await parallelize(web, async (t) => (await runCommand('uptime', t)).first!.value['stdout']);
        return { restarted: restarted.names, uptimes };
      },
    });
    env = await MockPlanEnvironment.create({ inventory: INVENTORY });
    env.allow('task', 'mymodule::flaky').errorWith({ kind: 'mymodule/flaky', msg: 'flaked' });
    env.expect('task', 'service');
    env.allow('command', 'uptime').alwaysReturn({ stdout: 'up 1 day' });
    expect(await env.run(plan)).toEqual({ restarted: ['w1', 'w2', 'w3'], uptimes: ['up 1 day', 'up 1 day', 'up 1 day'] });
    expect(env.calls.find((c) => c.object === 'service')!.params).toEqual([
      { action: 'restart', name: 'nginx' },
      { action: 'restart', name: 'apache2' },
      { action: 'restart', name: 'apache2' },
    ]);
  });
});
