import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorOf, hasApt, isRoot, runTask, sh } from './run-task.ts';
import { straceSkipReason } from '../../harness/strace.ts';

const hasStrace = straceSkipReason() === undefined;

/** A tiny Debian package that is not part of the base system. */
const PKG = 'sl';

function dpkgInstalled(name: string): string | undefined {
  const r = sh(`dpkg-query -W -f='\${db:Status-Status} \${Version}' ${name}`);
  const [st, ver] = r.out.trim().split(' ');
  return r.code === 0 && st === 'installed' ? ver : undefined;
}

describe('builtin package task: parameters and errors', () => {
  it('rejects an unknown action with a package error and exit 1', () => {
    const r = runTask('package', { action: 'frobnicate', name: 'coreutils' });
    expect(r.exitCode).toBe(1);
    const e = errorOf(r);
    expect(e.kind).toBe('rivet/package-error');
    expect(e.msg).toBe("unknown action 'frobnicate': expected install, uninstall, upgrade or status");
    expect(e.details).toMatchObject({ action: 'frobnicate', name: 'coreutils' });
  });

  it('requires action and name', () => {
    expect(errorOf(runTask('package', { name: 'coreutils' })).msg).toMatch(/parameter 'action' is required/);
    const r = runTask('package', { action: 'status' });
    expect(r.exitCode).toBe(1);
    expect(errorOf(r).msg).toBe("parameter 'name' is required");
  });

  it('refuses names and versions that could be read as options', () => {
    expect(errorOf(runTask('package', { action: 'install', name: '--allow-downgrades' })).msg).toBe(
      "invalid package name '--allow-downgrades'",
    );
    expect(errorOf(runTask('package', { action: 'install', name: 'sl', version: '1 -o x' })).msg).toBe(
      "invalid version '1 -o x'",
    );
  });

  it('reports an unknown or unavailable manager', () => {
    expect(errorOf(runTask('package', { action: 'status', name: 'x', manager: 'brew' })).msg).toBe(
      "unknown manager 'brew': expected apt, dnf, yum, apk or zypper",
    );
    const missing = ['dnf', 'yum', 'apk', 'zypper'].find((m) => sh(`command -v ${m}`).code !== 0);
    if (missing) {
      expect(errorOf(runTask('package', { action: 'status', name: 'x', manager: missing })).msg).toBe(
        `package manager '${missing}' is not available on this target`,
      );
    }
  });

  it('treats null optional parameters as absent (environment input encodes null as "null")', () => {
    const r = runTask('package', { action: 'status', name: 'coreutils', version: null, manager: null });
    expect(r.exitCode).toBe(0);
    expect(r.value['status']).toBe('installed');
  });
});

describe.skipIf(!hasApt)('builtin package task: status on apt (dpkg-query)', () => {
  it('reports an installed package with its dpkg version', () => {
    const r = runTask('package', { action: 'status', name: 'coreutils' });
    expect(r.exitCode).toBe(0);
    expect(r.value['status']).toBe('installed');
    expect(r.value['version']).toBe(dpkgInstalled('coreutils'));
  });

  // Issue 8 (start-up): a status check makes no temp file for the package manager's output (it
  // runs no package manager command): no mktemp and no rm; for a missing package (the example
  // plan's nginx) dpkg-query alone (every execve counted).
  it.skipIf(!hasStrace)('status of a missing package starts dpkg-query and nothing else besides its shell', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rivet-package-strace-'));
    try {
      const log = path.join(dir, 'strace');
      const r = runTask('package', { action: 'status', name: 'rivet-no-such-package' }, { shell: ['strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, '/bin/sh'] });
      expect(r.exitCode).toBe(0);
      expect(r.value).toEqual({ status: 'not installed', version: '' });
      const programs = [...readFileSync(log, 'utf8').matchAll(/execve\("([^"]+)".*\) = 0$/gm)].map((m) => path.basename(m[1]!)).slice(1);
      expect(programs).toEqual(['dpkg-query']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing package as not installed', () => {
    for (const name of [PKG, 'rivet-no-such-package']) {
      if (name === PKG && dpkgInstalled(PKG)) continue;
      const r = runTask('package', { action: 'status', name });
      expect(r.exitCode).toBe(0);
      expect(r.value).toEqual({ status: 'not installed', version: '' });
    }
  });

  it('status and noop never change anything', () => {
    const before = dpkgInstalled('coreutils');
    runTask('package', { action: 'status', name: 'coreutils', manager: 'apt' });
    const r = runTask('package', { action: 'uninstall', name: 'coreutils', _noop: true });
    expect(r.value).toMatchObject({ status: 'installed', noop: true, changed: true, would: 'uninstall' });
    expect(dpkgInstalled('coreutils')).toBe(before);
  });
});

// Install/uninstall for real: needs root and a reachable Debian mirror.
let aptSkipReason: string | undefined;
describe('builtin package task: install, upgrade, uninstall on apt', () => {
  beforeAll(() => {
    if (!hasApt) aptSkipReason = 'apt-get/dpkg not present';
    else if (!isRoot) aptSkipReason = 'installing packages needs root';
    else {
      const upd = sh('apt-get -q -o DPkg::Lock::Timeout=60 update', 90_000);
      if (upd.code !== 0) aptSkipReason = `apt-get update failed (no mirror?): ${upd.out.slice(-300)}`;
      else if (dpkgInstalled(PKG)) {
        const rm = sh(`apt-get -y -q -o DPkg::Lock::Timeout=60 remove ${PKG}`);
        if (rm.code !== 0) aptSkipReason = `could not remove pre-installed ${PKG}: ${rm.out}`;
      }
    }
  }, 120_000);

  it('noop install reports what would happen and installs nothing', (ctx) => {
    ctx.skip(!!aptSkipReason, aptSkipReason);
    const r = runTask('package', { action: 'install', name: PKG, _noop: true });
    expect(r.exitCode).toBe(0);
    expect(r.value).toMatchObject({ status: 'not installed', version: '', noop: true, changed: true, would: 'install' });
    expect(r.value['would_version']).toMatch(/^\d/);
    expect(dpkgInstalled(PKG)).toBeUndefined();
  });

  it('noop install of a package apt cannot find fails like the real install would', (ctx) => {
    ctx.skip(!!aptSkipReason, aptSkipReason);
    const r = runTask('package', { action: 'install', name: 'rivet-no-such-package', _noop: true });
    expect(r.exitCode).toBe(1);
    const e = errorOf(r);
    expect(e.msg).toMatch(/^apt-get failed with exit code 100: E: Unable to locate package rivet-no-such-package$/);
    expect(e.details['exit_code']).toBe(100);
    expect(String(e.details['output'])).toContain('Unable to locate package');
  });

  it('install, reinstall, upgrade, uninstall a real package', (ctx) => {
    ctx.skip(!!aptSkipReason, aptSkipReason);
    const inst = runTask('package', { action: 'install', name: PKG, refresh: true });
    expect(inst.exitCode, inst.stdout).toBe(0);
    const version = dpkgInstalled(PKG);
    expect(version).toBeDefined();
    expect(inst.value).toEqual({ status: 'installed', version, changed: true });

    expect(runTask('package', { action: 'install', name: PKG }).value).toEqual({
      status: 'installed',
      version,
      changed: false,
    });
    expect(runTask('package', { action: 'status', name: PKG }).value).toEqual({ status: 'installed', version });

    const up = runTask('package', { action: 'upgrade', name: PKG });
    expect(up.value).toEqual({ status: 'up to date', version, old_version: version, changed: false });
    const upNoop = runTask('package', { action: 'upgrade', name: PKG, _noop: true });
    expect(upNoop.value).toMatchObject({ status: 'up to date', version, noop: true, changed: false });

    const rmNoop = runTask('package', { action: 'uninstall', name: PKG, _noop: true });
    expect(rmNoop.value).toMatchObject({ status: 'installed', noop: true, would: 'uninstall' });
    expect(dpkgInstalled(PKG)).toBe(version);

    const rm = runTask('package', { action: 'uninstall', name: PKG });
    expect(rm.exitCode).toBe(0);
    expect(rm.value).toEqual({ status: 'uninstalled', old_version: version, changed: true });
    expect(dpkgInstalled(PKG)).toBeUndefined();
    expect(runTask('package', { action: 'uninstall', name: PKG }).value).toEqual({
      status: 'uninstalled',
      changed: false,
    });
    expect(runTask('package', { action: 'status', name: PKG }).value).toEqual({ status: 'not installed', version: '' });
  }, 120_000);

  it('upgrade of a package that is not installed is an error', (ctx) => {
    ctx.skip(!!aptSkipReason, aptSkipReason);
    const r = runTask('package', { action: 'upgrade', name: PKG });
    expect(r.exitCode).toBe(1);
    expect(errorOf(r).msg).toBe(`package '${PKG}' is not installed; use action=install`);
  });

  it('install of an unknown version fails with apt output in details', (ctx) => {
    ctx.skip(!!aptSkipReason, aptSkipReason);
    const r = runTask('package', { action: 'install', name: PKG, version: '0.0.0-rivet' });
    expect(r.exitCode).toBe(1);
    const e = errorOf(r);
    expect(e.kind).toBe('rivet/package-error');
    expect(e.msg).toBe("apt-get failed with exit code 100: E: Version '0.0.0-rivet' for 'sl' was not found");
    expect(e.details).toMatchObject({ action: 'install', name: PKG, manager: 'apt-get', exit_code: 100 });
    expect(dpkgInstalled(PKG)).toBeUndefined();
  });
});
