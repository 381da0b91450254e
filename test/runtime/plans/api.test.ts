/** The application API: runPlan from 'rivetops/runtime' with inline options or a given runtime, events, typed results. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RivetEvent } from '../../../src/core/events.ts';
import { Sensitive } from '../../../src/core/result.ts';
import { createRuntime, runPlan } from '../../../src/runtime/index.ts';
import { definePlan, runCommand } from '../../../src/sdk/index.ts';

const plan = definePlan({
  params: { targets: 'TargetSpec', word: 'String[1]' },
  async run({ targets, word }) {
    const set = await runCommand(`echo ${word}`, targets);
    return set.map((r) => String(r.value['stdout']).trim());
  },
});

describe('application API', () => {
  it('runs a plan from inline options (inventory object), creating and closing the runtime', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rivet-app-'));
    const result = await runPlan(plan, { targets: 'all', word: 'inline' }, { cwd, env: {}, inventory: { targets: [{ name: 'a', config: { transport: 'local' } }] } });
    expectTypeOf(result).toEqualTypeOf<string[]>();
    expect(result).toEqual(['inline']);
  });

  it('runs two plans at once on two runtimes, each with its own events', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rivet-app-'));
    const make = (names: string[]) => createRuntime({ cwd, env: {}, inventory: { targets: names.map((name) => ({ name, config: { transport: 'local' } })) } });
    await using one = await make(['a']);
    await using two = await make(['b', 'c']);
    const seen: Record<string, RivetEvent['type'][]> = { one: [], two: [] };
    one.events.on((e) => seen['one']!.push(e.type));
    two.events.on((e) => seen['two']!.push(e.type));
    const [r1, r2] = await Promise.all([runPlan(plan, { targets: 'all', word: 'one' }, { runtime: one }), runPlan(plan, { targets: 'all', word: 'two' }, { runtime: two })]);
    expect([r1, r2]).toEqual([['one'], ['two', 'two']]);
    expect(seen['one']!.filter((t) => t === 'target_finish')).toHaveLength(1);
    expect(seen['two']!.filter((t) => t === 'target_finish')).toHaveLength(2);
    expect(seen['one']![0]).toBe('plan_start');
    expect(seen['one']!.at(-1)).toBe('plan_finish');
  });

  it('P-41: sensitive plan parameters never reach the event stream', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'rivet-app-'));
    await using runtime = await createRuntime({ cwd, env: {}, inventory: { targets: [{ name: 'a', config: { transport: 'local' } }] } });
    const events: RivetEvent[] = [];
    runtime.events.on((e) => events.push(e));
    const secretive = definePlan({
      params: { password: { type: 'String', sensitive: true }, token: 'Sensitive[String]', user: 'String' },
      async run({ user }) {
        return user;
      },
    });
    await runPlan(secretive, { password: 'hunter2-plain', token: new Sensitive('tok3n-wrapped'), user: 'bob' }, { runtime });
    const text = JSON.stringify(events);
    expect(text).not.toContain('hunter2-plain');
    expect(text).not.toContain('tok3n-wrapped');
    expect(events[0]).toMatchObject({ type: 'plan_start', params: { password: 'Sensitive [value redacted]', token: 'Sensitive [value redacted]', user: 'bob' } });
  });
});
