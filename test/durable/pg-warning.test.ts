/**
 * A durable run prints no DeprecationWarning: DBOS's per-connection `SET
 * idle_in_transaction_session_timeout` query (which pg 8 warns about when the borrower's first
 * query lands on the same busy client) is replaced by the same setting in the URL's libpq
 * `options`, applied by the server at start-up. Against Debian's PostgreSQL.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemDatabaseUrl } from '../../src/runtime/durable/system-db-url.ts';
import { makeProject } from '../cli/helpers.ts';
import { postgresBinDir, postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { SDK, spawnRivet } from './helpers.ts';

describe('the system-database URL', () => {
  it('sets idle_in_transaction_session_timeout through libpq options, keeping any options it has', () => {
    expect(systemDatabaseUrl('postgres://rivet@db:5432/rivet')).toBe('postgres://rivet@db:5432/rivet?options=-c%20idle_in_transaction_session_timeout%3D60000');
    expect(new URL(systemDatabaseUrl('postgres://db/r?options=-c%20search_path%3Dx&sslmode=disable')).searchParams.get('options')).toBe('-c search_path=x -c idle_in_transaction_session_timeout=60000');
    const own = 'postgres://db/r?options=-c%20idle_in_transaction_session_timeout%3D5000';
    expect(systemDatabaseUrl(own)).toBe(own);
  });
});

const skip = postgresSkipReason();
describe.skipIf(skip !== undefined)('durable runs and pg warnings', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('the server applies the timeout given in the URL', async () => {
    // psql is libpq, as DBOS's pg reads the same `options` parameter.
    const { stdout } = await promisify(execFile)(join(postgresBinDir()!, 'psql'), [systemDatabaseUrl(server.url), '-Atc', 'SHOW idle_in_transaction_session_timeout']);
    expect(stdout.trim()).toBe('1min');
  });

  it(
    'a durable plan run prints no DeprecationWarning',
    async () => {
      const dir = await makeProject({
        'package.json': '{ "type": "module" }\n',
        'rivet-project.yaml': 'name: demo\n',
        'inventory.yaml': 'targets:\n  - name: localhost\n    config: { transport: local }\n',
        'plans/plain.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) { return (await runCommand('echo plain', targets)).first?.value['stdout']; } });
`,
      });
      const run = spawnRivet(['plan', 'run', 'demo::plain', 'targets=localhost', '--durable', server.url], dir);
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toContain('plain');
      expect(run.stderr()).toContain('Durable run ');
      expect(run.stderr()).not.toMatch(/Warning/);
    },
    300_000,
  );
});
