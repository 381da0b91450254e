/**
 * The foundation's "done when": `rivet command run 'uname -a' --targets all` against an inventory
 * of 50 loopback targets on real sshd, through the real binary, plus the other ad-hoc commands.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { TEST_USERS } from '../harness/users.ts';
import { makeProject } from '../cli/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rivet.mjs');

interface Envelope {
  items: { target: string; status: string; value: Record<string, unknown> }[];
  target_count: number;
}

async function rivetBin(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('rivet CLI over SSH', () => {
  let server: TestSshServer;
  let project: string;

  beforeAll(async () => {
    server = await startTestSshServer();
    const targets = Array.from({ length: 50 }, (_, i) => `      - 127.0.0.${i + 2}`).join('\n');
    project = await makeProject({
      'bolt-project.yaml': 'name: sshdemo\n',
      'inventory.yaml': [
        'groups:',
        '  - name: loop',
        '    targets:',
        targets,
        '  - name: broken',
        '    targets:',
        '      - uri: 127.0.0.1:1',
        '        name: refused',
        ...sshConfigLines(server, { 'connect-timeout': 30 }),
        '',
      ].join('\n'),
      'hello.sh': '#!/bin/sh\necho "hello from $(id -un) with $#: $*"\n',
      'payload.txt': 'payload over ssh\n',
    });
  });
  afterAll(async () => server?.stop());

  it('runs uname -a on 50 targets over one connection each', async () => {
    const before = server.connectionCount();
    const r = await rivetBin(['command', 'run', 'uname -a', '--targets', 'loop', '--format', 'json'], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Envelope;
    expect(out.target_count).toBe(50);
    expect(out.items.every((i) => i.status === 'success' && String(i.value['stdout']).startsWith('Linux'))).toBe(true);
    if (server.kind === 'sshd') expect(server.connectionCount() - before).toBe(50);
  });

  it('T-39: a refused connection fails only its own target, with CONNECT_ERROR', async () => {
    const r = await rivetBin(['command', 'run', 'true', '--targets', 'all', '--format', 'json'], project);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as Envelope;
    expect(out.target_count).toBe(51);
    const refused = out.items.find((i) => i.target === 'refused');
    expect(refused?.value['_error']).toMatchObject({ kind: 'puppetlabs.tasks/connect-error', issue_code: 'CONNECT_ERROR' });
    expect(out.items.filter((i) => i.status === 'success')).toHaveLength(50);
  });

  // Bolt: transport/base.rb with_events turns an exception into Result.from_exception (object nil);
  // ssh/connection.rb Connection#connect words it "Failed to connect to <target>: <reason>".
  it('T-39: ad-hoc targets that never connected: object null, Bolt wording; an unknown host name is a CONNECT_ERROR', async () => {
    const bare = await makeProject({ 'bolt-project.yaml': 'name: bare\n', 'inventory.yaml': 'config:\n  ssh:\n    load-config: false\n' });
    const r = await rivetBin(['command', 'run', 'true', '-t', 'no-such-host.invalid,ssh://127.0.0.1:1', '--format', 'json'], bare);
    expect(r.code).toBe(1);
    const items = (JSON.parse(r.stdout) as { items: { target: string; action: string; object: unknown; value: { _error: { kind: string; issue_code: string; msg: string } } }[] }).items;
    const [unknown, refused] = items;
    expect(unknown).toMatchObject({ target: 'no-such-host.invalid', action: 'command', object: null });
    expect(unknown!.value._error).toMatchObject({ kind: 'puppetlabs.tasks/connect-error', issue_code: 'CONNECT_ERROR' });
    expect(unknown!.value._error.msg).toMatch(/^Failed to connect to no-such-host\.invalid: cannot resolve host name 'no-such-host\.invalid'/);
    expect(refused).toMatchObject({ target: 'ssh://127.0.0.1:1', object: null });
    expect(refused!.value._error.msg).toMatch(/^Failed to connect to ssh:\/\/127\.0\.0\.1:1: connection refused by 127\.0\.0\.1:1/);
  });

  it('runs a script with arguments as another user', async (ctx) => {
    if (server.kind !== 'sshd') return ctx.skip('needs sshd and its test users');
    const r = await rivetBin(['script', 'run', 'hello.sh', 'a b', 'c', '-t', '127.0.0.2,127.0.0.3', '--run-as', TEST_USERS.app, '--format', 'json'], project);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Envelope;
    expect(out.items.map((i) => i.value['stdout'])).toEqual([`hello from ${TEST_USERS.app} with 2: a b c\n`, `hello from ${TEST_USERS.app} with 2: a b c\n`]);
  });

  it('uploads and downloads over SFTP', async () => {
    const dest = `/tmp/rivet-cli-upload-${process.pid}.txt`;
    const up = await rivetBin(['file', 'upload', 'payload.txt', dest, '-t', '127.0.0.4', '--format', 'json'], project);
    expect(up.code).toBe(0);
    const down = await rivetBin(['file', 'download', dest, 'copies', '-t', '127.0.0.4', '--format', 'json'], project);
    expect(down.code).toBe(0);
    // The CLI's destination is relative to the cwd (C-16, Bolt's Application#download_file).
    expect(await readFile(join(project, 'copies', '127.0.0.4', `rivet-cli-upload-${process.pid}.txt`), 'utf8')).toBe('payload over ssh\n');
    const absolute = join(project, 'abs-copies');
    const downAbs = await rivetBin(['file', 'download', dest, absolute, '-t', '127.0.0.4', '--format', 'json'], project);
    expect(downAbs.code).toBe(0);
    expect(await readFile(join(absolute, '127.0.0.4', `rivet-cli-upload-${process.pid}.txt`), 'utf8')).toBe('payload over ssh\n');
  });

  it('X-05: an unknown host key is a HOST_KEY_ERROR that says how to fix it', async () => {
    const r = await rivetBin(['command', 'run', 'true', '-t', `ssh://${server.user}@127.0.0.1:${server.port}`, '--format', 'json', '-i', 'nope.yaml'], project);
    // -i nope.yaml is missing: an error before anything runs, proving the flag is honoured
    // (--format json: Bolt's {"items": [], "_error"} and exit 1).
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ items: [], _error: { kind: 'bolt.inventory/validation-error' } });
    const bare = await makeProject({ 'bolt-project.yaml': 'name: bare\n', 'inventory.yaml': `config:\n  ssh:\n    private-key: ${server.clientKeyPath}\n    known-hosts-file: /dev/null\n    load-config: false\n` });
    const refusedKey = await rivetBin(['command', 'run', 'true', '-t', `ssh://${server.user}@127.0.0.9:${server.port}`, '--format', 'json'], bare);
    expect(refusedKey.code).toBe(1);
    const item = (JSON.parse(refusedKey.stdout) as Envelope).items[0]!;
    expect(item.value['_error']).toMatchObject({ issue_code: 'HOST_KEY_ERROR' });
    expect(String((item.value['_error'] as { msg: string }).msg)).toMatch(/ssh-keyscan|host-key-check/);
  });
});
