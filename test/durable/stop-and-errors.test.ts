/**
 * The bounded stop of DBOS and the durable database's errors, without Postgres: a stop whose part
 * never settles ends at its bound with a reason; an error names the database and the source of its
 * URL, never its password.
 */
import { describe, expect, it } from 'vitest';
import { databaseError, redactUrl } from '../../src/runtime/durable/database-errors.ts';
import { stopWithin } from '../../src/runtime/durable/stop.ts';

describe('stopWithin', () => {
  it('settles with the reason when a part never settles (the later parts do not run); all parts run otherwise', async () => {
    const ran: string[] = [];
    const hung = await stopWithin(50, [() => new Promise(() => {}), async () => void ran.push('destroy')]);
    expect(hung).toEqual({ stopped: false, reason: 'the database did not answer within 50 ms' });
    expect(ran).toEqual([]);
    const failed = await stopWithin(5_000, [() => Promise.reject(new Error('lost postgres://rivet:hunter22@db/x')), async () => void ran.push('destroy')]);
    expect(failed).toEqual({ stopped: false, reason: 'lost postgres://rivet@db/x' });
    expect(ran).toEqual(['destroy']);
    expect(await stopWithin(5_000, [async () => {}])).toEqual({ stopped: true });
  });
});

describe('durable database errors', () => {
  it('name the database without its password and where the URL came from', () => {
    const url = 'postgres://rivet:s3cr%40t-pw@db.example.com:5433/runs';
    const error = databaseError('Cannot open the durable run database', new Error('password authentication failed (s3cr@t-pw)'), url, "the 'durable' setting of /srv/site/rivet-project.yaml");
    expect(error.kind).toBe('rivet/durable-unavailable');
    expect(error.message).toBe("Cannot open the durable run database postgres://rivet:***@db.example.com:5433/runs (from the 'durable' setting of /srv/site/rivet-project.yaml): password authentication failed (***)");
    expect(JSON.stringify(error.toJSON())).not.toMatch(/s3cr/);
    expect(redactUrl('see postgresql://a:b@h/d and postgres://c@h/d')).toBe('see postgresql://a:***@h/d and postgres://c@h/d');
  });
});
