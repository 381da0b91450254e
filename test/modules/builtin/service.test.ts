import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { errorOf, hasApt, isRoot, runTask, sh } from './run-task.ts';

const hasSystemd = existsSync('/run/systemd/system');

describe('builtin service task: parameters and errors', () => {
  it('rejects an unknown action', () => {
    const r = runTask('service', { action: 'bounce', name: 'ssh' });
    expect(r.exitCode).toBe(1);
    const e = errorOf(r);
    expect(e.kind).toBe('rivet/service-error');
    expect(e.msg).toBe(
      "unknown action 'bounce': expected start, stop, restart, reload, enable, disable or status",
    );
  });

  it('requires a name and refuses path-like names', () => {
    expect(errorOf(runTask('service', { action: 'status' })).msg).toBe("parameter 'name' is required");
    expect(errorOf(runTask('service', { action: 'stop', name: '../../bin/true' })).msg).toBe(
      "invalid service name '../../bin/true'",
    );
  });

  it('reports an unknown service clearly (sysvinit)', () => {
    const r = runTask('service', { action: 'status', name: 'rivet-no-such-service', manager: 'sysvinit' });
    expect(r.exitCode).toBe(1);
    const e = errorOf(r);
    expect(e.msg).toBe("unknown service 'rivet-no-such-service': no init script /etc/init.d/rivet-no-such-service");
    expect(e.details).toEqual({ action: 'status', name: 'rivet-no-such-service', manager: 'sysvinit' });
  });

  it('rejects an unknown manager', () => {
    expect(errorOf(runTask('service', { action: 'status', name: 'x', manager: 'upstart' })).msg).toBe(
      "unknown manager 'upstart': expected systemd or sysvinit",
    );
  });

  it.skipIf(hasSystemd)('uses sysvinit when systemd is not running (this machine)', () => {
    const r = runTask('service', { action: 'status', name: 'rivet-no-such-service' });
    expect(errorOf(r).details['manager']).toBe('sysvinit');
  });
});

// A real LSB init script in /etc/init.d driving a real daemon through
// start-stop-daemon, controlled through the sysvinit path (init script, rc links
// via update-rc.d). The name is unique per run so parallel runs do not collide.
const SVC = `rivet-fixture-${process.pid}`;
const PIDFILE = `/run/${SVC}.pid`;
const LOG = `/run/${SVC}.log`;
const FAILFLAG = `/run/${SVC}.fail`;
const INIT = `/etc/init.d/${SVC}`;
const initScript = `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${SVC}
# Required-Start:    $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Rivet test fixture daemon
### END INIT INFO
PIDFILE=${PIDFILE}
case "$1" in
  start)
    if [ -e ${FAILFLAG} ]; then echo "${SVC}: refusing to start: config is broken" >&2; exit 6; fi
    start-stop-daemon --start --quiet --oknodo --background --make-pidfile --pidfile $PIDFILE \\
      --startas /bin/sh -- -c 'trap "echo reloaded >> ${LOG}" HUP; echo started >> ${LOG}; while :; do sleep 1; done' ;;
  stop) start-stop-daemon --stop --quiet --oknodo --retry 5 --pidfile $PIDFILE --remove-pidfile ;;
  restart|force-reload) "$0" stop && "$0" start ;;
  reload) start-stop-daemon --stop --signal HUP --quiet --pidfile $PIDFILE ;;
  status) start-stop-daemon --status --pidfile $PIDFILE; exit $? ;;
  *) echo "Usage: $0 {start|stop|restart|reload|status}" >&2; exit 3 ;;
esac
`;

function pid(): number | undefined {
  try {
    return Number(readFileSync(PIDFILE, 'utf8').trim());
  } catch {
    return undefined;
  }
}
function alive(p: number | undefined): boolean {
  if (!p) return false;
  try {
    // A zombie (nobody reaps daemons here) is not alive.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
function rcLinks(): string[] {
  return ['rc0.d', 'rc1.d', 'rc2.d', 'rc3.d', 'rc4.d', 'rc5.d', 'rc6.d'].flatMap((d) =>
    readdirSync(`/etc/${d}`).filter((f) => f.endsWith(SVC)).map((f) => `${d}/${f}`),
  );
}
const svc = (action: string, extra: Record<string, unknown> = {}) =>
  runTask('service', { action, name: SVC, manager: 'sysvinit', ...extra });

describe.skipIf(!isRoot || !existsSync('/sbin/start-stop-daemon'))(
  'builtin service task: sysvinit fixture service under /etc/init.d',
  () => {
    beforeAll(() => {
      writeFileSync(INIT, initScript, { mode: 0o755 });
    });
    afterAll(() => {
      sh(`${INIT} stop; update-rc.d ${SVC} remove`);
      for (const f of [INIT, LOG, FAILFLAG, PIDFILE]) rmSync(f, { force: true });
    });

    it('status of a stopped service (auto-detected manager)', () => {
      const r = runTask('service', { action: 'status', name: SVC });
      expect(r.exitCode).toBe(0);
      expect(r.value).toEqual({ status: 'stopped', enabled: 'disabled', manager: hasSystemd ? 'systemd' : 'sysvinit' });
    });

    it('noop start reports the change and starts nothing', () => {
      expect(svc('start', { _noop: true }).value).toEqual({
        status: 'stopped', enabled: 'disabled', manager: 'sysvinit', noop: true, changed: true, would: 'start',
      });
      expect(pid()).toBeUndefined();
    });

    it('start, start again, restart, reload, stop, stop again', () => {
      const started = svc('start');
      expect(started.exitCode).toBe(0);
      expect(started.value).toEqual({ status: 'running', enabled: 'disabled', manager: 'sysvinit', changed: true });
      const p1 = pid();
      expect(alive(p1)).toBe(true);

      expect(svc('start').value).toMatchObject({ status: 'running', changed: false });
      expect(pid()).toBe(p1);
      expect(svc('status').value).toEqual({ status: 'running', enabled: 'disabled', manager: 'sysvinit' });

      expect(svc('stop', { _noop: true }).value).toMatchObject({ status: 'running', noop: true, would: 'stop' });
      expect(alive(p1)).toBe(true);

      expect(svc('restart').value).toMatchObject({ status: 'running', changed: true });
      const p2 = pid();
      expect(p2).not.toBe(p1);
      expect(alive(p1)).toBe(false);
      expect(alive(p2)).toBe(true);

      expect(svc('reload').value).toMatchObject({ status: 'running', changed: true });
      expect(pid()).toBe(p2);
      sh(`i=0; while [ $i -lt 30 ] && ! grep -q reloaded ${LOG}; do sleep 0.1; i=$((i+1)); done`);
      expect(readFileSync(LOG, 'utf8')).toContain('reloaded');

      expect(svc('stop').value).toEqual({ status: 'stopped', enabled: 'disabled', manager: 'sysvinit', changed: true });
      expect(alive(p2)).toBe(false);
      expect(svc('stop').value).toMatchObject({ status: 'stopped', changed: false });
    }, 60_000);

    it('reload of a stopped service is an error', () => {
      const r = svc('reload');
      expect(r.exitCode).toBe(1);
      expect(errorOf(r).msg).toBe(`cannot reload '${SVC}': it is not running (status: stopped)`);
    });

    it('a failing init script gives its exit code and output', () => {
      writeFileSync(FAILFLAG, '');
      try {
        const r = svc('start');
        expect(r.exitCode).toBe(1);
        const e = errorOf(r);
        expect(e.msg).toBe(`'${INIT} start' failed with exit code 6: ${SVC}: refusing to start: config is broken`);
        expect(e.details).toMatchObject({ action: 'start', name: SVC, manager: 'sysvinit', exit_code: 6 });
      } finally {
        rmSync(FAILFLAG, { force: true });
      }
    });

    it.skipIf(!existsSync('/usr/sbin/update-rc.d'))('enable and disable through update-rc.d rc links', () => {
      expect(svc('enable', { _noop: true }).value).toMatchObject({ enabled: 'disabled', noop: true, would: 'enable' });
      expect(rcLinks()).toEqual([]);

      expect(svc('enable').value).toEqual({ status: 'stopped', enabled: 'enabled', manager: 'sysvinit', changed: true });
      expect(rcLinks().filter((l) => /^rc[2345]\.d\/S\d\d/.test(l))).toHaveLength(4);
      expect(svc('enable').value).toMatchObject({ enabled: 'enabled', changed: false });
      expect(svc('status').value).toMatchObject({ enabled: 'enabled' });

      expect(svc('disable').value).toMatchObject({ enabled: 'disabled', changed: true });
      expect(rcLinks().filter((l) => /^rc[2345]\.d\/S/.test(l))).toEqual([]);
      expect(svc('disable').value).toMatchObject({ enabled: 'disabled', changed: false });
    });
  },
);

// A real Debian service: cron, installed with --no-install-recommends (no MTA).
// Debian images ship a policy-rc.d that stops postinst from starting it, so the
// task starts it. Removed again afterwards if this test installed it.
let cronSkip: string | undefined;
let installedCron = false;
describe('builtin service task: Debian cron through its init script', () => {
  beforeAll(() => {
    if (hasSystemd) cronSkip = 'systemd is running: the sysvinit path is not what a user would get';
    else if (!isRoot) cronSkip = 'installing cron needs root';
    else if (!hasApt) cronSkip = 'not an apt system';
    else if (!existsSync('/etc/init.d/cron')) {
      const upd = sh('apt-get -q -o DPkg::Lock::Timeout=60 update', 90_000);
      if (upd.code !== 0) {
        cronSkip = `apt-get update failed (no mirror?): ${upd.out.slice(-300)}`;
        return;
      }
      const r = runTask('package', { action: 'install', name: 'cron', manager_options: '--no-install-recommends' });
      if (r.exitCode !== 0) cronSkip = `could not install cron: ${r.stdout}`;
      else installedCron = true;
    }
  }, 120_000);
  afterAll(() => {
    if (!installedCron) return;
    runTask('service', { action: 'stop', name: 'cron' });
    sh('apt-get -y -q -o DPkg::Lock::Timeout=60 purge cron cron-daemon-common', 120_000);
  }, 120_000);

  it('status, start, restart, stop', (ctx) => {
    ctx.skip(!!cronSkip, cronSkip);
    const wasRunning = runTask('service', { action: 'status', name: 'cron' }).value['status'] === 'running';
    try {
      const started = runTask('service', { action: 'start', name: 'cron' });
      expect(started.exitCode, started.stdout).toBe(0);
      expect(started.value).toMatchObject({ status: 'running', manager: 'sysvinit' });
      expect(sh('pidof cron').code).toBe(0);
      expect(runTask('service', { action: 'restart', name: 'cron' }).value).toMatchObject({ status: 'running', changed: true });
      expect(runTask('service', { action: 'stop', name: 'cron' }).value).toMatchObject({ status: 'stopped', changed: true });
      expect(runTask('service', { action: 'status', name: 'cron' }).value).toMatchObject({ status: 'stopped' });
    } finally {
      if (wasRunning) runTask('service', { action: 'start', name: 'cron' });
    }
  }, 60_000);
});
