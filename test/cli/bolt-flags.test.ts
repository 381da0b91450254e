/**
 * Bolt's command-line flags (C-02 targeting, C-03 login and transport, C-04 escalation, C-07
 * per-action extras), run through the real CLI entry (`runCli`) on the local transport and over
 * a real sshd (the in-process ssh2 server when sshd is missing). Each test names its row.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStallServer, startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { makeProject, rivet } from './helpers.ts';

const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));

interface Envelope {
  items: { target: string; status: string; value: Record<string, unknown> }[];
}

const LOCAL = {
  'rivet-project.yaml': 'name: flags\n',
  'inventory.yaml': ['targets:', '  - name: one', '  - name: two', 'config:', '  transport: local', ''].join('\n'),
  'where.sh': '#!/bin/sh\necho "$0"\n',
  'tasks/where.sh': '#!/bin/sh\necho "{\\"path\\": \\"$0\\"}"\n',
  'tasks/where.json': '{"parameters": {}}\n',
  'tasks/touch.sh': '#!/bin/sh\ntouch "$PT_path"\n',
  'tasks/touch.json': '{"parameters": {"path": {"type": "String"}}}\n',
  'plans/echo.ts': [
    `import { definePlan, runCommand } from '${SDK}';`,
    "export default definePlan({ params: { targets: { type: 'TargetSpec' } }, async run({ targets }) { return runCommand('true', targets); } });",
    '',
  ].join('\n'),
};

describe('Bolt flags on the local transport', () => {
  it('C-02: --rerun failure targets the failed targets of the last run, and --rerun with --targets is refused', async () => {
    const cwd = await makeProject(LOCAL);
    const first = await rivet(['command', 'run', 'test "$(hostname)" = never', '-t', 'one', '--format', 'json'], { cwd });
    expect(first.code).toBe(1);
    await rivet(['command', 'run', 'true', '-t', 'two', '--no-save-rerun'], { cwd });
    const again = await rivet(['command', 'run', 'true', '--rerun', 'failure', '--format', 'json'], { cwd });
    expect(again.code).toBe(0);
    expect(again.json<Envelope>().items.map((i) => i.target)).toEqual(['one']);
    const both = await rivet(['command', 'run', 'true', '--rerun', 'all', '-t', 'one'], { cwd });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("Only one targeting option can be given: '--targets' or '--rerun'");
    const bad = await rivet(['command', 'run', 'true', '--rerun', 'failed'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'failed' is invalid");
  });

  it('C-02: --targets is repeatable, and a command without any targeting option is refused', async () => {
    const cwd = await makeProject(LOCAL);
    const r = await rivet(['command', 'run', 'true', '-t', 'one', '--targets', 'two', '--format', 'json'], { cwd });
    expect(r.json<Envelope>().items.map((i) => i.target)).toEqual(['one', 'two']);
    const none = await rivet(['command', 'run', 'true'], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No targets given: pass --targets');
  });

  it('C-02: -q/--query (PuppetDB, I-19) is refused with an error naming the flag, nothing runs', async () => {
    const cwd = await makeProject(LOCAL);
    for (const flag of ['-q', '--query']) {
      const r = await rivet(['command', 'run', 'touch ran', flag, 'nodes[certname] {}'], { cwd });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--query 'nodes[certname] {}': Rivet does not query PuppetDB");
    }
    const json = await rivet(['command', 'run', 'touch ran', '-q', 'x', '--format', 'json'], { cwd });
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ items: [], _error: { kind: 'rivet/usage-error' } });
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  });

  it('C-03: --password-prompt and C-04: --sudo-password-prompt without a terminal are errors naming the flag, not a hang', async () => {
    const cwd = await makeProject(LOCAL);
    const login = await rivet(['command', 'run', 'true', '-t', 'one', '--password-prompt'], { cwd, stdin: 'secret\n' });
    expect(login.code).toBe(2);
    expect(login.stderr).toContain("--password-prompt: cannot ask for the password: standard input is not a terminal; set 'password' in the inventory");
    const sudo = await rivet(['command', 'run', 'true', '-t', 'one', '--run-as', 'root', '--sudo-password-prompt', '--format', 'json'], { cwd });
    expect(sudo.code).toBe(1);
    expect(sudo.json()).toMatchObject({ items: [], _error: { kind: 'bolt/no-tty-error', msg: expect.stringContaining('--sudo-password-prompt: cannot ask') } });
  });

  it('C-03: --private-key is a path from the current directory; a missing key is an error before anything connects', async () => {
    const cwd = await makeProject(LOCAL);
    const r = await rivet(['command', 'run', 'true', '-t', 'ssh://127.0.0.1:1', '--private-key', 'keys/nope'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--private-key: the ssh key '${join(cwd, 'keys', 'nope')}' does not exist`);
    const dir = await rivet(['command', 'run', 'true', '-t', 'ssh://127.0.0.1:1', '--private-key', '.'], { cwd });
    expect(dir.stderr).toContain('is not a file');
  });

  it('C-03: --tty, --native-ssh, --ssh-command and --copy-command are accepted with a warning; --no-tty and --no-native-ssh silently', async () => {
    const cwd = await makeProject(LOCAL);
    const quiet = await rivet(['command', 'run', 'true', '-t', 'one', '--no-tty', '--no-native-ssh'], { cwd });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const loud = await rivet(['command', 'run', 'true', '-t', 'one', '--tty', '--native-ssh', '--ssh-command', 'ssh', '--copy-command', 'scp -r', '--format', 'json'], { cwd });
    expect(loud.code).toBe(0);
    for (const flag of ['--tty', '--native-ssh', '--ssh-command', '--copy-command']) expect(loud.stderr).toContain(`${flag}: `);
    expect(loud.json<Envelope>().items[0]?.status).toBe('success');
  });

  it('C-03: bad --transport and --connect-timeout values name the flag', async () => {
    const cwd = await makeProject(LOCAL);
    const transport = await rivet(['command', 'run', 'true', '-t', 'one', '--transport', 'docker'], { cwd });
    expect(transport.code).toBe(2);
    expect(transport.stderr).toMatch(/--transport <name>' argument 'docker' is invalid/);
    const timeout = await rivet(['command', 'run', 'true', '-t', 'one', '--connect-timeout', 'soon'], { cwd });
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain("--connect-timeout must be a number of seconds greater than 0, got 'soon'");
  });

  it('C-04: --run-as runs the command as that user through sudo (--sudo-executable names sudo)', async () => {
    const cwd = await makeProject(LOCAL);
    const r = await rivet(['command', 'run', 'id -un', '-t', 'one', '--run-as', 'rivet', '--sudo-executable', '/usr/bin/sudo', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(String(r.json<Envelope>().items[0]?.value['stdout']).trim()).toBe('rivet');
  });

  it('C-07: --env-var K=V is repeatable on command run and script run; a value may hold =', async () => {
    const cwd = await makeProject(LOCAL);
    const cmd = await rivet(['command', 'run', 'echo "$A|$B"', '-t', 'one', '--env-var', 'A=1', '--env-var', 'B=x=y', '--format', 'json'], { cwd });
    expect(String(cmd.json<Envelope>().items[0]?.value['stdout'])).toBe('1|x=y\n');
    await writeFile(join(cwd, 'env.sh'), '#!/bin/sh\necho "$A|$B"\n');
    const script = await rivet(['script', 'run', 'env.sh', '-t', 'one', '--env-var', 'A=2', '--env-var', 'B=', '--format', 'json'], { cwd });
    expect(String(script.json<Envelope>().items[0]?.value['stdout'])).toBe('2|\n');
  });

  it('C-07: --env-var FOO (no =) is refused naming the flag; task run and plan run have no --env-var', async () => {
    const cwd = await makeProject(LOCAL);
    const bad = await rivet(['command', 'run', 'touch ran', '-t', 'one', '--env-var', 'FOO'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--env-var expects KEY=VALUE, got 'FOO'");
    const task = await rivet(['task', 'run', 'flags::where', '-t', 'one', '--env-var', 'A=1'], { cwd });
    expect(task.code).toBe(2);
    expect(task.stderr).toContain("unknown option '--env-var'");
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  });

  it('C-07: --tmpdir puts script run and task run files in that directory, and cleans them up', async () => {
    const cwd = await makeProject(LOCAL);
    const tmp = await mkdtemp(join(tmpdir(), 'rivet-tmpdir-'));
    const script = await rivet(['script', 'run', 'where.sh', '-t', 'one', '--tmpdir', tmp, '--format', 'json'], { cwd });
    expect(script.code).toBe(0);
    expect(String(script.json<Envelope>().items[0]?.value['stdout']).startsWith(`${tmp}/`)).toBe(true);
    const task = await rivet(['task', 'run', 'flags::where', '-t', 'one', '--tmpdir', tmp, '--format', 'json'], { cwd });
    expect(task.code).toBe(0);
    expect(String(task.json<Envelope>().items[0]?.value['path']).startsWith(`${tmp}/`)).toBe(true);
    await writeFile(join(cwd, 'payload.txt'), 'x\n');
    const upload = await rivet(['file', 'upload', 'payload.txt', join(tmp, 'payload.txt'), '-t', 'one', '--tmpdir', tmp], { cwd });
    expect(upload.code).toBe(0);
    expect(await readFile(join(tmp, 'payload.txt'), 'utf8')).toBe('x\n');
    expect(await readdir(tmp)).toEqual(['payload.txt']);
  });

  it('C-07: --noop on a task without supports_noop is refused before it runs; plan run has no --noop', async () => {
    const cwd = await makeProject(LOCAL);
    const marker = join(cwd, 'touched');
    const r = await rivet(['task', 'run', 'flags::touch', `path=${marker}`, '-t', 'one', '--noop'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Task does not support noop');
    expect(existsSync(marker)).toBe(false);
    const plan = await rivet(['plan', 'run', 'flags::echo', '-t', 'one', '--noop'], { cwd });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("unknown option '--noop'");
  });

  it('C-07: plan run takes --params and --tmpdir', async () => {
    const cwd = await makeProject(LOCAL);
    const tmp = await mkdtemp(join(tmpdir(), 'rivet-tmpdir-'));
    const r = await rivet(['plan', 'run', 'flags::echo', '--params', '{"targets": "one,two"}', '--tmpdir', tmp, '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<{ target: string }[]>().map((i) => i.target)).toEqual(['one', 'two']);
  });

  it('C-07: task show and plan show --filter take [a-z0-9_:]+, with Bolt\'s message for anything else', async () => {
    const cwd = await makeProject(LOCAL);
    const tasks = await rivet(['task', 'show', '--filter', 'flags::wh', '--format', 'json'], { cwd });
    expect(tasks.json<{ tasks: [string][] }>().tasks.map(([n]) => n)).toEqual(['flags::where']);
    const plans = await rivet(['plan', 'show', '--filter', 'flags::', '--format', 'json'], { cwd });
    expect(plans.json<{ plans: [string][] }>().plans.map(([n]) => n)).toEqual(['flags::echo']);
    for (const command of ['task', 'plan']) {
      const bad = await rivet([command, 'show', '--filter', 'Flags*'], { cwd });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--filter: illegal characters in filter string 'Flags*'. Filters can only include lowercase letters, numbers, underscores, and colons.");
    }
  });
});

describe('Per-action flags of the other commands (C-07)', () => {
  it('C-07: module install takes --force and --[no-]resolve, inventory show --detail', async () => {
    const cwd = await makeProject(LOCAL);
    const help = await rivet(['module', 'install', '--help'], { cwd });
    for (const flag of ['--force', '--resolve', '--no-resolve']) expect(help.stdout).toContain(flag);
    const detail = await rivet(['inventory', 'show', '-t', 'one', '--detail', '--format', 'json'], { cwd });
    expect(detail.json<{ targets: { name: string; config: { transport: string } }[] }>().targets[0]).toMatchObject({ name: 'one', config: { transport: 'local' } });
  });
});

describe('Bolt login flags over SSH', () => {
  let server: TestSshServer;
  let cwd: string;

  beforeAll(async () => {
    server = await startTestSshServer();
    // Only the known_hosts file is in the inventory: the login comes from the flags under test
    // (inventory config would beat them, I-11).
    cwd = await makeProject({ 'rivet-project.yaml': 'name: login\n', 'inventory.yaml': ['config:', '  ssh:', `    known-hosts-file: ${server.knownHostsPath}`, '    load-config: false', ''].join('\n') });
  }, 120_000);
  afterAll(async () => server?.stop());

  const target = (): string => `ssh://127.0.0.1:${server.port}`;

  it('C-03: -u and --private-key log in; --[no-]host-key-check decides whether an unknown host key is accepted', async () => {
    const ok = await rivet(['command', 'run', 'echo in', '-t', target(), '-u', server.user, '--private-key', server.clientKeyPath, '--host-key-check', '--format', 'json'], { cwd });
    // Bolt's cli_overrides warning: the inventory exists, and its config would win.
    expect(ok.stderr).toContain('WARN: CLI arguments ["user","private-key","host-key-check"] might be overridden by Inventory');
    expect(ok.json<Envelope>().items[0]).toMatchObject({ status: 'success', value: { stdout: 'in\n' } });

    // A project whose inventory names no known_hosts: the host is unknown.
    const bare = await makeProject({ 'rivet-project.yaml': 'name: bare\n', 'inventory.yaml': 'config:\n  ssh:\n    load-config: false\n    known-hosts-file: /dev/null\n' });
    const strict = await rivet(['command', 'run', 'true', '-t', target(), '-u', server.user, '--private-key', server.clientKeyPath, '--format', 'json'], { cwd: bare });
    expect(strict.code).toBe(1);
    expect(strict.json<Envelope>().items[0]?.value['_error']).toMatchObject({ issue_code: 'HOST_KEY_ERROR' });
    const trusting = await rivet(['command', 'run', 'true', '-t', target(), '-u', server.user, '--private-key', server.clientKeyPath, '--no-host-key-check', '--format', 'json'], { cwd: bare });
    expect(trusting.code).toBe(0);
  });

  it('C-03: -u with -p logs in with a password, and the password is in no output', async () => {
    const r = await rivet(['command', 'run', 'echo "$USER"', '-t', target(), '-u', server.passwordUser, '-p', server.password, '--connect-timeout', '60', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<Envelope>().items[0]?.status).toBe('success');
    expect(`${r.stdout}${r.stderr}`).not.toContain(server.password);
    const wrong = await rivet(['command', 'run', 'true', '-t', target(), '-u', server.passwordUser, '-p', 'not-the-password', '--format', 'json'], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.json<Envelope>().items[0]?.value['_error']).toMatchObject({ issue_code: 'AUTH_ERROR' });
    expect(wrong.stdout).not.toContain('not-the-password');
  });

  it('C-04: --run-as with --sudo-password runs as that user when sudo asks for the password', async () => {
    if (server.kind !== 'sshd') return; // sudo needs the real users of sshd
    const r = await rivet(
      ['command', 'run', 'id -un', '-t', target(), '-u', server.passwordUser, '-p', server.password, '--run-as', 'rivetapp', '--sudo-password', server.password, '--format', 'json'],
      { cwd },
    );
    expect(r.code).toBe(0);
    expect(String(r.json<Envelope>().items[0]?.value['stdout']).trim()).toBe('rivetapp');
    expect(`${r.stdout}${r.stderr}`).not.toContain(server.password);
    const wrong = await rivet(
      ['command', 'run', 'id -un', '-t', target(), '-u', server.passwordUser, '-p', server.password, '--run-as', 'rivetapp', '--sudo-password', 'wrong-pw', '--format', 'json'],
      { cwd },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).not.toContain('wrong-pw');
  });

  it('C-03: --connect-timeout bounds the wait for a server that never finishes the handshake', async () => {
    await using stall = await startStallServer();
    const r = await rivet(['command', 'run', 'true', '-t', `ssh://127.0.0.1:${stall.port}`, '-u', 'x', '--private-key', server.clientKeyPath, '--no-host-key-check', '--connect-timeout', '1', '--format', 'json'], { cwd });
    expect(r.code).toBe(1);
    const error = r.json<Envelope>().items[0]?.value['_error'] as { issue_code: string; msg: string };
    expect(error.issue_code).toBe('CONNECT_ERROR');
    expect(error.msg).toContain(`Timeout after 1 seconds connecting to ssh://127.0.0.1:${stall.port}`);
  }, 120_000);
});

describe('Logs and warnings (C-15)', () => {
  it('C-15: --log-level sets the console level: debug lines only at debug or trace, on stderr also with --format json', async () => {
    const cwd = await makeProject(LOCAL);
    const quiet = await rivet(['command', 'run', 'true', '-t', 'one'], { cwd });
    expect(quiet.stderr).not.toContain('DEBUG:');
    const debug = await rivet(['command', 'run', 'true', '-t', 'one', '--log-level', 'debug'], { cwd });
    expect(debug.stderr).toContain('DEBUG: Connecting to one (local)');
    const json = await rivet(['command', 'run', 'true', '-t', 'one', '--log-level', 'trace', '--format', 'json'], { cwd });
    expect(json.stderr).toContain('DEBUG: Connecting to one (local)');
    expect(json.json<Envelope>().items).toHaveLength(1);
    // The project file's console level is the default; --log-level beats it.
    const configured = await makeProject({ ...LOCAL, 'rivet-project.yaml': 'name: flags\nlog:\n  console:\n    level: debug\n  bolt-debug.log: disable\n' });
    expect((await rivet(['command', 'run', 'true', '-t', 'one'], { cwd: configured })).stderr).toContain('DEBUG: Connecting to one (local)');
    expect((await rivet(['command', 'run', 'true', '-t', 'one', '--log-level', 'warn'], { cwd: configured })).stderr).toBe('');
    const bad = await rivet(['command', 'run', 'true', '-t', 'one', '--log-level', 'loud'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'loud' is invalid");
  });

  it("C-15: warnings carry Bolt's [ID: x], and disable-warnings in the project file silences those ids", async () => {
    const files = { ...LOCAL, 'rivet-project.yaml': 'name: flags\nconcurency: 3\n' };
    const loud = await rivet(['command', 'run', 'true', '-t', 'one', '--user', 'me', '--tty'], { cwd: await makeProject(files) });
    expect(loud.code).toBe(0);
    expect(loud.stderr).toContain("unknown key 'concurency' in the project file is ignored [ID: unknown_option]");
    expect(loud.stderr).toContain('might be overridden by Inventory');
    expect(loud.stderr).toContain('[ID: cli_overrides]');
    expect(loud.stderr).toContain('[ID: ignored_cli_flag]');

    const silenced = { ...files, 'rivet-project.yaml': 'name: flags\nconcurency: 3\ndisable-warnings: [unknown_option, cli_overrides, ignored_cli_flag]\n' };
    const quiet = await rivet(['command', 'run', 'true', '-t', 'one', '--user', 'me', '--tty'], { cwd: await makeProject(silenced) });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });
});

describe("Bolt's packaged modules (I-25)", () => {
  it('I-25: Rivet ships facts, package and service; a task of another module Bolt ships says how to install it', async () => {
    const cwd = await makeProject(LOCAL);
    const shown = await rivet(['task', 'show', '--format', 'json'], { cwd });
    const builtins = shown.json<{ tasks: [string][] }>().tasks.map(([n]) => n).filter((n) => !n.startsWith('flags::'));
    expect(builtins).toEqual(['facts', 'package', 'service']);
    const reboot = await rivet(['task', 'run', 'reboot', '-t', 'one'], { cwd });
    expect(reboot.code).toBe(2);
    expect(reboot.stderr).toContain("'reboot' is a module Bolt ships with and Rivet does not: install it with 'rivet module add puppetlabs/reboot'.");
    const agent = await rivet(['task', 'run', 'puppet_agent::version', '-t', 'one'], { cwd });
    expect(agent.stderr).toContain("install it with 'rivet module add puppetlabs/puppet_agent'");
    const canary = await rivet(['task', 'run', 'canary', '-t', 'one'], { cwd });
    expect(canary.stderr).toContain("'canary' is a module Bolt ships with and Rivet does not (it is not on the Puppet Forge either).");
  });
});
