/**
 * Issue 5's "done when": in the example project, with its committed .rivet/tasks.gen.ts, a
 * misspelt task parameter is a compile error (a red squiggle in the editor). Checked by
 * `tsc -p test/types/example/tsconfig.json` inside `npm test`. Nothing here runs.
 */
import { expectTypeOf } from 'vitest';
import { definePlan, runPlan, runTask, runTaskWith, type JsonObject, type ResultSet } from 'rivetops';
import deploy from '../../../plans/deploy.ts';

export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    // Correct calls compile.
    await runTask('package', targets, { action: 'status', name: 'nginx' });
    await runTask('service', targets, { action: 'restart', name: 'nginx' }, { noop: true });
    await runTask('facts', targets);
    await runTaskWith('package', targets, (t) => ({ action: 'install', name: t.name }));
    const health = await runTask('site::health', targets, { root: '/srv/site' });
    expectTypeOf(health).toEqualTypeOf<ResultSet<JsonObject>>();

    // @ts-expect-error misspelt parameter name ('nmae')
    await runTask('package', targets, { action: 'status', nmae: 'nginx' });
    // @ts-expect-error misspelt enum value ('instal')
    await runTask('package', targets, { action: 'instal', name: 'nginx' });
    // @ts-expect-error missing required parameter 'name'
    await runTask('package', targets, { action: 'status' });
    // @ts-expect-error params are required for package
    await runTask('package', targets);
    // @ts-expect-error wrong value type (refresh is a Boolean)
    await runTask('package', targets, { action: 'install', name: 'nginx', refresh: 'yes' });
    // @ts-expect-error unknown task
    await runTask('pakage', targets, { action: 'status', name: 'nginx' });
    // @ts-expect-error facts takes no parameters
    await runTask('facts', targets, { verbose: true });
    // @ts-expect-error per-target params are checked the same way
    await runTaskWith('package', targets, (t) => ({ action: 'status', nmae: t.name }));

    // Plans by name and by value are typed from their own declarations.
    await runPlan('example::deploy', { targets, version: '2.0.0' });
    // @ts-expect-error unknown plan parameter
    await runPlan('example::deploy', { targets, verison: '2.0.0' });
    // @ts-expect-error wrong type for a Boolean plan parameter
    await runPlan(deploy, { targets, restart: 'yes' });
    // @ts-expect-error unknown plan
    await runPlan('example::deplyo', { targets });
    return null;
  },
});
