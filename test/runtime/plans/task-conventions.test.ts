/**
 * Task invocation rules a Bolt plan relies on, from a Puppet-language plan on local targets:
 * T-29 (POSIX tasks: no arguments; a file without a shebang still runs, in `sh`, as Bolt's
 * `sh -c <path>` runs it), T-42 (`_env_vars` is ignored by `run_task`, honoured by
 * `run_command`/`run_script`; Bolt 3.30 has no `_timeout`, Rivet reads it as a step timeout in
 * seconds). Bolt 3.30: `lib/bolt/shell/bash.rb` `run_task`, `boltlib/functions/run_task.rb`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planHarness, type PlanHarness } from './helpers.ts';

let h: PlanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FILES = {
  'rivet-project.yaml': 'name: site\n',
  'modules/mod/tasks/noshebang.sh': 'echo "args=$# shell=$(ps -o comm= -p $$)"\n',
  'modules/mod/tasks/env.sh': '#!/bin/sh\necho "FOO=${FOO:-unset} PT_x=${PT_x:-unset}"\n',
  'plans/conv.pp': `plan site::conv() {
  $noshebang = run_task('mod::noshebang', 't1')[0].value['_output']
  $task_env = run_task('mod::env', 't1', 'x' => 'y', '_env_vars' => { 'FOO' => 'bar' })[0].value['_output']
  $cmd_env = run_command('echo "FOO=$FOO"', 't1', '_env_vars' => { 'FOO' => 'bar' })[0].value['stdout']
  return [$noshebang, $task_env, $cmd_env]
}
`,
  'plans/plugins.pp': `plan site::plugins(String $dir) {
  run_command("touch \${dir}/ran", 't1')
  $data = resolve_references({ '_plugin' => 'env_var', 'var' => 'HOME' })
  $c = run_container('image' => 'alpine')
}
`,
  'plans/slow.pp': `plan site::slow() {
  return run_command('sleep 30', 't1', '_timeout' => 1, '_catch_errors' => true)[0].error.kind
}
`,
};

describe('Bolt task conventions', () => {
  it('T-29/T-42: a POSIX task gets no arguments and runs without a shebang; _env_vars reaches commands but not tasks', async () => {
    h = await planHarness({ files: FILES, count: 1 });
    const [noshebang, taskEnv, cmdEnv] = (await h.runner.run('site::conv')) as string[];
    expect(noshebang).toMatch(/^args=0 shell=(sh|dash|bash)\n$/);
    expect(taskEnv).toBe('FOO=unset PT_x=y\n');
    expect(cmdEnv).toBe('FOO=bar\n');
  });

  it('P-26/P-37: resolve_references and run_container are refused before any step runs, naming file:line', async () => {
    h = await planHarness({ files: FILES, count: 1 });
    const error = (await h.runner.run('site::plugins', { dir: h.dir }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/plugins\.pp:3.*resolve_references.*needs Bolt plugins/s);
    expect(error.message).toMatch(/plugins\.pp:4.*run_container/s);
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${h.dir}/ran`)).toBe(false);
  });

  it("T-42: '_timeout' (not in Bolt 3.30) is Rivet's step timeout, in seconds", async () => {
    h = await planHarness({ files: FILES, count: 1 });
    expect(await h.runner.run('site::slow')).toBe('rivet/timeout');
  }, 60_000);
});
