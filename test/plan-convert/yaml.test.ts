/**
 * YAML plans (P-43): Bolt's loader rules and messages, naming the file and line; and YAML and
 * Puppet plans through the CLI over the local transport (plan show, plan run, plan convert).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYamlPlan } from '../../src/plan-convert/yaml-plan.ts';
import { makeProject, rivet } from '../cli/helpers.ts';

const read = (source: string) => readYamlPlan('m::p', source, 'plans/p.yaml');

describe('P-43 YAML plan loader (Bolt 3.30 lib/bolt/pal/yaml_plan*.rb)', () => {
  it('reads parameters, steps by kind, names and return; scalar styles decide what is code', () => {
    const plan = read(`description: Demo
parameters:
  targets:
    type: TargetSpec
  n:
    type: Integer
    default: 3
steps:
  - name: one
    command: echo $x
    targets: $targets
  - message: "n is \${n}"
  - eval: |
      $n + 1
return: $one
`);
    expect(plan.parameters.map((p) => [p.name, p.type, p.default])).toEqual([
      ['targets', 'TargetSpec', undefined],
      ['n', 'Integer', 3],
    ]);
    expect(plan.steps.map((s) => [s.kind, s.name, s.line])).toEqual([
      ['command', 'one', 9],
      ['message', undefined, 12],
      ['eval', undefined, 13],
    ]);
    const command = plan.steps[0]!.body;
    expect(command['command']).toMatchObject({ style: 'bare', isCode: false });
    expect(command['targets']).toMatchObject({ style: 'bare', isCode: true });
    expect(plan.steps[1]!.body['message']).toMatchObject({ style: 'double' });
    expect(plan.steps[2]!.body['eval']).toMatchObject({ style: 'code' });
  });

  it.each([
    ['illegal top-level key', 'steps: []\nfoo: 1\n', /plans\/p\.yaml:2: Plan contains illegal key\(s\) \["foo"\]/],
    ['steps missing', 'parameters: {}\n', /Plan must specify an array of steps/],
    ['private not boolean', 'private: yes please\nsteps: []\n', /plans\/p\.yaml:1: Plan m::p key 'private' must be a boolean/],
    ['bad parameter name', 'parameters:\n  Bad-Name:\n    type: String\nsteps: []\n', /plans\/p\.yaml:2: Invalid parameter name "Bad-Name"/],
    ['illegal parameter key', 'parameters:\n  x:\n    typ: String\nsteps: []\n', /plans\/p\.yaml:2: Plan parameter "x" contains illegal key\(s\) \["typ"\]/],
    ['no action', 'steps:\n  - name: a\n    targets: x\n', /plans\/p\.yaml:2: Parse error in step "a": No valid action detected/],
    ['two actions', 'steps:\n  - command: a\n    script: b\n    targets: x\n', /Parse error in step number 1: Multiple action keys detected: \["command","script"\]/],
    ['unsupported key', 'steps:\n  - command: a\n    targets: x\n    noop: true\n', /plans\/p\.yaml:4: Parse error in step number 1: The "command" step does not support: \["noop"\] key\(s\)/],
    ['missing key', 'steps:\n  - upload: a\n    targets: x\n', /The "upload" step requires: \["destination"\] key\(s\)/],
    ['duplicate name', 'parameters:\n  a: {}\nsteps:\n  - name: a\n    message: hi\n', /plans\/p\.yaml:4: Parse error in step "a": Duplicate step name or parameter detected: "a"/],
    ['metaparameter clash', 'steps:\n  - task: t\n    targets: x\n    run_as: root\n    parameters:\n      _run_as: bob\n', /Cannot specify metaparameters when using top-level keys with same name: run_as/],
    ['bad resource', 'steps:\n  - resources:\n      - title: x\n    targets: t\n', /Resource declaration must include type key if title key is set/],
    ['YAML syntax', 'steps: [\n', /plans\/p\.yaml:\d+: /],
  ])('%s: a bolt/invalid-plan error naming the file and line', (_name, source, message) => {
    let error: unknown;
    try {
      read(source);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'bolt/invalid-plan' });
    expect(String((error as Error).message)).toMatch(message);
  });
});

describe('Bolt plans through the CLI, over the local transport', () => {
  const files = {
    'rivet-project.yaml': 'name: site\n',
    'inventory.yaml': 'targets:\n  - uri: localhost\n    config:\n      transport: local\n',
    'plans/greet.yaml': `description: Greets from the target
parameters:
  targets:
    type: TargetSpec
    default: localhost
  word:
    type: String
    default: hi
steps:
  - name: said
    command: "echo \${word}"
    targets: $targets
  - message: "Output: \${said.first.value['stdout'].strip}"
  - name: upper
    eval: $word.upcase
return:
  upper: $upper
  ok: $said.ok
`,
    'plans/half.pp': `# @summary Halves a number on the target
plan site::half(TargetSpec $targets = 'localhost', Integer $n = 7) {
  $r = run_command("echo \${$n / 2}", $targets)
  return { 'half' => Integer($r.first.value['stdout'].strip), 'same' => 'ABC' == 'abc' }
}
`,
  };

  it('plan show lists them; plan run runs the YAML plan and the .pp plan; plan convert prints TypeScript', { timeout: 120_000 }, async () => {
    const cwd = await makeProject(files);
    const list = await rivet(['plan', 'show', '--format', 'json'], { cwd });
    expect(list.code).toBe(0);
    expect(list.json<{ plans: string[][] }>().plans).toEqual([['site::greet', 'Greets from the target'], ['site::half', 'Halves a number on the target']]);
    const show = await rivet(['plan', 'show', 'site::greet', '--format', 'json'], { cwd });
    expect(show.json()).toMatchObject({ name: 'site::greet', parameters: { targets: { type: 'TargetSpec', default_value: 'localhost' }, word: { type: 'String', default_value: 'hi' } } });

    const yaml = await rivet(['plan', 'run', 'site::greet', 'word=Hey', '--format', 'json'], { cwd });
    expect(yaml.stderr).toContain('Output: Hey');
    expect(yaml.json()).toEqual({ upper: 'HEY', ok: true });
    const pp = await rivet(['plan', 'run', 'site::half', '--format', 'json'], { cwd });
    expect(pp.json()).toEqual({ half: 3, same: true });

    const converted = await rivet(['plan', 'convert', 'site::half'], { cwd });
    expect(converted.code).toBe(0);
    expect(converted.stdout).toContain("import { definePlan, runCommand, pp } from 'rivetops';");
    expect(converted.stdout).toContain('pp.div(n, 2)');
    const out = await rivet(['plan', 'convert', 'plans/greet.yaml', '--out', 'plans/greet.ts'], { cwd });
    expect(out.code).toBe(0);
    expect(await readFile(join(cwd, 'plans/greet.ts'), 'utf8')).toContain('export default definePlan({');
    const types = await rivet(['types'], { cwd });
    expect(types.code).toBe(0);
    const declarations = await readFile(join(cwd, '.rivet/tasks.gen.ts'), 'utf8');
    expect(declarations).toContain("'site::half': {\n    params: CallerParams<{ 'targets': { type: 'TargetSpec'; default: unknown }; 'n': { type: 'Integer'; default: unknown } }>;");
    const again = await rivet(['plan', 'convert', 'plans/greet.yaml', '--out', 'plans/greet.ts'], { cwd });
    expect(again).toMatchObject({ code: 2 });
    expect(again.stderr).toMatch(/exists; pass --force/);
    // --out into a missing directory, or onto a directory: a usage error naming --out, nothing left behind.
    const missing = await rivet(['plan', 'convert', 'plans/greet.yaml', '--out', 'no/such/dir/greet.ts'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--out no/such/dir/greet.ts: the directory');
    const onDir = await rivet(['plan', 'convert', 'plans/greet.yaml', '--out', 'plans', '--force'], { cwd });
    expect(onDir.code).toBe(2);
    expect(onDir.stderr).toContain('--out plans is a directory');
    expect((await readdir(join(cwd, 'plans'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('plan convert exits 1 and lists TODOs with file:line, 0 with --allow-todo; plan run refuses before running', { timeout: 120_000 }, async () => {
    const cwd = await makeProject({
      ...files,
      'plans/todo.pp': "plan site::todo(TargetSpec $targets = 'localhost') {\n  run_command('touch marker', $targets)\n  $v = lookup('x')\n}\n",
    });
    const convert = await rivet(['plan', 'convert', 'plans/todo.pp'], { cwd });
    expect(convert.code).toBe(1);
    expect(convert.stderr).toContain('plans/todo.pp:3: TODO function lookup: needs Hiera');
    expect((await rivet(['plan', 'convert', 'plans/todo.pp', '--allow-todo'], { cwd })).code).toBe(0);
    const run = await rivet(['plan', 'run', 'site::todo'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot run[\s\S]*todo\.pp:3: function lookup/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(cwd, 'marker'))).toBe(false);
  });

  it('a failing step of a .pp or YAML plan names the plan file and line, not the translated cache file', { timeout: 120_000 }, async () => {
    const cwd = await makeProject({
      ...files,
      'plans/broken.pp': `plan site::broken(TargetSpec $targets = 'localhost') {
  $ok = run_command('true', $targets)
  out::message('about to fail')
  if $ok.ok {
    run_command('exit 3',
      $targets)
  }
}
`,
      'plans/evaluation.pp': "plan site::evaluation() {\n  out::message('x')\n  $v = 'a' < 1\n}\n",
      'plans/broken_yaml.yaml': `parameters:
  targets:
    type: TargetSpec
    default: localhost
steps:
  - command: 'true'
    targets: $targets
  - name: fails
    command: exit 4
    targets: $targets
`,
    });
    const pp = await rivet(['plan', 'run', 'site::broken', '--format', 'json'], { cwd });
    expect(pp.code).toBe(1);
    expect(pp.json<{ details: { file: string; line: number } }>().details).toMatchObject({ file: expect.stringMatching(/plans\/broken\.pp$/), line: 5 });
    const human = await rivet(['plan', 'run', 'site::broken'], { cwd });
    expect(human.stderr).toMatch(/plans\/broken\.pp:5\)/);
    expect(human.stderr).not.toMatch(/rivet-plans-/);
    // Puppet's evaluation errors too (comparing a String with an Integer).
    const evaluation = await rivet(['plan', 'run', 'site::evaluation', '--format', 'json'], { cwd });
    expect(evaluation.json()).toMatchObject({ kind: 'bolt/evaluation-error', details: { file: expect.stringMatching(/plans\/evaluation\.pp$/), line: 3 } });
    const yaml = await rivet(['plan', 'run', 'site::broken_yaml', '--format', 'json'], { cwd });
    expect(yaml.code).toBe(1);
    expect(yaml.json<{ details: { file: string; line: number } }>().details).toMatchObject({ file: expect.stringMatching(/plans\/broken_yaml\.yaml$/), line: 8 });
  });
});
