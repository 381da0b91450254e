/**
 * Which shell runs the user's command, script or task (issue 10, group 1), as Bolt 3.30 decides it
 * in `lib/bolt/shell/bash.rb` `execute`:
 * - over SSH, a plain command goes to the exec request as is, so sshd runs it with the login
 *   user's shell (`$SHELL -c`): bash for a bash user, with `$0` = `bash`;
 * - with run-as Bolt sends `sudo -S -H -u U -p P sh -c 'cd; CMD'`, with env vars
 *   `/usr/bin/env K=V sh -c 'CMD'`: `sh`;
 * - the local transport (`lib/bolt/transport/local/connection.rb` `execute`, Ruby `popen3`) runs
 *   command strings with `/bin/sh`.
 * A script without a shebang is run by whichever shell ran its path (ENOEXEC fallback). Error
 * text names the command as that shell reports it, never Rivet's bootstrap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../src/transports/local/index.ts';
import { SshTransport } from '../../../src/transports/ssh/index.ts';
import type { Connection } from '../../../src/transports/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { BASH_USER, TEST_USERS, ensureBashUser } from '../../harness/users.ts';
import { makeTarget } from '../../helpers/targets.ts';
import { fakeHome, sshTarget } from '../ssh/helpers.ts';

const signal = (): AbortSignal => new AbortController().signal;
const noShebang = { name: 'noshebang.sh', content: Buffer.from('if [ -n "${BASH_VERSION:-}" ]; then echo bash; else echo sh; fi\n') };

describe('local transport: commands run with /bin/sh (Bolt local connection.rb execute, popen3)', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await new LocalTransport().connect(makeTarget({ name: 'localhost', config: { transport: 'local' } }), { signal: signal() });
  });
  afterAll(() => conn?.close());

  it('$0 is sh and errors name the command at line 1, not the bootstrap', async () => {
    const r = await conn.run('echo "$0"; no_such_command_rivet', { signal: signal() });
    expect(r.stdout.toString()).toBe('sh\n');
    expect(r.stderr.toString()).toBe('sh: 1: no_such_command_rivet: not found\n');
    expect(r.exitCode).toBe(127);
  });

  it('a script without a shebang runs in sh', async () => {
    const r = await conn.runFile({ signal: signal(), file: noShebang });
    expect(r.stdout.toString()).toBe('sh\n');
  });
});

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('ssh transport on real sshd: the login shell, as Bolt bash.rb execute', () => {
  let server: SshdServer;
  let bash: Connection;
  let shUser: Connection;

  beforeAll(async () => {
    await ensureBashUser();
    server = await startSshd({ extraConfig: [`AllowUsers ${BASH_USER}@127.0.0.0/8`] });
    const transport = new SshTransport({ resolveEnv: await fakeHome() });
    bash = await transport.connect(sshTarget(server, {}, { user: BASH_USER }), { signal: signal() });
    shUser = await transport.connect(sshTarget(server, {}, { user: TEST_USERS.main }, 3), { signal: signal() });
  });
  afterAll(async () => {
    await bash?.close();
    await shUser?.close();
    await server?.stop();
  });

  it('X-09: a bash login user gets bash: [[ ]], echo -e, $0 = bash', async () => {
    const r = await bash.run('[[ 1 == 1 ]] && echo -e "a\\tb"; echo "$0"', { signal: signal() });
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.toString()).toBe('a\tb\nbash\n');
  });

  it('X-09: errors read as bash reports the command itself (bash -c, line 1)', async () => {
    const r = await bash.run('no_such_command_rivet', { signal: signal() });
    expect(r.stderr.toString()).toBe('bash: line 1: no_such_command_rivet: command not found\n');
    expect(r.exitCode).toBe(127);
  });

  it('X-09: a /bin/sh login user gets sh: "sh: 1: x: not found"', async () => {
    const r = await shUser.run('echo "$0"; no_such_command_rivet', { signal: signal() });
    expect(r.stdout.toString()).toBe('sh\n');
    expect(r.stderr.toString()).toBe('sh: 1: no_such_command_rivet: not found\n');
  });

  it('X-09: a script without a shebang runs in the login shell (bash ENOEXEC fallback)', async () => {
    const r = await bash.runFile({ signal: signal(), file: noShebang });
    expect(r.stdout.toString()).toBe('bash\n');
  });

  it('T-25: with env vars Bolt wraps the command in /usr/bin/env ... sh -c: sh', async () => {
    const r = await bash.run('echo "$0 $A"', { signal: signal(), env: { A: 'x' } });
    expect(r.stdout.toString()).toBe('sh x\n');
  });

  it('X-03: with run-as Bolt wraps the command in sudo ... sh -c: sh', async () => {
    const r = await shUser.run('echo "$0 $(id -un)"', { signal: signal(), runAs: { user: TEST_USERS.app } });
    expect(r.stdout.toString()).toBe(`sh ${TEST_USERS.app}\n`);
  });
});
