/**
 * Secrets and paths: URI passwords never printed (any format, any log level), host-key-check off
 * warned once per run, target names safe as download directory names, and directory uploads that
 * keep symlinks as links on every path (local fs, SFTP, tar with run-as) against real sshd.
 */
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetDirName } from '../../src/runtime/steps/basic.ts';
import { createRuntime } from '../../src/runtime/create.ts';
import { uriPasswordRedactor } from '../../src/cli/redact-io.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { makeProject, rivet } from '../cli/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

const SECRET = 'hunter2xyz';

describe('passwords in target URIs (I-16)', () => {
  it.each(['human', 'json', 'jsonl'] as const)('I-16: never printed with --format %s at --log-level trace', async (format) => {
    const cwd = await makeProject({});
    const targets = `ssh://root:${SECRET}@127.0.0.1:1,bob:${SECRET}@127.0.0.1:1`;
    const r = await rivet(['command', 'run', 'true', '-t', targets, '--connect-timeout', '5', '--format', format, '--log-level', 'trace'], { cwd });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('root@127.0.0.1:1');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('I-16: never in the events an application subscribes to, nor in its results (runtime API)', async () => {
    const cwd = await makeProject({ 'rivet-project.yaml': 'name: secrets\n' });
    const inventory = { targets: [`ssh://root:${SECRET}@127.0.0.1:1`, `bob:${SECRET}@127.0.0.1:1`], config: { ssh: { 'connect-timeout': 5 } } };
    await using runtime = await createRuntime({ cwd, env: {}, inventory });
    const seen: string[] = [];
    runtime.events.on((event) => seen.push(JSON.stringify(event)));
    runtime.events.log('info', `an application logs ssh://carol:${SECRET}@db1`);
    const set = await runtime.runCommand('true', 'all');
    expect(set.ok).toBe(false);
    expect(set.length).toBe(2);
    expect(seen.some((e) => e.includes('"type":"target_finish"'))).toBe(true);
    expect(seen.join('\n')).toContain('bob@127.0.0.1:1');
    expect(seen.join('\n')).not.toContain(SECRET);
    expect(JSON.stringify(set)).not.toContain(SECRET);
    for (const result of set) expect(result.error()?.message ?? '').not.toContain(SECRET);
  });

  it('the redactor removes URI passwords and the bare user:password@host targets of argv', () => {
    const redact = uriPasswordRedactor(['-t', `alice:${SECRET}@web1,web2`]);
    expect(redact(`Started on ssh://root:${SECRET}@web1...`)).toBe('Started on ssh://root@web1...');
    expect(redact(`Failed on alice:${SECRET}@web1:`)).toBe('Failed on alice@web1:');
    expect(redact('git@github.com:x/y and 12:30')).toBe('git@github.com:x/y and 12:30');
  });
});

describe('host-key-check: false', () => {
  it('X-05: is warned about once per run, however many targets use it', async () => {
    const cwd = await makeProject({});
    const r = await rivet(['command', 'run', 'true', '-t', 'ssh://127.0.0.1:1,ssh://127.0.0.2:1,ssh://127.0.0.3:1', '--no-host-key-check', '--connect-timeout', '5'], { cwd });
    expect(r.stderr.match(/Host key checking is off \(host-key-check: false\)/g)).toHaveLength(1);
    const checked = await rivet(['command', 'run', 'true', '-t', 'ssh://127.0.0.1:1', '--connect-timeout', '5'], { cwd });
    expect(checked.stderr).not.toContain('Host key checking is off');
  });
});

describe('download directories (P-06)', () => {
  it('P-06: a target named .. downloads into its own %2E%2E directory, not the parent', async () => {
    const cwd = await makeProject({ 'inventory.yaml': 'targets:\n  - name: ".."\n    config: { transport: local }\n  - name: "."\n    config: { transport: local }\n' });
    await writeFile(join(cwd, 'source.txt'), 'payload\n');
    const r = await rivet(['file', 'download', join(cwd, 'source.txt'), 'dl', '-t', '..,.', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(await readFile(join(cwd, 'dl', '%2E%2E', 'source.txt'), 'utf8')).toBe('payload\n');
    expect(await readFile(join(cwd, 'dl', '%2E', 'source.txt'), 'utf8')).toBe('payload\n');
    expect(targetDirName('a/../b')).toBe('a%2F..%2Fb');
    expect(targetDirName('...')).toBe('%2E%2E%2E');
  });
});

/** A tree with a regular file, a link inside the tree, a link out of it and a dangling link. */
async function treeWithLinks(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'rivet-links-'));
  const src = join(base, 'tree');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'file.txt'), 'inside\n');
  await writeFile(join(base, 'secret.txt'), 'outside the tree\n');
  await symlink('file.txt', join(src, 'inside'));
  await symlink('../secret.txt', join(src, 'sub', 'outside'));
  await symlink(join(base, 'secret.txt'), join(src, 'absolute'));
  await symlink('missing', join(src, 'dangling'));
  return src;
}

async function expectLinksKept(dest: string): Promise<void> {
  expect(await readFile(join(dest, 'file.txt'), 'utf8')).toBe('inside\n');
  for (const [path, target] of [
    ['inside', 'file.txt'],
    ['sub/outside', '../secret.txt'],
    ['dangling', 'missing'],
  ] as const) {
    expect((await lstat(join(dest, path))).isSymbolicLink(), path).toBe(true);
    expect(await readlink(join(dest, path))).toBe(target);
  }
  expect((await lstat(join(dest, 'absolute'))).isSymbolicLink()).toBe(true);
}

describe('directory uploads keep symlinks as links (P-05)', () => {
  let server: TestSshServer;
  let project: string;
  let src: string;
  const dests: string[] = [];

  beforeAll(async () => {
    server = await startTestSshServer();
    src = await treeWithLinks();
    project = await makeProject({
      'inventory.yaml': [
        'targets:',
        '  - name: box',
        '    config: { transport: local }',
        '  - name: ssh1',
        '    uri: 127.0.0.2',
        ...sshConfigLines(server, { 'connect-timeout': 60 }),
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await server?.stop();
    for (const d of dests) await rm(d, { recursive: true, force: true });
  });

  const destination = (): string => {
    const d = join('/tmp', `rivet-links-dest-${Math.random().toString(16).slice(2)}`);
    dests.push(d);
    return d;
  };

  it.each([
    ['local (fs copy)', 'box', []],
    ['ssh (SFTP)', 'ssh1', []],
    ['ssh with run-as (tar on stdin)', 'ssh1', ['--run-as', 'root']],
  ] as const)('P-05: %s keeps links, follows none out of the tree, uploads dangling links', async (_path, target, extra) => {
    const dest = destination();
    const r = await rivet(['file', 'upload', src, dest, '-t', target, '--format', 'json', ...extra], { cwd: project });
    expect(r.stderr).not.toMatch(/error|fail/i);
    expect(r.code).toBe(0);
    await expectLinksKept(dest);
  });
});
