/**
 * The built-in tasks run over real OpenSSH sshd the way Bolt runs a task on a
 * POSIX target (checklist §1.3, header): `mkdir -m 700` a temp dir, upload the
 * script, `chmod u+x`, `/usr/bin/env PT_*=... sh -c <path>` in a session without
 * a TTY, then `rm -rf`. The session user's login shell is /bin/sh and nothing in
 * the task may depend on HOME, a TTY or the caller's PATH.
 *
 * Uses the OpenSSH client so these tests do not depend on Rivet's transport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startSshd, sshdSkipReason, type SshdServer } from '../../harness/sshd.ts';
import { TEST_USERS } from '../../harness/users.ts';
import { runTask, taskScript } from './run-task.ts';

const skipReason = sshdSkipReason() ?? (spawnSync('ssh', ['-V']).error ? 'OpenSSH client not installed' : undefined);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let sshd: SshdServer | undefined;

function ssh(user: string, command: string, input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    'ssh',
    [
      '-T', '-F', '/dev/null', '-p', String(sshd!.port), '-i', sshd!.clientKeyPath,
      '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${sshd!.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes', '-o', 'LogLevel=ERROR',
      `${user}@127.0.0.1`, command,
    ],
    { input: input ?? '', encoding: 'utf8', timeout: 120_000, env: { PATH: '/usr/bin:/bin' } },
  );
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run one built-in task over ssh, Bolt-style; returns exit code and parsed stdout. */
function sshTask(
  module: 'facts' | 'package' | 'service',
  params: Record<string, string>,
  opts: { user?: string; sudo?: boolean } = {},
): { code: number | null; value: Record<string, any>; stdout: string; stderr: string } {
  const user = opts.user ?? TEST_USERS.main;
  const dir = ssh(user, 'mktemp -d /tmp/rivet-task.XXXXXXXX').stdout.trim();
  expect(dir).toMatch(/^\/tmp\/rivet-task\./);
  try {
    expect(ssh(user, `chmod 700 ${q(dir)}`).code).toBe(0);
    const exe = `${dir}/init.sh`;
    expect(ssh(user, `cat > ${q(exe)}`, readFileSync(taskScript(module), 'utf8')).code).toBe(0);
    expect(ssh(user, `chmod u+x ${q(exe)}`).code).toBe(0);
    const env = Object.entries(params).map(([k, v]) => `PT_${k}=${q(v)}`).join(' ');
    const r = ssh(user, `${opts.sudo ? 'sudo -n ' : ''}/usr/bin/env ${env} sh -c ${q(exe)}`);
    let value: Record<string, any>;
    try {
      value = JSON.parse(r.stdout);
    } catch {
      throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, value, stdout: r.stdout, stderr: r.stderr };
  } finally {
    ssh(user, `rm -rf ${q(dir)}`);
  }
}

describe.skipIf(!!skipReason)(`builtin tasks over real sshd${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    sshd = await startSshd({ sftp: false });
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
  });

  it('facts gives the same answer as a local run', () => {
    const r = sshTask('facts', {});
    expect(r.code).toBe(0);
    expect(r.value).toEqual(runTask('facts').value);
  });

  it('package status and noop install work without root', () => {
    const st = sshTask('package', { action: 'status', name: 'coreutils' });
    expect(st.code).toBe(0);
    expect(st.value).toMatchObject({ status: 'installed' });
    expect(st.value['version']).toBe(runTask('package', { action: 'status', name: 'coreutils' }).value['version']);

    const missing = sshTask('package', { action: 'status', name: 'rivet-no-such-package' });
    expect(missing.value).toEqual({ status: 'not installed', version: '' });

    if (runTask('package', { action: 'status', name: 'sl' }).value['status'] === 'not installed') {
      const noop = sshTask('package', { action: 'install', name: 'sl', _noop: 'true' });
      expect(noop.code, noop.stdout).toBe(0);
      expect(noop.value).toMatchObject({ status: 'not installed', noop: true, would: 'install' });
    }
  });

  it('package install without root fails with the apt-get error, not a hang or a prompt', () => {
    const r = sshTask('package', { action: 'install', name: 'rivet-no-such-package' }, { user: TEST_USERS.noSudo });
    expect(r.code).toBe(1);
    expect(r.value['_error'].kind).toBe('rivet/package-error');
    expect(r.value['_error'].msg).toMatch(/^apt-get failed with exit code 100: E: .*(root|Permission denied)/);
  });

  it('hostile parameter values survive the remote shell and come back escaped', () => {
    const name = `it's "quoted" \\ $(id) \n🚀`;
    const r = sshTask('package', { action: 'status', name });
    expect(r.code).toBe(1);
    expect(r.value['_error'].msg).toBe(`invalid package name '${name}'`);
  });

  it('service: unknown service error, and status of the ssh init script through sudo', () => {
    const unknown = sshTask('service', { action: 'status', name: 'rivet-no-such-service' });
    expect(unknown.code).toBe(1);
    expect(unknown.value['_error'].msg).toMatch(/^unknown service 'rivet-no-such-service'/);

    const st = sshTask('service', { action: 'status', name: 'ssh' }, { sudo: true });
    expect(st.code, st.stdout + st.stderr).toBe(0);
    expect(['running', 'stopped']).toContain(st.value['status']);
    expect(st.value['manager']).toBe('sysvinit');
  });
});
