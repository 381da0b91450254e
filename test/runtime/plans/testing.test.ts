/** MockPlanEnvironment (P-44): run the example plan and others against stubbed steps, no targets contacted. */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import deploy from '../../../plans/deploy.ts';
import { MockPlanEnvironment } from 'rivetops/testing';
import { definePlan, runCommand, runTaskWith, waitUntilAvailable } from 'rivetops';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let env: MockPlanEnvironment;
afterEach(async () => env?.close());

describe('MockPlanEnvironment', () => {
  it('P-44: runs example::deploy with stubbed tasks, commands and uploads, and records the calls', async () => {
    env = await MockPlanEnvironment.create({ projectDir: ROOT, inventory: { groups: [{ name: 'web', targets: ['w1', 'w2'] }] } });
    env.expect('task', 'facts').alwaysReturn({ os: { family: 'Debian' } });
    env.expect('task', 'package').withParams({ action: 'status', name: 'nginx' }).alwaysReturn({ status: 'installed' });
    env.allow('command');
    env.expect('upload').beCalledTimes(4);
    env.expect('task', 'service').withParams({ action: 'status', name: 'nginx' });
    env.expect('task', 'site::health').alwaysReturn({ healthy: true, version: '2.0' });
    const result = (await env.run(deploy, { targets: 'web', version: '2.0', root: '/srv/site' })) as { names: string[] };
    env.verify();
    expect(result.names).toEqual(['w1', 'w2']);
    // The rollout: a canary batch (w1), then the rest (w2), each checked by site::health; then site::verify.
    const batch = (target: string): unknown[] => [
      `command mkdir -p /srv/site/releases && rm -rf /srv/site/releases/2.0 ${target}`,
      expect.stringMatching(new RegExp(`^upload .*modules/site/files/www ${target}$`)),
      expect.stringMatching(new RegExp(`^upload .*VERSION ${target}$`)),
      `command ln -sfn releases/2.0 /srv/site/current ${target}`,
      `task service ${target}`,
      `task site::health ${target}`,
    ];
    expect(env.calls.map((c) => `${c.action} ${c.object} ${c.targets.join(',')}`)).toEqual([
      'task facts w1,w2',
      'task package w1,w2',
      ...batch('w1'),
      ...batch('w2'),
      'task site::health w1,w2',
    ]);
    expect(env.calls.at(-1)!.params).toEqual({ root: '/srv/site/current', expect_version: '2.0' });
    expect(env.messages[0]).toBe('Deploying version 2.0 to 2 target(s) under /srv/site');
    expect(env.runtime.inventory.facts('w1')).toMatchObject({ os: { family: 'Debian' } });
  });

  it('returnForTargets and errorWith drive the failure paths; unexpected steps fail loudly', async () => {
    env = await MockPlanEnvironment.create({ inventory: { targets: ['a', 'b'] } });
    env.allow('command', /systemctl/).returnForTargets({ b: { _error: { kind: 'x/down', msg: 'inactive', details: {} } } });
    env.allow('task', 'conf').errorWith({ kind: 'x/conf', msg: 'bad config' });
    const plan = definePlan({
      async run() {
        const set = await runCommand('systemctl is-active nginx', 'all', { catchErrors: true });
        const conf = await runTaskWith('conf', 'all', (t) => ({ host: t.name }), { catchErrors: true });
        await waitUntilAvailable('all');
        return { failed: set.errorSet.names, conf: conf.map((r) => r.error()?.msg) };
      },
    });
    expect(await env.run(plan)).toEqual({ failed: ['b'], conf: ['bad config', 'bad config'] });
    expect(env.calls[1]!.params).toEqual([{ host: 'a' }, { host: 'b' }]);
    await expect(env.run(definePlan({ run: () => runCommand('reboot', 'a') }))).rejects.toThrow(/Unexpected command 'reboot' on a: stub it/);
    env.expect('script').notBeCalled();
    env.expect('download');
    expect(() => env.verify()).toThrow(/download \(any\): expected to be called, was not/);
  });
});
