/**
 * I-16: a password written in a URI is removed the way the URI is parsed to connect, so one with
 * an unencoded `@` (`ssh://user:p@ss@host`), and one with an empty user (`postgres://:pw@db`), is
 * removed whole, everywhere: command output in every format, jsonl events, errors, the
 * `--save-rerun` file, the runtime's events and results. Against a real sshd.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uriPasswordRedactor } from '../../src/cli/redact-io.ts';
import { redactUriPasswords, safeUri } from '../../src/core/uri-passwords.ts';
import { createRuntime } from '../../src/runtime/create.ts';
import { parseTargetUri } from '../../src/runtime/inventory/uri.ts';
import { safeUrl } from '../../src/runtime/modules/git.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { makeProject, rivet } from '../cli/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

/** The password's halves: each must never be seen, the part after the `@` above all. */
const HEAD = 'canaryHEAD';
const TAIL = 'canaryTAIL';
const PASSWORD = `${HEAD}@${TAIL}`;

function expectNoCanary(text: string): void {
  expect(text).not.toContain(HEAD);
  expect(text).not.toContain(TAIL);
}

describe('URI passwords holding an unencoded @ (I-16)', () => {
  it('I-16: every redaction reads the URI as the connection does (last @ ends the user info)', () => {
    const uri = `ssh://deploy:${PASSWORD}@web1:22`;
    expect(parseTargetUri(uri)).toMatchObject({ user: 'deploy', password: PASSWORD, host: 'web1', port: 22 });
    expect(safeUri(uri)).toBe('ssh://deploy@web1:22');
    expect(safeUri(`deploy:${PASSWORD}@web1`)).toBe('deploy@web1');
    expect(redactUriPasswords(`Failed on ${uri}: refused`)).toBe('Failed on ssh://deploy@web1:22: refused');
    expect(redactUriPasswords(`cannot reach postgres://:${PASSWORD}@db:5432/rivet`)).toBe('cannot reach postgres://@db:5432/rivet');
    expect(redactUriPasswords(`{"a":"ssh://u:${HEAD}@h","b":"x@y"}`)).toBe('{"a":"ssh://u@h","b":"x@y"}');
    expect(redactUriPasswords(`ssh://a:${HEAD}@h1,ssh://b:${TAIL}@h2`)).toBe('ssh://a@h1,ssh://b@h2');
    expect(redactUriPasswords('see https://example.com/a@b and git@github.com:x/y')).toBe('see https://example.com/a@b and git@github.com:x/y');
    expect(safeUrl(`https://tok:${PASSWORD}@git.example/x.git`)).toBe('https://git.example/x.git');
    expect(safeUrl(`ssh://git:${PASSWORD}@git.example/x.git`)).toBe('ssh://git@git.example/x.git');
    const redact = uriPasswordRedactor(['-t', `alice:${PASSWORD}@web1,ssh://bob:${PASSWORD}@web2`]);
    expect(redact(`alice:${PASSWORD}@web1 and ssh://bob:${PASSWORD}@web2`)).toBe('alice@web1 and ssh://bob@web2');
  });

  it('I-16: a bad URI is refused without its password in the error', () => {
    expect(() => parseTargetUri(`ssh://u:${PASSWORD}@h:99999`)).toThrow(/'ssh:\/\/u@h:99999'/);
    expect(() => parseTargetUri(`u:${HEAD}%zz@h`)).toThrow(/bad percent-encoding in the password/);
    try {
      parseTargetUri(`u:${PASSWORD}@h:99999`);
    } catch (error) {
      expectNoCanary(JSON.stringify(error) + String(error));
    }
    // '#' and '?' end a parsed authority early: the first part of the password would read as a port.
    for (const uri of [`ssh://root:${HEAD}#${TAIL}@h:1`, `ssh://root:${HEAD}?${TAIL}@h`, `root:${HEAD}#${TAIL}@h`]) {
      let message = '';
      try {
        parseTargetUri(uri);
      } catch (error) {
        message = JSON.stringify(error) + String(error);
      }
      expect(message).toMatch(/must be percent-encoded/);
      expectNoCanary(message);
    }
  });

  it('I-16: a comma list keeps each target apart (a port is not read as the next one\'s password); quotes and backslashes in passwords', () => {
    expect(redactUriPasswords('Failed on 2 targets: ssh://root@127.0.0.2:1,root@127.0.0.3:1')).toBe('Failed on 2 targets: ssh://root@127.0.0.2:1,root@127.0.0.3:1');
    expect(redactUriPasswords(`ssh://h1:22,root:${HEAD}@h2`)).toBe('ssh://h1:22,root@h2');
    expect(redactUriPasswords(`ssh://a:${HEAD},${TAIL}@h`)).toBe('ssh://a@h');
    expect(safeUri(`ssh://root:q'${HEAD}\\${TAIL}"@h:1`)).toBe('ssh://root@h:1');
  });

  it("I-16: the human summary names inventory targets without passwords holding quotes or backslashes (port 1: refused)", async () => {
    const names = [`ssh://root:q'${HEAD}@127.0.0.2:1`, `ssh://root:b\\${TAIL}@127.0.0.3:1`, `root:${HEAD}x@127.0.0.1:1`];
    const cwd = await makeProject({ 'inventory.yaml': `targets:\n${names.map((n) => `  - ${JSON.stringify(n)}\n`).join('')}` });
    const r = await rivet(['command', 'run', 'true', '-t', 'all', '--connect-timeout', '5'], { cwd });
    expect(r.stdout).toMatch(/Failed on 3 targets: ssh:\/\/root@127\.0\.0\.2:1,ssh:\/\/root@127\.0\.0\.3:1,root@127\.0\.0\.1:1/);
    expectNoCanary(r.stdout + r.stderr);
  });
});

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('URI passwords with @ against a real sshd (I-16)', () => {
  let server: SshdServer;
  beforeAll(async () => {
    server = await startSshd();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it.each(['human', 'json', 'jsonl'] as const)(
    'I-16: never in command run output, events, errors or --save-rerun (--format %s)',
    async (format) => {
      const inventory = ['targets: []', ...sshConfigLines(server, { 'connect-timeout': 60 }), ''].join('\n');
      const cwd = await makeProject({ 'rivet-project.yaml': 'name: canary\n', 'inventory.yaml': inventory });
      const up = `ssh://${server.user}:${PASSWORD}@127.0.0.1:${server.port}`;
      const down = `ssh://${server.user}:${PASSWORD}@127.0.0.1:1`;
      const bare = `${server.user}:${PASSWORD}@127.0.0.2:${server.port}`;
      const r = await rivet(['command', 'run', 'echo ran', '-t', `${up},${down},${bare}`, '--format', format, '--log-level', 'trace'], { cwd });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('ran');
      expect(r.stdout + r.stderr).toContain(`${server.user}@127.0.0.1:1`);
      expectNoCanary(r.stdout + r.stderr);
      const rerun = await readFile(join(cwd, '.rivet', 'rerun.json'), 'utf8');
      expect(rerun).toContain(`ssh://${server.user}@127.0.0.1:${server.port}`);
      expectNoCanary(rerun);
    },
    240_000,
  );

  it(
    'I-16: never in the events and results an application gets (runtime API)',
    async () => {
      const cwd = await makeProject({ 'rivet-project.yaml': 'name: canary\n' });
      const inventory = {
        targets: [`ssh://${server.user}:${PASSWORD}@127.0.0.1:${server.port}`, `${server.user}:${PASSWORD}@127.0.0.1:1`],
        config: { ssh: { 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false, 'connect-timeout': 60 } },
      };
      await using runtime = await createRuntime({ cwd, env: {}, inventory });
      const seen: string[] = [];
      runtime.events.on((event) => seen.push(JSON.stringify(event)));
      runtime.events.log('info', `an application logs postgres://:${PASSWORD}@db/x`);
      const set = await runtime.runCommand('echo ran', 'all');
      expect(set.length).toBe(2);
      expect(set.ok).toBe(false);
      expect(JSON.stringify(set)).toContain('ran');
      expectNoCanary(seen.join('\n'));
      expectNoCanary(JSON.stringify(set));
      for (const result of set) expectNoCanary(result.error()?.message ?? '');
    },
    240_000,
  );

  it(
    'I-16: a --durable URL with an empty user and an @ in its password is never shown',
    async () => {
      const cwd = await makeProject({ 'package.json': '{ "type": "module" }\n', 'rivet-project.yaml': 'name: canary\n', 'plans/p.ts': "import { plan } from 'rivetops';\nexport default plan({ run: async () => 1 });\n" });
      const r = await rivet(['plan', 'run', 'p', '--durable', `postgres://:${PASSWORD}@127.0.0.1:1/rivet`, '--log-level', 'trace'], { cwd });
      expect(r.code).not.toBe(0);
      expectNoCanary(r.stdout + r.stderr);
    },
    240_000,
  );
});
