/**
 * The durable step hook keys each target's recorded result on its name without a URI password:
 * two targets of one step that differ only in that password are refused up front (they would
 * share one result, and the step would wait for the other forever).
 */
import { describe, expect, it } from 'vitest';
import { makeTarget } from '../helpers/targets.ts';
import { DurableStepHook } from '../../src/runtime/durable/hook.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';

describe('durable step hook', () => {
  it('refuses two targets of one step that differ only in their URI password, naming them without it', async () => {
    const hook = new DurableStepHook({} as Runtime, new Set(), 10);
    const targets = [makeTarget({ name: 'ssh://root:first-secret@web1' }), makeTarget({ name: 'ssh://root:second-secret@web1' })];
    const step = hook.step({ action: 'command', object: 'true', targets, params: null, options: {}, location: undefined }, () => Promise.reject(new Error('not run')));
    await expect(step).rejects.toThrow(/two targets named ssh:\/\/root@web1 that differ only in their URI password/);
    await step.catch((error: unknown) => expect(JSON.stringify(error) + String(error)).not.toMatch(/first-secret|second-secret/));
  });
});
