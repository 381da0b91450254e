/**
 * The dnf, apk and systemd paths cannot run on this Debian machine. These tests
 * drive them against small fake `rpm`/`dnf`/`apk`/`systemctl` programs (state in
 * files, every call logged) put first on the script's PATH, to check the
 * control flow and the command lines. They do not prove the real tools behave
 * like the fakes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { taskScript } from './run-task.ts';

let dir = '';
let bin = '';
let state = '';

const FAKES: Record<string, string> = {
  // rpm -q --whatprovides --qf FMT NAME
  rpm: `n="$(eval echo \\$$#)"
if [ -f "$STATE/pkg.$n" ]; then cat "$STATE/pkg.$n"; echo; else echo "no package provides $n"; exit 1; fi`,
  dnf: `case " $* " in
  *" repoquery "*) echo 1.1-1 ;;
  *" install "*) n="$(eval echo \\$$#)"; [ "$n" = missing ] && { echo "No match for argument: missing" >&2; exit 1; }
    printf '%s' "\${n#*-}" | grep -q '^[0-9]' && { printf '%s' "\${n#*-}" > "$STATE/pkg.\${n%%-*}"; exit 0; }
    printf 1.0-1 > "$STATE/pkg.$n" ;;
  *" remove "*) rm -f "$STATE/pkg.$(eval echo \\$$#)" ;;
  *" upgrade "*) printf 1.1-1 > "$STATE/pkg.$(eval echo \\$$#)" ;;
esac`,
  apk: `case "$1" in
  info) if [ "$2" = -e ]; then [ -f "$STATE/pkg.$3" ]; exit; fi; echo "$3-$(cat "$STATE/pkg.$3")" ;;
  add) n="$(eval echo \\$$#)"; case " $* " in *" --simulate "*) exit 0 ;; esac
    case "$n" in *=*) printf '%s' "\${n#*=}" > "$STATE/pkg.\${n%%=*}" ;; *) printf 2.0-r0 > "$STATE/pkg.$n" ;; esac ;;
  del) rm -f "$STATE/pkg.$(eval echo \\$$#)" ;;
esac`,
  systemctl: `n="$(eval echo \\$$#)"
case "$1" in
  show) if [ -f "$STATE/unit.$n" ]; then echo LoadState=loaded; else echo LoadState=not-found; fi ;;
  is-active) s=$(cat "$STATE/active.$n" 2>/dev/null || echo inactive); echo "$s"; [ "$s" = active ] ;;
  is-enabled) s=$(cat "$STATE/enabled.$n" 2>/dev/null || echo disabled); echo "$s"; [ "$s" = enabled ] ;;
  start|restart|reload) [ -f "$STATE/broken.$n" ] && { echo "Job for $n.service failed." >&2; exit 1; }; echo active > "$STATE/active.$n" ;;
  stop) echo inactive > "$STATE/active.$n" ;;
  enable) echo enabled > "$STATE/enabled.$n" ;;
  disable) echo disabled > "$STATE/enabled.$n" ;;
esac`,
};

function run(module: 'package' | 'service', params: Record<string, string>) {
  const src = readFileSync(taskScript(module), 'utf8').replace(
    /^PATH=\/usr\/sbin:/m,
    `PATH=${bin}:/usr/sbin:`,
  );
  const script = path.join(dir, `${module}.sh`);
  writeFileSync(script, src);
  const env: Record<string, string> = { STATE: state };
  for (const [k, v] of Object.entries(params)) env[`PT_${k}`] = v;
  const r = spawnSync('/bin/sh', [script], { env, encoding: 'utf8' });
  return { code: r.status, value: JSON.parse(r.stdout) as Record<string, any> };
}
const calls = () => readFileSync(path.join(state, 'calls'), 'utf8').trim().split('\n');

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rivet-fakes-'));
  bin = path.join(dir, 'bin');
  state = path.join(dir, 'state');
  mkdirSync(bin);
  mkdirSync(state);
  for (const [name, body] of Object.entries(FAKES)) {
    writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> "$STATE/calls"\n${body}\n`, { mode: 0o755 });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('package task on dnf (fake)', () => {
  it('status, install, upgrade, uninstall', () => {
    const p = { manager: 'dnf', name: 'tool' };
    expect(run('package', { ...p, action: 'status' }).value).toEqual({ status: 'not installed', version: '' });
    expect(run('package', { ...p, action: 'install', _noop: 'true' }).value).toMatchObject({
      status: 'not installed', noop: true, would: 'install', would_version: '1.1-1',
    });
    expect(run('package', { ...p, action: 'install' }).value).toEqual({ status: 'installed', version: '1.0-1', changed: true });
    expect(calls()).toContain('dnf -y install tool');
    expect(run('package', { ...p, action: 'status' }).value).toEqual({ status: 'installed', version: '1.0-1', latest: '1.1-1' });
    expect(run('package', { ...p, action: 'upgrade' }).value).toEqual({
      status: 'upgraded', version: '1.1-1', old_version: '1.0-1', changed: true,
    });
    expect(run('package', { ...p, action: 'install', version: '0.9-3' }).value).toMatchObject({
      status: 'installed', version: '0.9-3', old_version: '1.1-1',
    });
    expect(calls()).toContain('dnf -y install tool-0.9-3');
    expect(run('package', { ...p, action: 'uninstall' }).value).toEqual({
      status: 'uninstalled', old_version: '0.9-3', changed: true,
    });
    const bad = run('package', { manager: 'dnf', name: 'missing', action: 'install' });
    expect(bad.code).toBe(1);
    expect(bad.value['_error'].msg).toBe('dnf failed with exit code 1: No match for argument: missing');
  });
});

describe('package task on apk (fake)', () => {
  it('install with version, status, uninstall', () => {
    const p = { manager: 'apk', name: 'jq' };
    expect(run('package', { ...p, action: 'install', version: '1.7.1-r0' }).value).toEqual({
      status: 'installed', version: '1.7.1-r0', changed: true,
    });
    expect(calls()).toContain('apk add --no-progress jq=1.7.1-r0');
    expect(run('package', { ...p, action: 'status' }).value).toEqual({ status: 'installed', version: '1.7.1-r0' });
    expect(run('package', { ...p, action: 'uninstall' }).value).toMatchObject({ status: 'uninstalled', changed: true });
    expect(calls()).toContain('apk del --no-progress jq');
  });
});

describe('service task on systemd (fake systemctl)', () => {
  it('unknown unit, status, start, stop, enable, disable, failure', () => {
    const unknown = run('service', { manager: 'systemd', name: 'nope', action: 'status' });
    expect(unknown.code).toBe(1);
    expect(unknown.value['_error'].msg).toBe("unknown service 'nope': systemd has no unit named 'nope'");

    writeFileSync(path.join(state, 'unit.web'), '');
    const s = { manager: 'systemd', name: 'web' };
    expect(run('service', { ...s, action: 'status' }).value).toEqual({ status: 'stopped', enabled: 'disabled', manager: 'systemd' });
    expect(run('service', { ...s, action: 'start', _noop: 'true' }).value).toMatchObject({ status: 'stopped', would: 'start' });
    expect(run('service', { ...s, action: 'start' }).value).toEqual({
      status: 'running', enabled: 'disabled', manager: 'systemd', changed: true,
    });
    expect(calls()).toContain('systemctl start web');
    expect(run('service', { ...s, action: 'start' }).value).toMatchObject({ changed: false });
    expect(run('service', { ...s, action: 'enable' }).value).toMatchObject({ enabled: 'enabled', changed: true });
    expect(run('service', { ...s, action: 'disable' }).value).toMatchObject({ enabled: 'disabled', changed: true });
    expect(run('service', { ...s, action: 'stop' }).value).toMatchObject({ status: 'stopped', changed: true });

    writeFileSync(path.join(state, 'broken.web'), '');
    const failed = run('service', { ...s, action: 'restart' });
    expect(failed.code).toBe(1);
    expect(failed.value['_error']).toMatchObject({
      kind: 'rivet/service-error',
      msg: "'systemctl restart web' failed with exit code 1: Job for web.service failed.",
      details: { manager: 'systemd', exit_code: 1 },
    });
  });
});
