/**
 * `rivet plan run|show` and plan files run directly with tsx (C-08, C-10, C-12, C-13, P-28,
 * P-39..P-42).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const run = promisify(execFile);

const PROJECT: Record<string, string> = {
  'package.json': '{ "type": "module" }\n',
  'rivet-project.yaml': 'name: demo\n',
  'inventory.yaml': ['groups:', '  - name: web', '    targets: [localhost, second]', '    config:', '      transport: local', ''].join('\n'),
  'plans/hello.ts': `import { definePlan, runCommand, out } from '${SDK}';
export default definePlan({
  description: 'Say hello\\nOn every target.',
  params: {
    targets: 'TargetSpec',
    name: { type: 'String', default: 'world', description: 'Who to greet' },
    count: 'Optional[Integer]',
    tags: 'Optional[Array[String]]',
  },
  async run({ targets, name, count, tags }) {
    out.message(\`hello \${name} \${typeof count} \${JSON.stringify(tags ?? null)}\`);
    return runCommand(\`echo hi \${name}\`, targets);
  },
});
`,
  'plans/fail.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    await runCommand('true', targets);
    await runCommand('exit 3', targets); // FAIL-LINE
  },
});
`,
  'plans/init.ts': `import { definePlan } from '${SDK}';
export default definePlan({ description: 'The project plan', run: () => ({ answer: 42 }) });
`,
  'plans/sub/hidden.ts': `import { definePlan } from '${SDK}';
export default definePlan({ private: true, run: () => undefined });
`,
  'plans/uses_hello.ts': `import { definePlan, runPlan } from '${SDK}';
import hello from './hello.ts';
export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) { const set = await runPlan(hello, { targets, name: 'nested' }); return set.names; } });
`,
  'plans/steps.ts': `import { definePlan, runCommand, out } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    out.verbose('only with --verbose');
    await runCommand('echo one; echo two', targets, { description: 'print two lines' });
    const slow = await runCommand('sleep 20', targets, { catchErrors: true });
    return slow.first?.error()?.kind;
  },
});
`,
  'plans/boom.ts': `import { definePlan, runTask } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', what: 'String' },
  async run({ targets, what }) {
    if (what === 'task') await runTask('facs', targets); // UNKNOWN-TASK
    if (what === 'param') await runTask('package', targets, { action: 'bogus', name: 'x' }); // BAD-PARAM
    return (undefined as unknown as { a: number }).a; // BUG-LINE
  },
});
`,
  'plans/two.ts': `import { definePlan } from '${SDK}';
export const helper = definePlan({ run: () => 1 });
export default definePlan({ run: () => 2 });
`,
  'modules/tools/plans/check.ts': `import { definePlan } from '${SDK}';
export default definePlan({ description: 'A module plan', params: { secret: 'Sensitive[String]' }, run: ({ secret }) => String(secret) });
`,
};

describe('rivet plan run', () => {
  it('C-12: human output has Starting/Finished lines for the plan and each step; out.message on stdout (P-28)', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'run', 'demo::hello', '-t', 'web', 'name=bob'], { cwd });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Starting: plan demo::hello');
    expect(lines[1]).toBe('hello bob undefined null');
    expect(lines[2]).toBe("Starting: command 'echo hi bob' on localhost, second");
    expect(lines[3]).toMatch(/^Finished: command 'echo hi bob' in \d+\.\d\d sec$/);
    expect(lines[4]).toMatch(/^Finished: plan demo::hello in \d+\.\d\d sec$/);
    expect(r.stdout).toContain('Finished on localhost:\n  hi bob');
    expect(r.stdout).toMatch(/Successful on 2 targets: localhost,second/);
  });

  it('C-10: --format json prints the plan result (ResultSet as to_data); out.message goes to stderr (P-28)', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'run', 'demo::hello', '--targets', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('hello world undefined null\n');
    expect(r.json()).toEqual([
      { target: 'localhost', action: 'command', object: 'echo hi world', status: 'success', value: { stdout: 'hi world\n', stderr: '', merged_output: 'hi world\n', exit_code: 0 } },
    ]);
  });

  it('C-10/C-13: a failed plan prints {kind,msg,details} with the plan file:line and exits 1', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'run', 'demo::fail', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    const error = r.json<{ kind: string; msg: string; details: Record<string, unknown> }>();
    expect(error.kind).toBe('bolt/run-failure');
    expect(error.details).toMatchObject({ action: 'command', object: 'exit 3', file: join(cwd, 'plans/fail.ts'), line: 6 });
    expect((error.details['result_set'] as { status: string }[])[0]!.status).toBe('failure');
    const human = await rivet(['plan', 'run', 'demo::fail', '-t', 'localhost'], { cwd });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/Finished: command 'exit 3' with 1 failure in/);
    expect(human.stdout).toContain('Failed on localhost:\n  The command failed with exit code 3');
    expect(human.stderr).toContain(`Error: command 'exit 3' failed on 1 target (${join(cwd, 'plans/fail.ts')}:6)`);
  });

  it('C-13: a bug in a plan shows the plan file:line and only its own frames, unless --log-level debug', async () => {
    const cwd = await makeProject(PROJECT);
    const file = join(cwd, 'plans/boom.ts');
    const r = await rivet(['plan', 'run', 'demo::boom', '-t', 'localhost', 'what=bug'], { cwd });
    expect(r.code).toBe(1);
    const errLines = r.stderr.trim().split('\n');
    expect(errLines[0]).toBe(`Error: TypeError: Cannot read properties of undefined (reading 'a') (${file}:7)`);
    expect(errLines[1]).toMatch(new RegExp(`^    at .*${file.replaceAll('/', '\\/')}:7:\\d+\\)?$`));
    expect(r.stderr).not.toMatch(/src\/|dist\/|node_modules|node:/);
    expect(r.stderr).toContain('--log-level debug shows them');
    const debug = await rivet(['plan', 'run', 'demo::boom', '-t', 'localhost', 'what=bug', '--log-level', 'debug'], { cwd });
    expect(debug.stderr).toMatch(/at .*(src|dist)\/sdk\/plan\.(ts|js)/);
    const json = await rivet(['plan', 'run', 'demo::boom', '-t', 'localhost', 'what=bug', '--format', 'json'], { cwd });
    const details = json.json<{ details: Record<string, unknown> }>().details;
    expect(details).toMatchObject({ file, line: 7, class: 'TypeError' });
    expect(details['stack_trace']).toMatch(new RegExp(`^TypeError: Cannot read properties of undefined \\(reading 'a'\\)\\n    at .*${file.replaceAll('/', '\\/')}:7:\\d+\\)?$`));
  });

  it('C-13/T-01: unknown tasks suggest close names, and step parameter errors name the plan file:line', async () => {
    const cwd = await makeProject(PROJECT);
    const file = join(cwd, 'plans/boom.ts');
    const task = await rivet(['plan', 'run', 'demo::boom', '-t', 'localhost', 'what=task'], { cwd });
    expect(task.code).toBe(1);
    expect(task.stderr).toContain(`Error: Could not find a task named 'facs'. Did you mean: facts? For a list of available tasks, run 'rivet task show'. (${file}:5)`);
    const param = await rivet(['plan', 'run', 'demo::boom', '-t', 'localhost', 'what=param', '--format', 'json'], { cwd });
    expect(param.code).toBe(1);
    const error = param.json<{ kind: string; msg: string; details: Record<string, unknown> }>();
    expect(error.msg).toMatch(/^Task package:\n parameter 'action' expects an Enum/);
    expect(error.details).toMatchObject({ file, line: 6 });
  });

  it('--typecheck (and typecheck: true in the project) fails a plan with a type error before anything runs', async () => {
    const marker = join(await makeProject({}), 'ran');
    const plan = (body: string): string => `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    await runCommand('touch ${marker}', targets);
    ${body}
  },
});
`;
    const files = { ...PROJECT, 'plans/typed.ts': plan("const count: number = 'three'; // TYPE-ERROR\n    return count;"), 'plans/fine.ts': plan('return targets.length;') };
    const cwd = await makeProject(files);
    const bad = await rivet(['plan', 'run', 'demo::typed', '-t', 'localhost', '--typecheck'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`Error: The plan ${join(cwd, 'plans/typed.ts')} does not type-check (1 error); nothing was run:`);
    expect(bad.stderr).toMatch(/plans\/typed\.ts:6:11: TS2322: Type 'string' is not assignable to type 'number'/);
    expect(bad.stdout).not.toContain('Starting: plan');
    expect(existsSync(marker)).toBe(false);
    const fine = await rivet(['plan', 'run', 'demo::fine', '-t', 'localhost', '--typecheck', '--format', 'json'], { cwd });
    expect(fine.stderr).toBe('');
    expect(fine.code).toBe(0);
    expect(existsSync(marker)).toBe(true);

    const strict = await makeProject({ ...files, 'rivet-project.yaml': 'name: demo\ntypecheck: true\n' });
    expect((await rivet(['plan', 'run', 'demo::typed', '-t', 'localhost'], { cwd: strict })).stderr).toContain('does not type-check');
    const opted = await rivet(['plan', 'run', 'demo::typed', '-t', 'localhost', '--no-typecheck', '--format', 'json'], { cwd: strict });
    expect(opted.code).toBe(0);
    expect(opted.stdout.trim()).toBe('"three"');
    // Three compiler runs over the SDK's sources: slow on a loaded machine, so a generous limit.
  }, 300_000);

  it('C-08: k=v values are JSON when they fit the declared type, else strings; --params JSON, @file and - work; mixing is an error', async () => {
    const cwd = await makeProject({ ...PROJECT, 'params.json': '{"targets": "localhost", "name": "file", "count": 2}' });
    const kv = await rivet(['plan', 'run', 'demo::hello', '-t', 'localhost', 'name=3', 'count=3', 'tags=["a"]', '--format', 'json'], { cwd });
    expect(kv.stderr).toBe('hello 3 number ["a"]\n');
    const json = await rivet(['plan', 'run', 'demo::hello', '--params', '{"targets":"localhost","name":"js"}', '--format', 'json'], { cwd });
    expect(json.stderr).toBe('hello js undefined null\n');
    const file = await rivet(['plan', 'run', 'demo::hello', '--params', '@params.json', '--format', 'json'], { cwd });
    expect(file.stderr).toBe('hello file number null\n');
    const stdin = await rivet(['plan', 'run', 'demo::hello', '--params', '-', '--format', 'json'], { cwd, stdin: '{"targets":["localhost"],"name":"in"}' });
    expect(stdin.stderr).toBe('hello in undefined null\n');
    const mixed = await rivet(['plan', 'run', 'demo::hello', '--params', '{}', 'name=x'], { cwd });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('either as k=v arguments or with --params, not both');
  });

  it('P-40: --targets fills the targets parameter; giving both is an error; parameter errors exit 2 before the plan starts (1 with --format json)', async () => {
    const cwd = await makeProject(PROJECT);
    const both = await rivet(['plan', 'run', 'demo::hello', '-t', 'localhost', 'targets=web'], { cwd });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("either with --targets or as the 'targets' parameter");
    const missing = await rivet(['plan', 'run', 'demo::hello'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe("Error: demo::hello: missing required parameter 'targets'\n");
    // --format json: Bolt's json.rb fatal_error (no head for plan run): the bare error on stdout, exit 1.
    const missingJson = await rivet(['plan', 'run', 'demo::hello', '--format', 'json'], { cwd });
    expect(missingJson.code).toBe(1);
    expect(missingJson.json()).toMatchObject({ kind: 'bolt/pal-error', msg: "demo::hello: missing required parameter 'targets'" });
    const unknown = await rivet(['plan', 'run', 'demo::nope'], { cwd });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Could not find a plan named 'demo::nope'");
  });

  it('runPlan of an imported plan file: the import does not run it; the sub-plan shows in the output', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'run', 'demo::uses_hello', '-t', 'web', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json()).toEqual(['localhost', 'second']);
  });

  it('--format jsonl streams plan and step events with timestamps, then the plan result', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'run', 'demo::hello', '-t', 'localhost', '--format', 'jsonl'], { cwd });
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; time: string });
    expect(events.map((e) => e.type)).toEqual(['plan_start', 'message', 'step_start', 'target_start', 'target_finish', 'step_finish', 'plan_finish', 'plan_result']);
    expect(events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);
  });

  it('P-13/C-06: descriptions replace the step text; --verbose adds results and out.verbose; --timeout is every step\'s default; --stream', async () => {
    const cwd = await makeProject(PROJECT);
    const quiet = await rivet(['plan', 'run', 'demo::steps', '-t', 'localhost', '--timeout', '0.5'], { cwd });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('Starting: print two lines on localhost');
    expect(quiet.stdout).not.toContain('only with --verbose');
    expect(quiet.stdout).not.toContain('Finished on localhost');
    expect(quiet.stdout).toMatch(/Finished: command 'sleep 20' with 1 failure in \d+\.\d\d sec/);
    expect(quiet.stdout).toContain('rivet/timeout');
    const loud = await rivet(['plan', 'run', 'demo::steps', '-t', 'localhost', '--timeout', '0.5', '--verbose', '--stream'], { cwd });
    expect(loud.stdout).toContain('only with --verbose');
    expect(loud.stdout).toContain('[localhost] out: one\n[localhost] out: two');
    // C-06: streamed output is not repeated in the result (a deliberate difference from Bolt).
    expect(loud.stdout).toContain('Finished on localhost:\n');
    expect(loud.stdout.match(/ one$/gm)).toHaveLength(1);
    expect(loud.stdout.match(/ two$/gm)).toHaveLength(1);
  });

  it('P-41: CLI values of Sensitive parameters are wrapped (and never printed)', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'run', 'tools::check', 'secret=hunter2', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json()).toBe('Sensitive [value redacted]');
  });
});

describe('rivet plan show', () => {
  it('P-42/P-39: lists plans (JSON), names <project>::<path>, init.ts as the bare name, hides private plans', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'show', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      plans: [['demo', 'The project plan'], ['demo::boom'], ['demo::fail'], ['demo::hello', 'Say hello'], ['demo::steps'], ['demo::two'], ['demo::uses_hello'], ['tools::check', 'A module plan']],
      modulepath: [join(cwd, 'modules'), join(cwd, '.modules')],
    });
  });

  it('P-42: shows one plan (JSON and human)', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'show', 'demo::hello', '--format', 'json'], { cwd });
    expect(r.json()).toEqual({
      name: 'demo::hello',
      description: 'Say hello\nOn every target.',
      parameters: {
        targets: { type: 'TargetSpec', sensitive: false },
        name: { type: 'String', sensitive: false, default_value: 'world', description: 'Who to greet' },
        count: { type: 'Optional[Integer]', sensitive: false },
        tags: { type: 'Optional[Array[String]]', sensitive: false },
      },
      module_dir: cwd,
      private: false,
      summary: 'Say hello',
      docstring: 'Say hello\nOn every target.',
    });
    const human = await rivet(['plan', 'show', 'tools::check'], { cwd });
    expect(human.stdout).toContain('USAGE\n  rivet plan run tools::check secret=<value>');
    expect(human.stdout).toContain('- secret: Sensitive[String] (sensitive)');
  });

  it('--format takes only human or json, and says so', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['plan', 'show', '--format', 'yaml'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--format <format>' argument 'yaml' is invalid. Allowed choices are human, json.");
  });
});

describe('plan files run directly', () => {
  it('npx tsx plans/x.ts: same parsing, output and exit codes as rivet plan run', async () => {
    const cwd = await makeProject(PROJECT);
    const ok = await run(TSX, ['plans/hello.ts', '--targets', 'localhost', 'name=direct', '--format', 'json'], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    expect(ok.stderr).toBe('hello direct undefined null\n');
    expect(JSON.parse(ok.stdout)).toMatchObject([{ target: 'localhost', status: 'success', value: { stdout: 'hi direct\n' } }]);
    const failed = await run(TSX, ['plans/fail.ts', '-t', 'localhost'], { cwd }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stdout: string }).stdout).toContain('Starting: plan demo::fail');
    expect((failed as { stderr: string }).stderr).toContain(`(${join(cwd, 'plans/fail.ts')}:6)`);
    const two = await run(TSX, ['plans/two.ts'], { cwd }).catch((e: { code: number; stderr: string }) => e);
    expect(two).toMatchObject({ code: 2, stderr: expect.stringContaining('defines 2 plans; a plan file run directly must define exactly one') });
    // Run by name, the file's default export is the plan.
    expect((await rivet(['plan', 'run', 'demo::two', '--format', 'json'], { cwd })).stdout).toBe('2\n');
    // P-38: no return value.
    const none = await rivet(['plan', 'run', 'demo::sub::hidden'], { cwd });
    expect(none.stdout).toContain('Plan completed successfully with no result');
    expect((await rivet(['plan', 'run', 'demo::sub::hidden', '--format', 'json'], { cwd })).stdout).toBe('null\n');
  });

  it('C-13: under tsx, the failing step is reported at its line in the .ts file (mapped through the source map, types and all)', async () => {
    const cwd = await makeProject(PROJECT);
    const file = join(cwd, 'plans/typed_fail.ts');
    // esbuild drops the interface and the annotations: unmapped, the call would be several lines up.
    const source = `import { definePlan, runCommand } from '${SDK}';

interface Options {
  code: number;
  label: string;
}

export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    const options: Options = { code: 3, label: 'x' };
    await runCommand(\`exit \${options.code}\`, targets);
  },
});
`;
    await writeFile(file, source);
    const line = source.split('\n').findIndex((l) => l.includes('await runCommand')) + 1;
    const failed = await run(TSX, ['plans/typed_fail.ts', '-t', 'localhost'], { cwd }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining(`failed on 1 target (${file}:${line})`) });
  });
});
