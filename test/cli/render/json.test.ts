import { describe, expect, it } from 'vitest';
import { Result, ResultSet } from '../../../src/core/result.ts';
import { jsonEnvelope } from '../../../src/cli/render/json.ts';
import { makeTarget } from '../../helpers/targets.ts';

describe('--format json envelope', () => {
  it('C-09: a value JSON cannot hold fails its own target; the others are printed', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const set = new ResultSet([
      new Result({ target: makeTarget({ name: 'bad' }), action: 'task', object: 'demo', value: deep }),
      new Result({ target: makeTarget({ name: 'good' }), action: 'task', object: 'demo', value: { ok: true } }),
    ]);
    const doc = JSON.parse(jsonEnvelope(set, 0)) as { items: { target: string; status: string; value: Record<string, { kind?: string }> }[] };
    expect(doc.items[0]?.status).toBe('failure');
    expect(doc.items[0]?.value['_error']?.kind).toBe('rivet/unprintable-result');
    expect(doc.items[1]?.value).toEqual({ ok: true });
  });
});
