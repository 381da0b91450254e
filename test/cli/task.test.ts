import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'modules', 'demo');

async function project(): Promise<string> {
  const dir = await makeProject({ 'bolt-project.yaml': 'name: proj\n', 'inventory.yaml': 'targets:\n  - localhost\n', 'tasks/hello.sh': '#!/bin/sh\necho "{\\"hi\\": \\"$PT_name\\"}"\n' });
  await cp(FIXTURES, join(dir, 'modules', 'demo'), { recursive: true });
  return dir;
}

interface Envelope {
  items: { target: string; action: string; object: string; status: string; value: Record<string, unknown> }[];
}

describe('rivet task run', () => {
  it('C-08: k=v values are JSON when that fits the declared type, else strings', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::echo_stdin', 'message=80', 'count=3', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json<Envelope>().items[0]).toMatchObject({ action: 'task', object: 'demo::echo_stdin', value: { message: '80', count: 3 } });
  });

  it('C-08: --params takes JSON, @file and -', async () => {
    const dir = await project();
    await writeFile(join(dir, 'params.json'), '{"message":"file"}');
    const file = await rivet(['task', 'run', 'demo::echo_stdin', '--params', '@params.json', '-t', 'localhost', '--format', 'json'], { cwd: dir });
    expect(file.json<Envelope>().items[0]!.value['message']).toBe('file');
    const inline = await rivet(['task', 'run', 'demo::echo_stdin', '--params', '{"message":"json"}', '-t', 'localhost', '--format', 'json'], { cwd: dir });
    expect(inline.json<Envelope>().items[0]!.value['message']).toBe('json');
    const stdin = await rivet(['task', 'run', 'demo::echo_stdin', '--params', '-', '-t', 'localhost', '--format', 'json'], { cwd: dir, stdin: '{"message":"stdin"}' });
    expect(stdin.json<Envelope>().items[0]!.value['message']).toBe('stdin');
  });

  it('C-08: a --params @file that cannot be read names the file and why', async () => {
    const cwd = await project();
    const task = await rivet(['task', 'run', 'demo::echo_stdin', '--params', '@nope.json', '-t', 'localhost'], { cwd });
    expect(task.code).toBe(2);
    expect(task.stderr).toContain("Cannot read the --params file 'nope.json': no such file");
    await mkdir(join(cwd, 'plans'), { recursive: true });
    await writeFile(join(cwd, 'plans', 'x.ts'), "import { definePlan } from 'rivetops';\nexport default definePlan({ params: { n: { type: 'Integer' } }, async run() {} });\n");
    const plan = await rivet(['plan', 'run', 'proj::x', '--params', '@modules'], { cwd });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("Cannot read the parameters file 'modules': it is a directory");
  });

  it('C-08: mixing --params and k=v is an error', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::echo_stdin', 'message=a', '--params', '{}', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('either the --params option or param=value pairs');
  });

  it('T-13: a parameter of the wrong type exits 2 with a readable message', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::deploy', 'version=1', 'port=eighty', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Task demo::deploy:\n parameter 'port' expects an Integer[1, 65535], got "eighty"`);
  });

  it('T-08: the project is itself a module', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'proj::hello', 'name=me', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.json<Envelope>().items[0]!.value).toEqual({ hi: 'me' });
  });

  it('T-43: --noop', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::noop', '--noop', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.json<Envelope>().items[0]!.value).toEqual({ noop: true });
  });

  it('an unknown task exits 2', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::missing', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('demo::missing');
  });

  it('a failing task exits 1 and prints Bolt\'s failure text', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'run', 'demo::fail', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Failed on localhost:');
    expect(r.stdout).toContain('The task failed with exit code 3');
  });
});

describe('rivet task show', () => {
  it('C-11/T-20: lists tasks with descriptions, hiding private ones', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'show', '--format', 'json'], { cwd });
    const out = r.json<{ tasks: [string, string | null][]; modulepath: string[] }>();
    const names = out.tasks.map(([n]) => n);
    expect(names).toContain('demo::echo_stdin');
    expect(names).toContain('package');
    expect(names).not.toContain('demo::private_task');
    expect(out.modulepath.at(-1)).toMatch(/builtin-modules$/);
  });

  it('C-11: shows one task in Bolt\'s JSON shape and as text', async () => {
    const cwd = await project();
    const json = await rivet(['task', 'show', 'demo::deploy', '--format', 'json'], { cwd });
    expect(json.json()).toMatchObject({ name: 'demo::deploy', metadata: { description: 'Deploy an application' }, files: [{ name: 'deploy.sh' }] });
    const human = await rivet(['task', 'show', 'demo::deploy'], { cwd });
    expect(human.stdout).toContain('rivet task run demo::deploy --targets <targets> version=<value> [port=<value>]');
    expect(human.stdout).toContain('Default: 8080');
  });

  it('--filter narrows the list and rejects bad text', async () => {
    const cwd = await project();
    const r = await rivet(['task', 'show', '--filter', 'sql', '--format', 'json'], { cwd });
    // T-06: an implementation file without private metadata is a task of its own.
    expect(r.json<{ tasks: [string][] }>().tasks.map(([n]) => n)).toEqual(['demo::sql', 'demo::sql_linux']);
    const bad = await rivet(['task', 'show', '--filter', 'A*'], { cwd });
    expect(bad.code).toBe(2);
  });
});
