/**
 * Errors before anything runs, in `--format json` (issue 10, group 2), as Bolt 3.30 prints them:
 * - `lib/bolt/cli.rb` `process_command` calls `outputter.print_head` (`{ "items": [`) before
 *   `command run`, `script run`, `file upload|download` and `task run` start, so an error raised
 *   then is closed by `lib/bolt/outputter/json.rb` `fatal_error` into
 *   `{"items": [], "_error": {kind, msg, details}}`;
 * - commands without a head (`plan run`, `task show`...) print the bare `{kind, msg, details}`;
 * - `exe/bolt` exits with `Bolt::Error#error_code`, 1 (`lib/bolt/error.rb`).
 * Human output keeps Rivet's exit 2 for usage errors (docs/bolt-compatibility.md).
 */
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const MODULES = join(import.meta.dirname, '..', 'fixtures', 'modules');

async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = await makeProject({ 'bolt-project.yaml': 'name: proj\n', 'inventory.yaml': 'targets:\n  - localhost\n', ...files });
  await cp(join(MODULES, 'demo'), join(dir, 'modules', 'demo'), { recursive: true });
  return dir;
}

interface ErrorDoc {
  items?: unknown[];
  _error?: { kind: string; msg: string; details: Record<string, unknown>; issue_code?: string };
  kind?: string;
  msg?: string;
}

async function jsonError(argv: string[], cwd: string): Promise<ErrorDoc> {
  const r = await rivet([...argv, '--format', 'json'], { cwd });
  expect(r.code).toBe(1);
  const doc = r.json<ErrorDoc>();
  return doc;
}

describe('C-09/C-13: json.rb fatal_error after print_head: {"items": [], "_error": ...}, exit 1', () => {
  it("bolt/unknown-task: Error.unknown_task's message, naming 'rivet task show'", async () => {
    const doc = await jsonError(['task', 'run', 'demo::nope', '-t', 'localhost'], await project());
    expect(doc).toEqual({
      items: [],
      _error: { kind: 'bolt/unknown-task', msg: "Could not find a task named 'demo::nope'. Did you mean: demo::noop? For a list of available tasks, run 'rivet task show'.", details: expect.any(Object) },
    });
  });

  it("T-13: bolt/pal-error for parameter mismatches, Bolt's 'Task <name>:' wording (cli_spec.rb 'task run')", async () => {
    const doc = await jsonError(['task', 'run', 'demo::deploy', 'foo=one', '-t', 'localhost'], await project());
    expect(doc.items).toEqual([]);
    expect(doc._error).toMatchObject({ kind: 'bolt/pal-error', issue_code: 'TYPE_MISMATCH' });
    expect(doc._error!.msg).toMatch(/^Task demo::deploy:\n has no parameter named 'foo'\n expects a value for parameter 'version'$/);
  });

  it("T-15: noop not supported: bolt/pal-error 'Task does not support noop' (run_task.rb TASK_NO_NOOP)", async () => {
    const doc = await jsonError(['task', 'run', 'demo::deploy', 'version=1', '--noop', '-t', 'localhost'], await project());
    expect(doc).toMatchObject({ items: [], _error: { kind: 'bolt/pal-error', msg: 'Task does not support noop', issue_code: 'TASK_NO_NOOP' } });
  });

  it("invalid task metadata: bolt/pal-error (pal.rb wraps Puppet's task errors with PALError.from_error)", async () => {
    const doc = await jsonError(['task', 'run', 'bad::meta', '-t', 'localhost'], await project({ 'modules/bad/tasks/meta.json': '{ not json', 'modules/bad/tasks/meta.sh': '#!/bin/sh\n' }));
    expect(doc.items).toEqual([]);
    expect(doc._error!.kind).toBe('bolt/pal-error');
    expect(doc._error!.msg).toContain('meta.json');
  });

  it("a missing script: bolt/file-error \"The script '<path>' does not exist\" (util.rb validate_file)", async () => {
    const cwd = await project();
    const doc = await jsonError(['script', 'run', 'missing.sh', '-t', 'localhost'], cwd);
    expect(doc).toEqual({ items: [], _error: { kind: 'bolt/file-error', msg: `The script '${join(cwd, 'missing.sh')}' does not exist`, details: { path: join(cwd, 'missing.sh') } } });
  });

  it("a missing upload source: bolt/file-error \"The source file '<path>' does not exist\"", async () => {
    const cwd = await project();
    const doc = await jsonError(['file', 'upload', 'nothere', '/tmp/x', '-t', 'localhost'], cwd);
    expect(doc).toMatchObject({ items: [], _error: { kind: 'bolt/file-error', msg: `The source file '${join(cwd, 'nothere')}' does not exist` } });
  });

  it('an invalid inventory: bolt.inventory/validation-error, naming the file', async () => {
    const cwd = await project({ 'inventory.yaml': 'groups:\n  - name: Bad Name\n    targets: [a]\n' });
    const doc = await jsonError(['command', 'run', 'true', '-t', 'all'], cwd);
    expect(doc.items).toEqual([]);
    expect(doc._error!.kind).toBe('bolt.inventory/validation-error');
    expect(doc._error!.msg).toContain('inventory.yaml');
  });

  it('a command-line mistake: bolt/cli-error (Bolt prints those as text; Rivet keeps stdout JSON)', async () => {
    const doc = await jsonError(['command', 'run', 'true', '-t', 'localhost', '--no-such-flag'], await project());
    expect(doc).toMatchObject({ items: [], _error: { kind: 'bolt/cli-error' } });
    expect(doc._error!.msg).toContain('--no-such-flag');
  });
});

describe('C-10/C-13: json.rb fatal_error without a head: the bare error, exit 1', () => {
  it('plan run of an unknown plan', async () => {
    const doc = await jsonError(['plan', 'run', 'demo::nope'], await project());
    expect(doc.items).toBeUndefined();
    expect(doc).toMatchObject({ kind: expect.any(String), msg: expect.stringContaining('demo::nope') });
  });
});

describe('C-13: human format', () => {
  it('keeps exit 2 and an empty stdout for usage errors (deliberate difference: Bolt exits 1)', async () => {
    const cwd = await project();
    await writeFile(join(cwd, 'x'), '');
    const r = await rivet(['task', 'run', 'demo::nope', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("Could not find a task named 'demo::nope'");
  });
});
