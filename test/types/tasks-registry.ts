/**
 * Type tests of generated declarations, checked by `tsc` in `npm test`: the positive calls must
 * compile and every `@ts-expect-error` line must be an error (else the build fails).
 *
 * `tasks-fixture.gen.ts` is generated from test/fixtures/modules (+ built-ins) against the
 * contract model `tasks-sdk.ts` (test/codegen/drift.test.ts keeps it current). Nothing here runs.
 */
import { Sensitive } from '../../src/core/result.ts';
import type { Tasks } from './tasks-fixture.gen.ts';
import { runTask, runTaskWith, type JsonObject, type JsonValue } from './tasks-sdk.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

export async function positive(): Promise<void> {
  await runTask('package', 'web', { action: 'install', name: 'nginx' });
  await runTask('package', ['web', 'db'], { action: 'status', name: 'openssl', version: null, refresh: true }, { noop: true });
  // No required parameters: the argument may be left out.
  await runTask('facts', 'web');
  await runTask('demo::no_params', 'web', {});
  // No `parameters` key: anything JSON.
  await runTask('demo', 'web', { anything: [1, 'two'], nested: { x: null } });
  // Defaults and Optional make parameters optional; Optional also takes null.
  await runTask('demo::deploy', 'web', { version: '1.2' });
  await runTask('demo::deploy', 'web', { version: '1.2', environment: 'production', port: 8443, hosts: null, options: { timeout: 5 } });
  // sensitive: true takes the value or a Sensitive wrapper.
  await runTask('demo::sensitive', 'web', { user: 'me', password: 'x' });
  await runTask('demo::sensitive', 'web', { user: 'me', password: new Sensitive('x') });
  await runTaskWith('service', 'web', (t) => ({ action: 'restart', name: t.name }));

  // Typed results from extensions.rivet.output; JSON otherwise.
  const [status] = await runTask('typed::status', 'web', { name: 'nginx' });
  assertType<Equal<typeof status, { target: import('../../src/core/target.ts').Target; value: Tasks['typed::status']['result'] } | undefined>>();
  const state: 'running' | 'stopped' | undefined = status?.value.state;
  const pid: number | undefined = status?.value.pid;
  const [counted] = await runTask('typed::schema', 'web');
  const count: number | undefined = counted?.value.count;
  const [facts] = await runTask('facts', 'web');
  assertType<Equal<NonNullable<typeof facts>['value'], JsonObject>>();
  void [state, pid, count];
}

export async function mistakes(): Promise<void> {
  // @ts-expect-error unknown task name (typo)
  await runTask('pakage', 'web', { action: 'install', name: 'nginx' });
  // @ts-expect-error missing required parameter 'name'
  await runTask('package', 'web', { action: 'install' });
  // @ts-expect-error the parameters argument is required when a parameter is
  await runTask('package', 'web');
  // @ts-expect-error unknown parameter (misspelt 'version')
  await runTask('package', 'web', { action: 'install', name: 'nginx', verison: '1.2' });
  // @ts-expect-error wrong value: not one of the Enum values
  await runTask('package', 'web', { action: 'instal', name: 'nginx' });
  // @ts-expect-error wrong value type: Integer[1, 65535] is a number
  await runTask('demo::deploy', 'web', { version: '1.2', port: '8080' });
  // @ts-expect-error wrong value type inside a Struct
  await runTask('demo::deploy', 'web', { version: '1.2', options: { timeout: 'soon' } });
  // @ts-expect-error unknown key inside a Struct
  await runTask('demo::deploy', 'web', { version: '1.2', options: { timeout: 5, retry: 1 } });
  // @ts-expect-error parameters: {} accepts none
  await runTask('demo::no_params', 'web', { x: 1 });
  // @ts-expect-error a parameter without a default is not Optional: null is not a value for it
  await runTask('demo::sql', 'web', { query: null });
  // @ts-expect-error per-target parameters are checked too (misspelt 'name')
  await runTaskWith('service', 'web', (t) => ({ action: 'start', nam: t.name }));
  const [status] = await runTask('typed::status', 'web', { name: 'nginx' });
  // @ts-expect-error a declared output has exactly its keys
  void status?.value.missing;
  // @ts-expect-error Enum output values are literal unions
  const s: 'exploded' | undefined = status?.value.state;
  void s;
}

// The generated types themselves.
assertType<Equal<Tasks['package']['params']['action'], 'install' | 'uninstall' | 'upgrade' | 'status'>>();
assertType<Equal<Tasks['demo']['params'], Record<string, JsonValue>>>();
assertType<Equal<Tasks['demo::no_params']['params'], Record<string, never>>>();
assertType<Equal<Tasks['demo::sensitive']['params']['password'], string | Sensitive<string>>>();
assertType<Equal<Tasks['typed::status']['result'], { name: string; state: 'running' | 'stopped'; pid?: number }>>();
