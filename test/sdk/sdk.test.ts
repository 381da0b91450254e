/** SDK pieces that need no runtime: caller locations, entry-point detection, errors, results, context storage (P-33..P-36). */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Result, ResultSet, Sensitive, type ResultValue } from '../../src/core/result.ts';
import { readFileSync } from 'node:fs';
import { callerLocation, parseFrame, userStack } from '../../src/sdk/location.ts';
import { isEntryPoint } from '../../src/sdk/plan.ts';
import { planContextStorage } from '../../src/sdk/context.ts';
import { ParallelFailure, PlanFailure, RunFailure, definePlan, isPlan } from '../../src/sdk/index.ts';
import { localTarget, makeTarget } from '../helpers/targets.ts';

const FILE = fileURLToPath(import.meta.url);

describe('locations', () => {
  it('parses V8 frames, file URLs included', () => {
    expect(parseFrame('    at run (/srv/site/plans/deploy.ts:12:9)')).toEqual({ file: '/srv/site/plans/deploy.ts', line: 12, column: 9 });
    expect(parseFrame('    at file:///srv/site/plans/deploy.ts:3:1')).toEqual({ file: '/srv/site/plans/deploy.ts', line: 3, column: 1 });
    expect(parseFrame('    at new Promise (<anonymous>)')).toBeUndefined();
    expect(parseFrame('    at <anonymous> (/srv/My Site/plans/deploy.ts:1:13)')).toEqual({ file: '/srv/My Site/plans/deploy.ts', line: 1, column: 13 });
    expect(parseFrame('    at /srv/My Site/plans/deploy.ts:2:5')).toEqual({ file: '/srv/My Site/plans/deploy.ts', line: 2, column: 5 });
    expect(parseFrame('    at file:///srv/My%20Site/plans/deploy.ts:3:1')).toEqual({ file: '/srv/My Site/plans/deploy.ts', line: 3, column: 1 });
    expect(parseFrame('    at async Promise.all (index 0)')).toBeUndefined();
  });

  it('finds the first frame outside Rivet (the .ts line, through source maps)', () => {
    const here = callerLocation(); // LOCATION-MARK
    expect(here?.file).toBe(FILE);
    expect(here?.line).toBe(readFileSync(FILE, 'utf8').split('\n').findIndex((l) => l.includes('// LOCATION-MARK')) + 1);
  });

  it("userStack keeps the message and the user's frames, dropping Rivet's (src/ and dist/), node_modules and Node's", () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const stack = [
      'TypeError: boom',
      '  second line of the message',
      '    at Object.run (/site/plans/deploy.ts:12:11)',
      `    at Object.run (file://${root}dist/sdk/plan.js:45:42)`,
      `    at run (${root}src/runtime/plans/run.ts:87:74)`,
      '    at AsyncLocalStorage.run (node:async_hooks:346:14)',
      '    at x (/site/node_modules/commander/lib/command.js:1:1)',
      '    at helper (/site/plans/lib.ts:3:5)',
    ].join('\n');
    expect(userStack(stack)).toBe(['TypeError: boom', '  second line of the message', '    at Object.run (/site/plans/deploy.ts:12:11)', '    at helper (/site/plans/lib.ts:3:5)'].join('\n'));
    expect(callerLocation(['Error', `    at f (${root}dist/sdk/steps.js:1:1)`, '    at g (/site/plans/x.ts:4:2)'].join('\n'))).toEqual({ file: '/site/plans/x.ts', line: 4, column: 2 });
  });

  it('recognises the entry point (npx tsx plans/x.ts) by real path', () => {
    expect(isEntryPoint('/a/b/plans/deploy.ts', '/a/b/plans/deploy.ts')).toBe(true);
    expect(isEntryPoint('/a/b/plans/deploy.ts', 'file:///a/b/plans/deploy.ts')).toBe(true);
    expect(isEntryPoint('/a/b/plans/deploy.ts', '/a/b/plans/other.ts')).toBe(false);
    expect(isEntryPoint('/a/b/plans/deploy.ts', undefined)).toBe(false);
  });

  it('definePlan records its file and does not run when imported', () => {
    const plan = definePlan({ run: () => 1 });
    expect(isPlan(plan)).toBe(true);
    expect(plan.file).toBe(FILE);
    expect(isPlan({ run: () => 1 })).toBe(false);
  });
});

describe('context storage', () => {
  it('lives on globalThis under Symbol.for, so duplicate installs share it', () => {
    const storage = planContextStorage();
    expect((globalThis as unknown as Record<symbol, unknown>)[Symbol.for('rivet.planContext')]).toBe(storage);
  });
});

describe('errors (P-36)', () => {
  const t1 = localTarget();
  const t2 = makeTarget({ name: 'web2' });
  const set = new ResultSet<ResultValue>([
    new Result({ target: t1, action: 'command', object: 'x', value: { exit_code: 0 } }),
    new Result({ target: t2, action: 'command', object: 'x', value: { _error: { kind: 'puppetlabs.tasks/command-error', msg: 'exit 1', details: {} } } }),
  ]);

  it('RunFailure: bolt/run-failure with action, object, result_set and location', () => {
    const e = new RunFailure(set, 'command', 'x', { file: '/p/plan.ts', line: 4 });
    expect(e.resultSet).toBe(set);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      kind: 'bolt/run-failure',
      msg: "command 'x' failed on 1 target (/p/plan.ts:4): web2: exit 1",
      details: { action: 'command', object: 'x', result_set: set.toJSON(), file: '/p/plan.ts', line: 4 },
    });
  });

  it('PlanFailure and ParallelFailure', () => {
    expect(new PlanFailure('bad', 'my/kind', { details: { a: 1 }, issueCode: 'X' }).toJSON()).toEqual({ kind: 'my/kind', msg: 'bad', details: { a: 1 }, issue_code: 'X' });
    const p = new ParallelFailure([1, new PlanFailure('no')], [1]);
    expect(p.toJSON()).toMatchObject({ kind: 'bolt/parallel-failure', details: { action: 'parallelize', failed_indices: [1] } });
  });
});

describe('results (P-33..P-35)', () => {
  const t1 = localTarget();
  const t2 = makeTarget({ name: 'web2' });
  const ok = new Result({ target: t1, action: 'task', object: 'facts', value: { os: 'linux', secret: new Sensitive('pw'), _output: 'text' } });
  const bad = new Result({ target: t2, action: 'task', object: 'facts', value: { _error: { kind: 'k', msg: 'm', details: {} } } });
  const set = new ResultSet<ResultValue>([ok, bad]);

  it('Result: ok, status, error(), message, to_data with Sensitive redacted', () => {
    expect([ok.ok, ok.status, bad.ok, bad.status]).toEqual([true, 'success', false, 'failure']);
    expect(bad.error()?.kind).toBe('k');
    expect(ok.message).toBe('text');
    expect(JSON.parse(JSON.stringify(ok))).toEqual({ target: 'localhost', action: 'task', object: 'facts', status: 'success', value: { os: 'linux', secret: 'Sensitive [value redacted]', _output: 'text' } });
  });

  it('ResultSet: iterable, okSet/errorSet/filterSet/find/first/names/targets/slice, to_data array', () => {
    expect([...set].length).toBe(2);
    expect(set.okSet.names).toEqual(['localhost']);
    expect(set.errorSet.names).toEqual(['web2']);
    expect(set.filterSet((r) => r.target.name === 'web2').first).toBe(bad);
    expect(set.find('web2')).toBe(bad);
    expect(set.targets.map((t) => t.name)).toEqual(['localhost', 'web2']);
    expect(set.slice(1).names).toEqual(['web2']);
    expect([set.ok, set.count, set.empty]).toEqual([false, 2, false]);
    expect(JSON.parse(JSON.stringify(set))).toHaveLength(2);
  });
});
