/**
 * Plans on the local transport: the SDK's failure semantics, flow control, targets, output and
 * parameters, run by the PlanRunner (P-01..P-41).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  catchErrors,
  definePlan,
  failPlan,
  getTarget,
  getTargets,
  isRunFailure,
  out,
  log,
  parallelize,
  runCommand,
  runPlan,
  setVar,
  vars,
  addFacts,
  facts,
  setFeature,
  addToGroup,
  removeFromGroup,
  createTarget,
  prompt,
  Sensitive,
  ctrl,
  RivetError,
  ResultSet,
} from '../../../src/sdk/index.ts';
import { lineOf, planHarness, type PlanHarness } from './helpers.ts';

const FILE = fileURLToPath(import.meta.url);
let h: PlanHarness;
afterEach(async () => h?.close());

async function errorOf(promise: Promise<unknown>): Promise<RivetError> {
  try {
    await promise;
  } catch (error) {
    return error as RivetError;
  }
  throw new Error('expected a failure');
}

describe('failure semantics', () => {
  it('P-11: a step failing on any target throws RunFailure with the result set and the plan file:line', async () => {
    h = await planHarness();
    const plan = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        await runCommand('test $(hostname) = nope && echo ok || { [ -n "$X" ] ; exit 3; }', targets); // MARK-P11
        return 'not reached';
      },
    });
    const error = await errorOf(h.runner.run(plan, { targets: 'web' }));
    expect(isRunFailure(error)).toBe(true);
    expect(error.kind).toBe('bolt/run-failure');
    const data = error.toJSON();
    expect(data.details).toMatchObject({ action: 'command', file: FILE, line: await lineOf(FILE, 'MARK-P11') });
    expect(error.message).toMatch(/^command '.*' failed on 2 targets \(.*run\.test\.ts:\d+\)/);
    const set = (error as unknown as { resultSet: ResultSet }).resultSet;
    expect(set.names).toEqual(['t1', 't2']);
    // T-34/Bolt #2057: each failed result's error carries the location too.
    expect(set.first!.error()!.details).toMatchObject({ exit_code: 3, file: FILE, line: await lineOf(FILE, 'MARK-P11') });
    expect(h.events.filter((e) => e.type === 'plan_finish')).toMatchObject([{ status: 'failure' }]);
  });

  it('P-01/P-15: catchErrors option returns the ResultSet; catchErrors() returns the error only for listed kinds', async () => {
    h = await planHarness();
    const plan = definePlan({
      async run() {
        const set = await runCommand('exit 2', 'web', { catchErrors: true });
        const caught = await catchErrors(() => runCommand('exit 1', 't1'), ['bolt/run-failure']);
        const rethrown = await catchErrors(() => catchErrors(() => failPlan('boom', 'my/kind'), ['other/kind'])).then((e) => (e as RivetError).kind);
        return { ok: set.ok, failed: set.errorSet.names, caught: (caught as RivetError).kind, rethrown };
      },
    });
    expect(await h.runner.run(plan)).toEqual({ ok: false, failed: ['t1', 't2'], caught: 'bolt/run-failure', rethrown: 'my/kind' });
  });

  it('P-16: failPlan raises a PlanFailure with kind, details and location', async () => {
    h = await planHarness();
    const plan = definePlan({
      run() {
        failPlan('Disk full', 'site/disk-full', { free: 0 }, 'DISK'); // MARK-P16
      },
    });
    const error = await errorOf(h.runner.run(plan));
    expect(error.toJSON()).toEqual({ kind: 'site/disk-full', msg: 'Disk full', issue_code: 'DISK', details: { free: 0, file: FILE, line: await lineOf(FILE, 'MARK-P16') } });
  });

  it('bolt#3321: onFailure "continue" keeps going on the targets that succeeded, then fails the plan naming the others', async () => {
    h = await planHarness({ count: 4 });
    const seen: string[][] = [];
    // Local targets are one machine: the failing targets are chosen by a var.
    const planWithEnv = definePlan({
      onFailure: 'continue',
      async run() {
        const targets = getTargets('web');
        for (const t of targets) setVar(t, 'fail', t.name === 't2' || t.name === 't4');
        const first = await runCommand('exit 0', targets.filter((t) => !vars(t)['fail']));
        const failing = await runCommand('exit 1', targets.filter((t) => vars(t)['fail']));
        seen.push([...first.names], [...failing.errorSet.names]);
        const second = await runCommand('true', 'web');
        seen.push(second.names);
        return 'done';
      },
    });
    const error = await errorOf(h.runner.run(planWithEnv));
    expect(seen).toEqual([['t1', 't3'], ['t2', 't4'], ['t1', 't3']]);
    expect(error.kind).toBe('bolt/run-failure');
    expect(error.message).toMatch(/^plan '.*' failed on 2 targets/);
    expect((error as unknown as { resultSet: ResultSet }).resultSet.names).toEqual(['t2', 't4']);
  });

  it('P-08: a nested runPlan failure carries the file:line of the failing call in the sub-plan', async () => {
    h = await planHarness();
    const inner = definePlan({
      params: { targets: 'TargetSpec' },
      async run({ targets }) {
        await runCommand('exit 5', targets); // MARK-INNER
      },
    });
    const outer = definePlan({
      async run() {
        const caught = await runPlan(inner, { targets: 't1' }, { catchErrors: true });
        expect(caught).toBeInstanceOf(RivetError);
        await runPlan(inner, { targets: 't2' }); // MARK-OUTER
      },
    });
    const error = await errorOf(h.runner.run(outer));
    expect(error.kind).toBe('bolt/run-failure');
    expect(error.toJSON().details).toMatchObject({ file: FILE, line: await lineOf(FILE, 'MARK-INNER') });
    const starts = h.events.filter((e) => e.type === 'plan_start').map((e) => (e as { plan: string }).plan);
    expect(starts).toEqual(['run.test', 'run.test', 'run.test']);
  });

  it('P-38: a plan returning a function fails with bolt/invalid-plan-result', async () => {
    h = await planHarness();
    const error = await errorOf(h.runner.run(definePlan({ run: () => ({ f: () => 1 }) })));
    expect(error.kind).toBe('bolt/invalid-plan-result');
  });
});

describe('flow control and concurrency', () => {
  it('P-17: parallelize returns results in input order; a failure throws ParallelFailure after all finish', async () => {
    h = await planHarness({ count: 3 });
    const finished: number[] = [];
    const plan = definePlan({
      async run() {
        const ordered = await parallelize([3, 1, 2], async (n) => {
          await ctrl.sleep(n * 40);
          finished.push(n);
          return n * 10;
        });
        const failure = await catchErrors(() =>
          parallelize(['t1', 't2', 't3'], async (t, i) => {
            await runCommand(i === 1 ? 'exit 4' : 'sleep 0.2', t);
            finished.push(100 + i);
            return t;
          }),
        );
        return { ordered, failure };
      },
    });
    const value = (await h.runner.run(plan)) as { ordered: number[]; failure: RivetError };
    expect(value.ordered).toEqual([30, 10, 20]);
    expect(finished.slice(0, 3)).toEqual([1, 2, 3]);
    expect(finished.slice(3).sort()).toEqual([100, 102]);
    const data = value.failure.toJSON();
    expect(data.kind).toBe('bolt/parallel-failure');
    expect(data.details['failed_indices']).toEqual([1]);
    expect((data.details['results'] as unknown[])[0]).toBe('t1');
    expect((data.details['results'] as RivetError[])[1]!.kind).toBe('bolt/run-failure');
  });

  it('P-12/P-20: steps started together with Promise.all run at the same time', async () => {
    h = await planHarness();
    const plan = definePlan({
      async run() {
        const t0 = Date.now();
        await Promise.all([runCommand('sleep 1', 't1'), runCommand('sleep 1', 't2'), runCommand('sleep 1', 'web')]);
        return Date.now() - t0;
      },
    });
    const elapsed = (await h.runner.run(plan)) as number;
    expect(elapsed).toBeLessThan(1_900);
  });

  it('timeout per step kills the process and fails the target with rivet/timeout', async () => {
    h = await planHarness();
    const plan = definePlan({
      async run() {
        const t0 = Date.now();
        const set = await runCommand('sleep 30', 'web', { timeout: 300, catchErrors: true });
        return { ms: Date.now() - t0, kinds: set.map((r) => r.error()?.kind) };
      },
    });
    const value = (await h.runner.run(plan)) as { ms: number; kinds: string[] };
    expect(value.kinds).toEqual(['rivet/timeout', 'rivet/timeout']);
    expect(value.ms).toBeLessThan(5_000);
  });

  it('an AbortSignal option cancels the step', async () => {
    h = await planHarness();
    const plan = definePlan({
      async run() {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 200);
        const set = await runCommand('sleep 30', 't1', { signal: controller.signal, catchErrors: true });
        return set.first!.error()!.kind;
      },
    });
    expect(await h.runner.run(plan)).toBe('rivet/canceled');
  });

  it('option checks name the bad option', async () => {
    h = await planHarness();
    const plan = definePlan({ run: () => runCommand('true', 't1', { timeout: -1 }) });
    await expect(h.runner.run(plan)).rejects.toThrow(/option 'timeout' must be a number of milliseconds/);
  });
});

describe('targets, output, prompt', () => {
  it('P-22..P-25: getTargets/getTarget, vars, facts, features, groups, createTarget', async () => {
    h = await planHarness({ count: 3 });
    const plan = definePlan({
      run() {
        const all = getTargets('web');
        setVar(all[0]!, 'role', 'primary');
        addFacts('t1', { os: { family: 'Debian' } });
        addFacts('t1', { os: { release: '12' } });
        setFeature('t2', 'puppet-agent');
        addToGroup(['t1', 't2'], 'canary');
        removeFromGroup('t2', 'canary');
        const extra = createTarget({ name: 'extra', config: { transport: 'local' } });
        let many = '';
        try {
          getTarget('web');
        } catch (error) {
          many = (error as Error).message;
        }
        return {
          names: all.map((t) => t.name),
          role: vars('t1')['role'],
          facts: facts('t1'),
          features: getTarget('t2').features,
          canary: getTargets('canary').map((t) => t.name),
          extra: extra.name,
          many,
        };
      },
    });
    expect(await h.runner.run(plan)).toEqual({
      names: ['t1', 't2', 't3'],
      role: 'primary',
      facts: { os: { family: 'Debian', release: '12' } },
      features: ['puppet-agent'],
      canary: ['t1'],
      extra: 'extra',
      many: "'web' refers to 3 targets",
    });
  });

  it('P-28/P-29: out.message, out.verbose and log.* become events', async () => {
    h = await planHarness();
    const plan = definePlan({
      run() {
        out.message('hello');
        out.message({ a: 1 });
        out.verbose('details');
        log.warn('careful');
      },
    });
    await h.runner.run(plan);
    expect(h.events.filter((e) => e.type === 'message' || (e.type === 'log' && e.level === 'warn')).map((e) => ({ ...e, time: undefined }))).toEqual([
      { type: 'message', level: 'message', text: 'hello', time: undefined },
      { type: 'message', level: 'message', text: '{\n  "a": 1\n}', time: undefined },
      { type: 'message', level: 'verbose', text: 'details', time: undefined },
      { type: 'log', level: 'warn', text: 'careful', time: undefined },
    ]);
  });

  it('P-30: prompt without a terminal returns the default or fails with bolt/no-tty-error', async () => {
    h = await planHarness();
    const plan = definePlan({
      async run() {
        const answer = await prompt('Continue?', { default: 'yes' });
        const secret = await prompt('Token', { sensitive: true, default: 's3cret' });
        const none = await catchErrors(() => prompt('Name'));
        return { answer, secret: secret instanceof Sensitive ? secret.unwrap() : 'no', kind: (none as RivetError).kind };
      },
    });
    expect(await h.runner.run(plan)).toEqual({ answer: 'yes', secret: 's3cret', kind: 'bolt/no-tty-error' });
  });

  it('SDK functions throw a clear error outside a plan', async () => {
    expect(() => getTargets('web')).toThrow(/getTargets\(\) was called outside a running plan: run it with `rivet plan run` or `runPlan\(\)`/);
    await expect(runCommand('true', 'web')).rejects.toThrow(/runCommand\(\) was called outside a running plan/);
  });
});

describe('parameters', () => {
  const plan = definePlan({
    params: { targets: 'TargetSpec', version: 'String[1]', restart: { type: 'Boolean', default: true }, token: 'Optional[Sensitive[String]]' },
    run: (args) => ({ names: args.targets.map((t) => t.name), version: args.version, restart: args.restart, token: args.token instanceof Sensitive }),
  });

  it('P-40: TargetSpec params are resolved through the inventory; defaults applied; Sensitive wrapped (P-41)', async () => {
    h = await planHarness();
    expect(await h.runner.run(plan, { targets: 'web', version: '1.2', token: 'x' })).toEqual({ names: ['t1', 't2'], version: '1.2', restart: true, token: true });
    expect(h.events.find((e) => e.type === 'plan_start')).toMatchObject({ params: { targets: 'web', version: '1.2' } });
  });

  it('P-40: missing and unknown parameters fail before the plan runs', async () => {
    h = await planHarness();
    const error = await errorOf(h.runner.run(plan, { targets: 'web', versoin: '1' }));
    expect(error.kind).toBe('bolt/pal-error');
    expect(error.message).toContain("unknown parameter 'versoin' (did you mean 'version'?)");
    expect(error.message).toContain("missing required parameter 'version'");
  });

  it('P-40: values are checked against their Puppet types with the shared parser (T-13 messages)', async () => {
    h = await planHarness();
    const p = definePlan({ params: { port: 'Integer[1, 65535]', mode: 'Enum[fast, safe]', hosts: 'Optional[Array[String[1]]]' }, run: (a) => a });
    expect(await h.runner.run(p, { port: 80, mode: 'safe', hosts: ['a'] })).toEqual({ port: 80, mode: 'safe', hosts: ['a'] });
    const error = await errorOf(h.runner.run(p, { port: 'eighty', mode: 'slow', hosts: [''] }));
    expect(error.message.split('\n')).toEqual([
      "run.test: parameter 'port' expects an Integer[1, 65535], got \"eighty\"",
      expect.stringMatching(/^run\.test: parameter 'mode' expects an Enum\[/),
      expect.stringMatching(/^run\.test: parameter 'hosts' index 0 expects a String\[1\]/),
    ]);
  });

  it('JSON Schema parameters are validated with ajv', async () => {
    h = await planHarness();
    const p = definePlan({ params: { mode: { schema: { type: 'string', enum: ['fast', 'safe'] } } }, run: ({ mode }) => mode });
    expect(await h.runner.run(p, { mode: 'fast' })).toBe('fast');
    await expect(h.runner.run(p, { mode: 'slow' })).rejects.toThrow(/parameter 'mode' does not match its schema: must be equal to one of the allowed values/);
  });

  it('a broken JSON Schema is an error naming the parameter; format is only an annotation', async () => {
    h = await planHarness();
    const broken = definePlan({ params: { mode: { schema: { type: 'string', requird: ['x'] } } }, run: ({ mode }) => mode });
    await expect(h.runner.run(broken, { mode: 'x' })).rejects.toThrow(/parameter 'mode' has an invalid JSON Schema: strict mode: unknown keyword: "requird"/);
    const email = definePlan({ params: { to: { schema: { type: 'string', format: 'email' } } }, run: ({ to }) => to });
    expect(await h.runner.run(email, { to: 'ops@example.com' })).toBe('ops@example.com');
  });
});

describe('isolation', () => {
  it('two runs in one process do not share state', async () => {
    h = await planHarness({ count: 1 });
    const other = await planHarness({ count: 3 });
    try {
      const plan = definePlan({
        async run() {
          await ctrl.sleep(50);
          return getTargets('web').length;
        },
      });
      const [a, b] = await Promise.all([h.runner.run(plan), other.runner.run(plan)]);
      expect([a, b]).toEqual([1, 3]);
    } finally {
      await other.close();
    }
  });
});

describe('more options', () => {
  it('onFailure "continue" on one step only: later steps skip its failed targets, the plan fails at the end', async () => {
    h = await planHarness({ count: 3 });
    const names: string[][] = [];
    const plan = definePlan({
      async run() {
        const first = await runCommand('exit 1', 't2', { onFailure: 'continue' });
        names.push(first.errorSet.names);
        names.push((await runCommand('true', 'web', { onFailure: 'continue' })).names);
        return 'ok';
      },
    });
    const error = await errorOf(h.runner.run(plan));
    expect(names).toEqual([['t2'], ['t1', 't3']]);
    expect(error.message).toMatch(/failed on 1 target/);
  });

  it('P-30: prompt through the runner\'s prompter; sensitive answers come back as Sensitive', async () => {
    const asked: string[] = [];
    h = await planHarness({ runner: { prompt: async (text, { sensitive }) => (asked.push(`${text}|${sensitive}`), sensitive ? 'pw' : '') } });
    const plan = definePlan({
      async run() {
        const name = await prompt('Name', { default: 'anon' });
        const pw = await prompt('Password', { sensitive: true });
        return { name, pw: pw.unwrap(), shown: JSON.stringify(pw) };
      },
    });
    expect(await h.runner.run(plan)).toEqual({ name: 'anon', pw: 'pw', shown: '"Sensitive [value redacted]"' });
    expect(asked).toEqual(['Name [anon]: |false', 'Password: |true']);
  });
});

describe('cancellation', () => {
  it('aborting the run (Ctrl-C in the CLI, the runtime signal in an application) cancels running steps', async () => {
    const controller = new AbortController();
    h = await planHarness({ signal: controller.signal, runner: { signal: controller.signal } });
    const plan = definePlan({ run: () => runCommand('sleep 30', 'web') });
    setTimeout(() => controller.abort(), 300);
    const t0 = Date.now();
    const error = await errorOf(h.runner.run(plan));
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(error.kind).toBe('bolt/run-failure');
    expect((error as unknown as { resultSet: ResultSet }).resultSet.map((r) => r.error()?.kind)).toEqual(['rivet/canceled', 'rivet/canceled']);
  });
});
