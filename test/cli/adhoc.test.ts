import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const PROJECT = {
  'bolt-project.yaml': 'name: demo\n',
  'inventory.yaml': [
    'groups:',
    '  - name: local',
    '    targets:',
    '      - uri: localhost',
    '        alias: me',
    '      - name: second',
    '        config:',
    '          transport: local',
    '',
  ].join('\n'),
};

interface Envelope {
  items: { target: string; action: string; object: string | null; status: string; value: Record<string, unknown> }[];
  target_count: number;
  elapsed_time: number;
}

describe('rivet command run', () => {
  it('C-09: prints Bolt\'s JSON envelope and exits 0 when all targets succeed', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'echo hi; echo err >&2', '-t', 'local', '--format', 'json'], { cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.json<Envelope>();
    expect(out.target_count).toBe(2);
    expect(typeof out.elapsed_time).toBe('number');
    expect(out.items.map((i) => i.target).sort()).toEqual(['localhost', 'second']);
    expect(out.items[0]).toEqual({
      target: out.items[0]!.target,
      action: 'command',
      object: 'echo hi; echo err >&2',
      status: 'success',
      value: { stdout: 'hi\n', stderr: 'err\n', merged_output: expect.stringContaining('hi\n'), exit_code: 0 },
    });
  });

  it('C-13/T-37: exits 1 when a target fails, with Bolt\'s command-error', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'exit 3', '-t', 'me', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    expect(r.json<Envelope>().items[0]!.value['_error']).toEqual({
      kind: 'puppetlabs.tasks/command-error',
      issue_code: 'COMMAND_ERROR',
      msg: 'The command failed with exit code 3',
      details: { exit_code: 3 },
    });
  });

  it('C-12: human output says Started/Finished/Failed and sums up', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'echo hello', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Started on localhost...');
    expect(r.stdout).toContain('Finished on localhost:\n  hello');
    expect(r.stdout).toContain('Successful on 1 target: localhost');
    expect(r.stdout).toMatch(/Ran on 1 target in \d+\.\d\d sec/);
  });

  it('--stream prefixes output lines with the target', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'echo one; echo two >&2', '-t', 'localhost', '--stream', '--no-verbose'], { cwd });
    expect(r.stdout).toContain('[localhost] out: one');
    expect(r.stdout).toContain('[localhost] err: two');
    // C-06: the result does not repeat what was streamed (unlike Bolt)
    expect(r.stdout.match(/one/g)).toHaveLength(1);
    expect(r.stdout).toContain('Finished on localhost:\n');
  });

  it('--format jsonl prints the event stream', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost', '--format', 'jsonl'], { cwd });
    const types = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(['step_start', 'target_start', 'target_finish', 'step_finish']);
  });

  it('reads the command from @file and from stdin (C-08)', async () => {
    const cwd = await makeProject({ ...PROJECT, 'cmd.sh': 'echo from-file\n' });
    const fromFile = await rivet(['command', 'run', '@cmd.sh', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(fromFile.json<Envelope>().items[0]!.value['stdout']).toBe('from-file\n');
    const fromStdin = await rivet(['command', 'run', '-', '-t', 'localhost', '--format', 'json'], { cwd, stdin: 'echo from-stdin' });
    expect(fromStdin.json<Envelope>().items[0]!.value['stdout']).toBe('from-stdin\n');
  });

  it('I-17: reads targets from @file and stdin', async () => {
    const cwd = await makeProject({ ...PROJECT, 'targets.txt': '# comment\nlocalhost\n\nsecond\n' });
    const r = await rivet(['command', 'run', 'true', '-t', '@targets.txt', '--format', 'json'], { cwd });
    expect(r.json<Envelope>().target_count).toBe(2);
    const s = await rivet(['command', 'run', 'true', '-t', '-', '--format', 'json'], { cwd, stdin: 'second\n' });
    expect(s.json<Envelope>().items.map((i) => i.target)).toEqual(['second']);
  });

  it('passes --env-var values', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'printf %s "$GREETING"', '-t', 'localhost', '--env-var', "GREETING=it's $x", '--format', 'json'], { cwd });
    expect(r.json<Envelope>().items[0]!.value['stdout']).toBe("it's $x");
  });

  it('--timeout kills a slow command and fails that target', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'sleep 30', '-t', 'localhost', '--timeout', '0.3', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    expect(r.json<Envelope>().items[0]!.value['_error']).toMatchObject({ kind: 'rivet/timeout' });
  });
});

describe('usage errors exit 2 with a clear message', () => {
  it('no --targets', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No targets given');
  });

  it('unknown option', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost', '--bogus'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('bad --concurrency', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost', '--concurrency', 'lots'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--concurrency must be a whole number of at least 1, got 'lots'");
  });

  it('bad --format', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost', '--format', 'xml'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format.*xml.*human, json, jsonl/s);
  });

  it('bad --connect-timeout, --timeout, --transport and --log-level', async () => {
    const cwd = await makeProject(PROJECT);
    const cases: [string[], RegExp][] = [
      [['--connect-timeout', 'abc'], /--connect-timeout must be a number of seconds greater than 0, got 'abc'/],
      [['--timeout', '0'], /--timeout must be a number of seconds greater than 0, got '0'/],
      [['--transport', 'bogus'], /--transport.*bogus.*ssh, local, winrm/],
      [['--log-level', 'noisy'], /--log-level.*noisy.*trace, debug/],
    ];
    for (const [flags, message] of cases) {
      const r = await rivet(['command', 'run', 'true', '-t', 'localhost', ...flags], { cwd });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('--targets that names no target is an error, not an empty success', async () => {
    const cwd = await makeProject(PROJECT);
    const blank = await rivet(['command', 'run', 'true', '-t', ' , '], { cwd });
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('names no targets');
    const empty = await makeProject({ 'bolt-project.yaml': 'name: empty\n' });
    const all = await rivet(['command', 'run', 'true', '-t', 'all'], { cwd: empty });
    expect(all.code).toBe(2);
    expect(all.stderr).toContain("--targets 'all' names no targets (the inventory has none)");
  });

  it('bad --env-var', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost', '--env-var', 'NOEQUALS'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--env-var expects KEY=VALUE, got 'NOEQUALS'");
  });

  it('I-14: a glob matching nothing', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'nomatch*'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Found 0 targets matching wildcard pattern nomatch*');
  });

  it('an inventory syntax error names the file and line', async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n', 'inventory.yaml': 'groups:\n  - name: web\n    targets: [a, b\n' });
    const r = await rivet(['command', 'run', 'true', '-t', 'all'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inventory\.yaml:\d+/);
  });

  it('an unknown inventory key names the key', async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n', 'inventory.yaml': 'groups:\n  - name: web\n    tragets: [a]\n' });
    const r = await rivet(['command', 'run', 'true', '-t', 'all'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/inventory\.yaml:3.*tragets/);
  });

  it('a missing --inventoryfile is an error naming the path', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'all', '-i', 'nope.yaml'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.yaml');
  });

  it('a missing script names the file', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['script', 'run', 'missing.sh', '-t', 'localhost'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing.sh' does not exist");
  });

  it('--password-prompt without a terminal is a clear error, not a hang', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['command', 'run', 'true', '-t', 'localhost', '--password-prompt'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--password-prompt: cannot ask for the password: standard input is not a terminal');
  });

  it('--help on every command exits 0', async () => {
    const cwd = await makeProject(PROJECT);
    for (const argv of [['--help'], ['command', 'run', '--help'], ['script', 'run', '--help'], ['file', 'upload', '--help'], ['file', 'download', '--help'], ['inventory', 'show', '--help']]) {
      const r = await rivet(argv, { cwd });
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: rivet');
    }
  });

  it('file upload/download list --timeout but no output flags (--max-output, --stream)', async () => {
    const cwd = await makeProject({ ...PROJECT, 'a.txt': 'a\n' });
    for (const sub of ['upload', 'download']) {
      const help = await rivet(['file', sub, '--help'], { cwd });
      expect(help.stdout).not.toMatch(/--max-output|--stream/);
      expect(help.stdout).toMatch(/--timeout <seconds> +stop the transfer/);
    }
    expect((await rivet(['command', 'run', '--help'], { cwd })).stdout).toMatch(/--timeout[\s\S]*--max-output/);
    const r = await rivet(['file', 'upload', 'a.txt', join(cwd, 'b.txt'), '-t', 'localhost', '--timeout', '5'], { cwd });
    expect(r.code).toBe(0);
    expect(await readFile(join(cwd, 'b.txt'), 'utf8')).toBe('a\n');
    expect((await rivet(['file', 'upload', 'a.txt', join(cwd, 'b.txt'), '-t', 'localhost', '--timeout', '0'], { cwd })).code).toBe(2);
    // --stream is accepted as in Bolt, though an upload prints nothing as it goes.
    const streamed = await rivet(['file', 'upload', 'a.txt', join(cwd, 'c.txt'), '-t', 'localhost', '--stream'], { cwd });
    expect(streamed.code).toBe(0);
    expect(await readFile(join(cwd, 'c.txt'), 'utf8')).toBe('a\n');
  });

  it('P-05: file upload --timeout stops a transfer that never ends: rivet/timeout, exit 1, no destination', { timeout: 60_000 }, async () => {
    const cwd = await makeProject(PROJECT);
    execFileSync('mkfifo', [join(cwd, 'pipe')]);
    const writer = openSync(join(cwd, 'pipe'), constants.O_RDWR | constants.O_NONBLOCK); // a writer that never ends the pipe
    try {
      const r = await rivet(['file', 'upload', 'pipe', join(cwd, 'copy'), '-t', 'localhost', '--timeout', '1', '--format', 'json'], { cwd });
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).items[0].value._error).toMatchObject({ kind: 'rivet/timeout' });
      expect(existsSync(join(cwd, 'copy'))).toBe(false);
    } finally {
      closeSync(writer);
    }
  });

  it('a command group without its subcommand (rivet command) prints its help on stderr and exits 2, as bare rivet does; rivet help command exits 0', async () => {
    const cwd = await makeProject(PROJECT);
    for (const argv of [['command'], ['plan'], ['file']]) {
      const r = await rivet(argv, { cwd });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain(`Usage: rivet ${argv[0]}`);
    }
    const help = await rivet(['help', 'command'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rivet command');
  });

  it('--version prints the version', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['--version'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('rivet script run and file upload/download', () => {
  it('runs a script with arguments', async () => {
    const cwd = await makeProject({ ...PROJECT, 'greet.sh': '#!/bin/sh\necho "hello $1 and $2"\n' });
    const r = await rivet(['script', 'run', 'greet.sh', 'a b', 'c', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<Envelope>().items[0]!.value['stdout']).toBe('hello a b and c\n');
  });

  it('P-05/C-16: uploads a file and downloads it into <dest>/<target>/ under the cwd', async () => {
    const cwd = await makeProject({ ...PROJECT, 'payload.txt': 'payload' });
    const dest = join(cwd, 'uploaded.txt');
    const up = await rivet(['file', 'upload', 'payload.txt', dest, '-t', 'localhost', '--format', 'json'], { cwd });
    expect(up.code).toBe(0);
    expect(await readFile(dest, 'utf8')).toBe('payload');
    const down = await rivet(['file', 'download', dest, 'got', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(down.code).toBe(0);
    const path = join(cwd, 'got', 'localhost', 'uploaded.txt');
    expect(down.json<Envelope>().items[0]!.value['path']).toBe(path);
    expect(await readFile(path, 'utf8')).toBe('payload');
  });

});

describe('rivet inventory show', () => {
  it('C-14: JSON lists inventory and ad-hoc targets', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['inventory', 'show', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    const out = r.json<{ inventory: { targets: string[]; count: number }; count: number }>();
    expect(out.inventory.targets.sort()).toEqual(['localhost', 'second']);
    expect(out.count).toBe(2);
  });

  it('C-14: --detail shows resolved config and groups', async () => {
    const cwd = await makeProject(PROJECT);
    const r = await rivet(['inventory', 'show', '-t', 'me', '--detail', '--format', 'json'], { cwd });
    const out = r.json<{ targets: { name: string; config: { transport: string }; groups: string[] }[] }>();
    expect(out.targets[0]).toMatchObject({ name: 'localhost', config: { transport: 'local' } });
    expect(out.targets[0]!.groups).toContain('local');
  });
});
