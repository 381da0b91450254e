/**
 * Type tests of the SDK with an augmented TaskRegistry/PlanRegistry, as generated declarations
 * (issue 5) will write them. Checked by `tsc -p tsconfig.types.json` (a separate program, so the
 * augmentation does not leak into the untyped-mode code of the repository).
 */
import { expectTypeOf } from 'vitest';
import { runPlan, runTask, runTaskWith, type ResultSet } from 'rivetops';

declare module 'rivetops' {
  interface TaskRegistry {
    package: {
      params: { action: 'install' | 'uninstall' | 'status'; name: string; version?: string };
      result: { status: string; version?: string };
    };
    facts: { params: { verbose?: boolean }; result: { os: { family: string } } };
  }
  interface PlanRegistry {
    'site::verify': { params: { targets: string; url?: string }; result: { ok: boolean } };
  }
}

export async function typedMode(): Promise<void> {
  const set = await runTask('package', 'web', { action: 'install', name: 'nginx' });
  expectTypeOf(set).toEqualTypeOf<ResultSet<{ status: string; version?: string }>>();
  expectTypeOf(set.first!.value.status).toEqualTypeOf<string>();
  await runTask('package', 'web', { action: 'status', name: 'nginx', version: '1.2' }, { noop: true });

  // No required params: params may be left out.
  const facts = await runTask('facts', 'web');
  expectTypeOf(facts.first!.value.os.family).toEqualTypeOf<string>();

  // @ts-expect-error unknown task name
  await runTask('pakage', 'web', { action: 'install', name: 'nginx' });
  // @ts-expect-error missing required param 'name'
  await runTask('package', 'web', { action: 'install' });
  // @ts-expect-error params required when the task has required params
  await runTask('package', 'web');
  // @ts-expect-error unknown param
  await runTask('package', 'web', { action: 'install', name: 'nginx', force: true });
  // @ts-expect-error wrong value type (enum)
  await runTask('package', 'web', { action: 'upgrade', name: 'nginx' });
  // @ts-expect-error wrong value type (string)
  await runTask('package', 'web', { action: 'install', name: 42 });

  await runTaskWith('package', 'web', (t) => ({ action: 'install', name: t.name }));
  // @ts-expect-error per-target params are checked too
  await runTaskWith('package', 'web', (t) => ({ action: 'install', nam: t.name }));

  expectTypeOf(await runPlan('site::verify', { targets: 'web' })).toEqualTypeOf<{ ok: boolean }>();
  // @ts-expect-error unknown plan
  await runPlan('site::verfy', { targets: 'web' });
  // @ts-expect-error missing required plan param
  await runPlan('site::verify', {});
}
