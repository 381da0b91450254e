/**
 * Type tests of the SDK in untyped mode (empty TaskRegistry/PlanRegistry), checked by `tsc` as part
 * of `npm test`. Nothing here runs: the functions are only type-checked.
 */
import { expectTypeOf } from 'vitest';
import {
  definePlan,
  runCommand,
  runPlan,
  runTask,
  runTaskWith,
  rollout,
  sh,
  type FromPuppet,
  type RolloutReport,
  type ShellCommand,
  type JsonObject,
  type JsonValue,
  type ResultSet,
  type RivetError,
  type RunArgs,
  type CallerParams,
  type Sensitive,
  type Target,
  type TargetSpec,
} from 'rivetops';

// FromPuppet: the forms plan parameters use.
expectTypeOf<FromPuppet<'String'>>().toEqualTypeOf<string>();
expectTypeOf<FromPuppet<'String[1, 10]'>>().toEqualTypeOf<string>();
expectTypeOf<FromPuppet<'Integer[1, 65535]'>>().toEqualTypeOf<number>();
expectTypeOf<FromPuppet<'Float'>>().toEqualTypeOf<number>();
expectTypeOf<FromPuppet<'Numeric'>>().toEqualTypeOf<number>();
expectTypeOf<FromPuppet<'Boolean'>>().toEqualTypeOf<boolean>();
expectTypeOf<FromPuppet<"Enum[install, 'remove', \"purge\"]">>().toEqualTypeOf<'install' | 'remove' | 'purge'>();
expectTypeOf<FromPuppet<'Pattern[/^[a-z]+$/, /x/]'>>().toEqualTypeOf<string>();
expectTypeOf<FromPuppet<'Optional[String[1]]'>>().toEqualTypeOf<string | undefined>();
expectTypeOf<FromPuppet<'Array[String]'>>().toEqualTypeOf<string[]>();
expectTypeOf<FromPuppet<'Array[Integer, 1, 5]'>>().toEqualTypeOf<number[]>();
expectTypeOf<FromPuppet<'Array[Array[Boolean]]'>>().toEqualTypeOf<boolean[][]>();
expectTypeOf<FromPuppet<'Hash[String, Integer]'>>().toEqualTypeOf<Record<string, number>>();
expectTypeOf<FromPuppet<'Hash[String, Array[String]]'>>().toEqualTypeOf<Record<string, string[]>>();
expectTypeOf<FromPuppet<'Variant[String, Integer]'>>().toEqualTypeOf<string | number>();
expectTypeOf<FromPuppet<'Variant[Enum[a, b], Array[Enum[c]]]'>>().toEqualTypeOf<'a' | 'b' | 'c'[]>();
expectTypeOf<FromPuppet<'TargetSpec'>>().toEqualTypeOf<TargetSpec>();
expectTypeOf<FromPuppet<'TargetSpec', 'in'>>().toEqualTypeOf<Target[]>();
expectTypeOf<FromPuppet<'Sensitive[String]'>>().toEqualTypeOf<Sensitive<string>>();
expectTypeOf<FromPuppet<'Data'>>().toEqualTypeOf<JsonValue>();
expectTypeOf<FromPuppet<'Tuple[String, Integer]'>>().toEqualTypeOf<[string, number]>();
expectTypeOf<FromPuppet<"Struct[{name => String, Optional['port'] => Integer}]">>().toEqualTypeOf<{ name: string; port?: number }>();
expectTypeOf<FromPuppet<string>>().toEqualTypeOf<unknown>();

// Parameter declarations: what run receives and what callers pass.
const params = {
  targets: 'TargetSpec',
  version: 'String[1]',
  restart: { type: 'Boolean', default: true },
  note: 'Optional[String]',
  mode: { schema: { type: 'string', enum: ['fast', 'safe'] }, default: 'safe' },
  limits: { schema: { type: 'object', properties: { cpu: { type: 'number' }, name: { type: 'string' } }, required: ['cpu'] } },
  tags: { schema: { type: 'array', items: { type: 'string' } }, optional: true },
} as const;
expectTypeOf<RunArgs<typeof params>>().toEqualTypeOf<{
  targets: Target[];
  version: string;
  restart: boolean;
  mode: 'fast' | 'safe';
  limits: { cpu: number; name?: string };
  note?: string | undefined;
  tags?: string[];
}>();
expectTypeOf<CallerParams<typeof params>>().toEqualTypeOf<{
  targets: TargetSpec;
  version: string;
  limits: { cpu: number; name?: string };
  restart?: boolean;
  note?: string | undefined;
  mode?: 'fast' | 'safe';
  tags?: string[];
}>();

// definePlan infers run's argument from the declaration.
const deploy = definePlan({
  params: { targets: 'TargetSpec', version: 'String[1]', restart: { type: 'Boolean', default: true } },
  async run({ targets, version, restart }) {
    expectTypeOf(targets).toEqualTypeOf<Target[]>();
    expectTypeOf(version).toEqualTypeOf<string>();
    expectTypeOf(restart).toEqualTypeOf<boolean>();
    return { deployed: version, count: targets.length };
  },
});
const noParams = definePlan({ run: () => 42 });

export async function untypedMode(): Promise<void> {
  // Untyped tasks: any name, any params, params optional; JSON result values.
  const set = await runTask('anything::at_all', 'web', { any: 1, thing: ['x'] }, { noop: true, timeout: 5_000 });
  expectTypeOf(set).toEqualTypeOf<ResultSet<JsonObject>>();
  await runTask('facts', 'web');
  await runTaskWith('x', ['web1'], (t) => ({ host: t.name }));
  expectTypeOf(await runCommand('uptime', 'web')).toEqualTypeOf<ResultSet>();

  // Plans by object: typed params and result.
  const r = await runPlan(deploy, { targets: 'web', version: '1.2' });
  expectTypeOf(r).toEqualTypeOf<{ deployed: string; count: number }>();
  const caught = await runPlan(deploy, { targets: 'web', version: '1.2' }, { catchErrors: true });
  expectTypeOf(caught).toEqualTypeOf<{ deployed: string; count: number } | RivetError>();
  // @ts-expect-error missing the required version
  await runPlan(deploy, { targets: 'web' });
  // @ts-expect-error params are required when the plan has required params
  await runPlan(deploy);
  // @ts-expect-error wrong type
  await runPlan(deploy, { targets: 'web', version: 1 });
  // @ts-expect-error unknown parameter
  await runPlan(deploy, { targets: 'web', version: '1', bogus: true });
  expectTypeOf(await runPlan(noParams)).toEqualTypeOf<number>();
  // Plans by name in untyped mode: anything goes, unknown result.
  expectTypeOf(await runPlan('site::verify', { x: 1 })).toEqualTypeOf<unknown>();

  // sh: the typed way to build commands; strings still work.
  const dir = '/srv/app';
  const cmd = sh`mkdir -p ${dir}/releases ${['a', 'b']} ${3} ${sh.raw('| wc -l')} ${sh`echo ${dir}`}`;
  expectTypeOf(cmd).toEqualTypeOf<ShellCommand>();
  expectTypeOf(await runCommand(cmd, 'web')).toEqualTypeOf<ResultSet>();
  // @ts-expect-error objects are no shell words
  sh`echo ${{ a: 1 }}`;
  // @ts-expect-error undefined is no shell word
  sh`echo ${undefined}`;
  // @ts-expect-error a command is a string or an sh command
  await runCommand(['ls'], 'web');

  // rollout: the report is typed by the callback's value.
  const report = await rollout('web', async (batch, info) => ({ n: batch.length, i: info.index }), { batches: [1, '10%', '100%'], failureBudget: '5%', pauseMs: 10 });
  expectTypeOf(report).toEqualTypeOf<RolloutReport<{ n: number; i: number }>>();
  expectTypeOf(report.batches[0]!.value).toEqualTypeOf<{ n: number; i: number } | undefined>();
  expectTypeOf(report.untouched).toEqualTypeOf<Target[]>();
  // @ts-expect-error a percentage needs its % sign
  await rollout('web', () => 1, { batches: ['10'] });
  // @ts-expect-error the health check gets the batch, and returns a boolean (or nothing)
  await rollout('web', () => 1, { healthCheck: () => 'yes' });
}
