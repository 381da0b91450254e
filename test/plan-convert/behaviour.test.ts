/**
 * Converted Bolt plans behave as Bolt says they do: each plan below is a `.pp` (or `.yaml`) file
 * in a temporary project, run by name through the runtime (translated in memory) against stubbed
 * steps (MockPlanEnvironment). The Bolt behaviour each test states is from Bolt's docs ("Writing
 * plans in the Puppet language", "Writing YAML plans") and the Puppet language specification.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockPlanEnvironment } from 'rivetops/testing';

let env: MockPlanEnvironment | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function project(files: Record<string, string>): Promise<MockPlanEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-pconv-'));
  await writeFile(join(dir, 'rivet-project.yaml'), 'name: site\n');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  env = await MockPlanEnvironment.create({ projectDir: dir, projectName: 'site', inventory: { groups: [{ name: 'web', targets: ['w1', 'w2'] }] } });
  return env;
}

describe('converted Puppet plans keep Bolt semantics', () => {
  it('values: integer division rounds down, == ignores case for strings, undef and false are the only false values, in/=~ and interpolation', async () => {
    const e = await project({
      'plans/values.pp': `plan site::values(Integer $a = 7, Integer $b = -7) {
  $results = {
    'div' => $a / 2,            # Puppet: 3 (Integer / Integer is an Integer)
    'neg_div' => $b / 2,        # Ruby rounds down: -4
    'float' => 7.0 / 2,         # 3.5
    'mod' => $b % 3,            # Ruby: 2
    'eq' => 'Web' == 'web',     # true: string == ignores case
    'empty_truthy' => if '' { 'yes' } else { 'no' },
    'zero_truthy' => if 0 { 'yes' } else { 'no' },
    'undef_falsy' => if undef { 'yes' } else { 'no' },
    'in_string' => 'EB' in 'web1',
    'in_array' => 'b' in ['a', 'B'],
    'in_hash' => 'k' in { 'k' => 1 },
    'match' => 'web01' =~ /^web\\d+$/,
    'type' => $a =~ Integer[0, 10],
    'interp' => "a=\${a} list=\${[1, 'x']} undef=[\${undef}]",
    'concat' => [1] + [2, 3],
    'merge' => { 'a' => 1 } + { 'b' => 2 },
    'remove' => [1, 2, 3, 2] - [2],
    'selector' => 'Debian' ? { /^RedHat/ => 'yum', 'debian' => 'apt', default => 'other' },
  }
  return $results
}
`,
    });
    expect(await e.run('site::values')).toEqual({
      div: 3,
      neg_div: -4,
      float: 3.5,
      mod: 2,
      eq: true,
      empty_truthy: 'yes',
      zero_truthy: 'yes',
      undef_falsy: 'no',
      in_string: true,
      in_array: true,
      in_hash: true,
      match: true,
      type: true,
      interp: "a=7 list=[1, 'x'] undef=[]",
      concat: [1, 2, 3],
      merge: { a: 1, b: 2 },
      remove: [1, 3],
      selector: 'apt',
    });
  });

  it('steps: run_task with metaparameters, run_command with _catch_errors, results by target, iteration, case, messages', async () => {
    const e = await project({
      'plans/deploy.pp': `# @summary Deploy the app
# @param version The version
plan site::deploy(TargetSpec $targets, String $version = '1.0') {
  $check = run_command('test -d /srv', $targets, '_catch_errors' => true)
  $good = $check.ok_set.targets
  run_task('package', $good, 'action' => 'install', 'name' => 'app', '_noop' => true)
  $check.error_set.each |$r| {
    out::message("failed on \${$r.target.name}: \${$r.error.message}")
  }
  $kind = case $version {
    /^1\\./: { 'old' }
    default: { 'new' }
  }
  out::message("\${kind} \${$good.map |$t| { $t.name }.join(',')}")
  return $check.error_set.names
}
`,
    });
    e.allow('command', 'test -d /srv').returnForTargets({ w2: { _error: { kind: 'x/missing', msg: 'no /srv', details: {} } } });
    e.expect('task', 'package').withParams({ action: 'install', name: 'app' });
    expect(await e.run('site::deploy', { targets: 'web' })).toEqual(['w2']);
    e.verify();
    expect(e.calls[1]).toMatchObject({ action: 'task', object: 'package', targets: ['w1'], options: { noop: true } });
    expect(e.messages).toEqual(['failed on w2: no /srv', 'old w1']);
    const { loadPlan } = await import('../../src/runtime/plans/discovery.ts');
    const plan = await loadPlan(e.runner.find('site::deploy'));
    expect(plan.description).toBe('Deploy the app');
    expect(plan.params).toMatchObject({ targets: 'TargetSpec', version: { type: 'String', default: '1.0', description: 'The version' } });
  });

  it('functions: match variables after =~ and in case options, sprintf, range, step, slice, getvar, group_by', async () => {
    // Puppet: a regexp match sets $0 (the match) and $1... (the groups) for the rest of the
    // scope, a failed match clears them; a case option that is a regexp sets them for its block.
    // sprintf is Ruby's format; range, group_by are stdlib's; step/slice are Puppet built-ins;
    // getvar('a.b.c', default) digs into the variable a.
    const e = await project({
      'plans/names.pp': `plan site::names(TargetSpec $targets, Hash $conf = { 'db' => { 'port' => 5432 } }) {
  $r = run_command('hostname', $targets)
  $found = $r.map |$res| {
    $out = $res.value['stdout']
    if $out =~ /^(\\w+)-(\\d+)$/ { "\${1}:\${2}" } else { "none:\${1}" }
  }
  $tier = case $r.first.value['stdout'] {
    /^db-(\\d+)$/: { "db \${1}" }
    /^(web|app)-\\d+$/: { "front \${1}" }
    default: { 'other' }
  }
  range('web08', 'web11').slice(2) |$pair| { out::message($pair.join('+')) }
  return {
    'found' => $found,
    'tier' => $tier,
    'label' => sprintf('%-5s|%03d|%.2f', 'ab', 7, 2.5),
    'range' => range(1, 10, 4),
    'step' => [a, b, c, d, e].step(2),
    'slice' => slice([1, 2, 3], 2),
    'port' => getvar('conf.db.port'),
    'none' => getvar('conf.cache.port', 'unset'),
    'groups' => ['a', 'bb', 'cc'].group_by |$s| { $s.length },
  }
}
`,
    });
    e.allow('command', 'hostname').returnForTargets({ w1: { stdout: 'web-12' }, w2: { stdout: 'other' } });
    expect(await e.run('site::names', { targets: 'web' })).toEqual({
      found: ['web:12', 'none:'],
      tier: 'front web',
      label: 'ab   |007|2.50',
      range: [1, 5, 9],
      step: ['a', 'c', 'e'],
      slice: [[1, 2], [3]],
      port: 5432,
      none: 'unset',
      groups: { 1: ['a'], 2: ['bb', 'cc'] },
    });
    expect(e.messages).toEqual(['web08+web09', 'web10+web11']);
  });

  it('failures: a failing step aborts the plan (RunFailure); catch_errors returns the error; fail_plan fails with kind and details', async () => {
    const e = await project({
      'plans/fails.pp': `plan site::fails(TargetSpec $targets, Boolean $explicit = false) {
  $caught = catch_errors(['bolt/run-failure']) || {
    run_command('false', $targets)
  }
  if $caught =~ Error {
    out::message("caught \${$caught.kind}")
  }
  if $explicit {
    fail_plan('Disk full', 'site/disk-full', { 'free' => 0 })
  }
  run_command('false', $targets)
  out::message('not reached')
}
`,
    });
    e.allow('command', 'false').errorWith({ kind: 'x/failed', msg: 'exit 1' });
    await expect(e.run('site::fails', { targets: 'w1', explicit: true })).rejects.toMatchObject({ kind: 'site/disk-full', details: { free: 0 } });
    await expect(e.run('site::fails', { targets: 'w1' })).rejects.toMatchObject({ kind: 'bolt/run-failure' });
    expect(e.messages).toEqual(['caught bolt/run-failure', 'caught bolt/run-failure']);
  });

  it('parallelize runs the block per item and returns the values in order; background/wait return the block values', async () => {
    const e = await project({
      'plans/par.pp': `plan site::par(TargetSpec $targets) {
  $names = parallelize($targets) |$t| {
    run_command('hostname', $t)
    $t.name
  }
  $f = background('later') || { 'done' }
  $waited = wait($f)
  return [$names, $waited]
}
`,
    });
    e.allow('command', 'hostname');
    expect(await e.run('site::par', { targets: 'web' })).toEqual([['w1', 'w2'], ['done']]);
    expect(e.calls.map((c) => c.targets)).toEqual([['w1'], ['w2']]);
  });

  it('a YAML plan: steps run in order, named step results are variables, return is evaluated (Bolt P-43)', async () => {
    const e = await project({
      'plans/yaml_deploy.yaml': `parameters:
  targets:
    type: TargetSpec
  version:
    type: String
    default: "2.0"
steps:
  - name: check
    command: test -d /srv
    targets: $targets
    catch_errors: true
  - message: "checking \${version}"
  - name: installed
    task: package
    targets: $check.ok_set.targets
    parameters:
      action: install
      name: app
    run_as: root
  - name: doubled
    eval: |
      $n = $installed.count
      $n * 2
return:
  installed: $installed.names
  doubled: $doubled
`,
    });
    e.allow('command').returnForTargets({ w1: { _error: { kind: 'x', msg: 'no', details: {} } } });
    e.allow('task', 'package');
    expect(await e.run('site::yaml_deploy', { targets: 'web' })).toEqual({ installed: ['w2'], doubled: 2 });
    expect(e.calls[1]).toMatchObject({ object: 'package', targets: ['w2'], params: { action: 'install', name: 'app' }, options: { runAs: 'root' } });
    expect(e.messages).toEqual(['checking 2.0']);
  });

  it('runPlan from a TypeScript plan runs a YAML plan and a .pp plan by name, with their parameters checked', async () => {
    const e = await project({
      'plans/sub.yaml': 'parameters:\n  n:\n    type: Integer\nsteps:\n  - name: doubled\n    eval: $n * 2\nreturn: $doubled\n',
      'plans/sub2.pp': 'plan site::sub2(String $s) { return $s.upcase }\n',
    });
    const { definePlan, runPlan } = await import('rivetops');
    const parent = definePlan({ run: async () => [await runPlan('site::sub', { n: 21 }), await runPlan('site::sub2', { s: 'x' })] });
    expect(await e.run(parent)).toEqual([42, 'X']);
    await expect(e.run(definePlan({ run: () => runPlan('site::sub', { n: 'x' }) }))).rejects.toThrow(/n/);
  });
});

describe('plans that cannot be translated fail before anything runs', () => {
  it('an apply block and an unknown function: the error names file:line of each, and no step ran', async () => {
    const e = await project({
      'plans/apply.pp': `plan site::apply(TargetSpec $targets) {
  run_command('echo first', $targets)
  $x = mymod::custom($targets)
  apply($targets) { package { 'nginx': ensure => installed } }
}
`,
    });
    e.allow('command');
    const error = await e.run('site::apply', { targets: 'web' }).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'rivet/untranslatable-plan', details: { line: 3 } });
    expect(String((error as Error).message)).toMatch(/plans\/apply\.pp:3: function mymod::custom: is not a Bolt plan function[\s\S]*plans\/apply\.pp:4: apply block/);
    expect(e.calls).toEqual([]);
  });

  it('a Puppet syntax error names file:line:column; nothing runs', async () => {
    const e = await project({ 'plans/broken.pp': "plan site::broken(TargetSpec $targets) {\n  run_command('x', $targets\n}\n" });
    e.allow('command');
    const error = await e.run('site::broken', { targets: 'web' }).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'rivet/puppet-syntax-error', details: { line: 3 } });
    expect(String((error as Error).message)).toMatch(/broken\.pp:3:1/);
    expect(e.calls).toEqual([]);
  });

  it('a YAML resources step fails at load time naming file, line and step (needs a catalog compiler)', async () => {
    const e = await project({
      'plans/res.yaml': `steps:
  - name: first
    command: echo hi
    targets: web
  - name: pkgs
    resources:
      - package: nginx
        parameters:
          ensure: latest
    targets: web
`,
    });
    e.allow('command');
    const error = await e.run('site::res').catch((err: unknown) => err);
    expect(String((error as Error).message)).toMatch(/res\.yaml:5: apply block: needs a Puppet catalog compiler/);
    expect(e.calls).toEqual([]);
  });
});
