import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { busybox, runTask, sh } from './run-task.ts';
import { straceSkipReason } from '../../harness/strace.ts';

const hasStrace = straceSkipReason() === undefined;

const isDebian = (() => {
  try {
    return /^ID=debian$/m.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
})();

describe('builtin facts task', () => {
  it.skipIf(!isDebian)('reports this Debian machine like Bolt facts', () => {
    const r = runTask('facts');
    expect(r.exitCode).toBe(0);
    const os = r.value['os'] as Record<string, any>;
    expect(os['name']).toBe('Debian');
    expect(os['family']).toBe('Debian');
    expect(os['release'].major).toBe('12');
    // /etc/debian_version carries the point release ("12.8"); os-release only "12".
    const dv = readFileSync('/etc/debian_version', 'utf8').trim();
    expect(os['release'].full).toBe(dv);
    expect(os['release'].minor).toBe(dv.split('.')[1]);
    expect(os['distro'].codename).toBe('bookworm');
    expect(os['architecture']).toBe(sh('dpkg --print-architecture').out.trim());
    expect(os['hardware']).toBe(sh('uname -m').out.trim());
    expect(r.value['kernel']).toBe('Linux');
    expect(r.value['kernelrelease']).toBe(sh('uname -r').out.trim());
    expect(r.value['hostname']).toBe(sh('hostname').out.trim().split('.')[0]);
    expect(typeof r.value['fqdn']).toBe('string');
    expect(r.stderr).toBe('');
  });

  // Issue 8 (start-up): the facts task reads release files and escapes JSON in the shell itself;
  // only uname (once, host name included), dpkg and `hostname -f` are started (counted with
  // strace, every execve of the tree).
  it.skipIf(!isDebian || !hasStrace)('starts no awk, sed, head, cut or tr: at most 3 programs besides its shell', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rivet-facts-strace-'));
    try {
      const log = path.join(dir, 'strace');
      const r = runTask('facts', {}, { shell: ['strace', '-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, '/bin/sh'] });
      expect(r.exitCode).toBe(0);
      expect(r.value).toEqual(runTask('facts').value);
      const programs = [...readFileSync(log, 'utf8').matchAll(/execve\("([^"]+)".*\) = 0$/gm)].map((m) => path.basename(m[1]!)).slice(1);
      expect(programs.filter((p) => ['awk', 'sed', 'head', 'cut', 'tr'].includes(p))).toEqual([]);
      expect(programs.length).toBeLessThanOrEqual(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!busybox)('gives the same answer under busybox ash', () => {
    const dash = runTask('facts');
    const ash = runTask('facts', {}, { shell: [busybox!, 'sh'] });
    expect(ash.exitCode).toBe(0);
    expect(ash.value).toEqual(dash.value);
  });

  // Other distributions cannot run here: feed their release files through the
  // RIVET_FACTS_ROOT test hook and check the name/family/release mapping.
  const fixtures: Array<{
    label: string;
    files: Record<string, string>;
    expected: { name: string; family: string; full: string; major: string; minor: string; codename: string };
  }> = [
    {
      label: 'Ubuntu 22.04',
      files: {
        'etc/os-release':
          'NAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=jammy\n',
      },
      expected: { name: 'Ubuntu', family: 'Debian', full: '22.04', major: '22', minor: '04', codename: 'jammy' },
    },
    {
      label: 'Rocky 9.3',
      files: {
        'etc/os-release': 'NAME="Rocky Linux"\nVERSION_ID="9.3"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
        'etc/rocky-release': 'Rocky Linux release 9.3 (Blue Onyx)\n',
      },
      expected: { name: 'Rocky', family: 'RedHat', full: '9.3', major: '9', minor: '3', codename: 'Blue Onyx' },
    },
    {
      label: 'CentOS 7 (os-release has only the major)',
      files: {
        'etc/os-release': 'NAME="CentOS Linux"\nVERSION_ID="7"\nID="centos"\nID_LIKE="rhel fedora"\n',
        'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      },
      expected: { name: 'CentOS', family: 'RedHat', full: '7.9.2009', major: '7', minor: '9', codename: 'Core' },
    },
    {
      label: 'RHEL 6 without os-release',
      files: { 'etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.10 (Santiago)\n' },
      expected: { name: 'RedHat', family: 'RedHat', full: '6.10', major: '6', minor: '10', codename: 'Santiago' },
    },
    {
      label: 'Alpine 3.19',
      files: { 'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n' },
      expected: { name: 'Alpine', family: 'Alpine', full: '3.19.1', major: '3', minor: '19', codename: '' },
    },
    {
      label: 'SLES 15 SP5',
      files: { 'etc/os-release': 'NAME="SLES"\nVERSION_ID="15.5"\nID="sles"\nID_LIKE="suse"\n' },
      expected: { name: 'SLES', family: 'Suse', full: '15.5', major: '15', minor: '5', codename: '' },
    },
    {
      label: 'openSUSE Leap 15.5',
      files: { 'etc/os-release': 'NAME="openSUSE Leap"\nVERSION_ID="15.5"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n' },
      expected: { name: 'OpenSuSE', family: 'Suse', full: '15.5', major: '15', minor: '5', codename: '' },
    },
    {
      label: 'os-release: the first of a repeated key, a key without =, no final newline',
      files: { 'etc/os-release': 'ID\nID=alpine\nID=ubuntu\nVERSION_ID_X=9\nVERSION_ID="3.19.1"' },
      expected: { name: 'Alpine', family: 'Alpine', full: '3.19.1', major: '3', minor: '19', codename: '' },
    },
    {
      label: 'unknown derivative falls back to ID_LIKE',
      files: { 'etc/os-release': "NAME='Foo OS'\nID=fooos\nID_LIKE='ubuntu debian'\nVERSION_ID=1.2\n" },
      expected: { name: 'Fooos', family: 'Debian', full: '1.2', major: '1', minor: '2', codename: '' },
    },
  ];

  for (const f of fixtures) {
    it(`maps ${f.label}`, () => {
      const root = mkdtempSync(path.join(tmpdir(), 'rivet-facts-'));
      try {
        for (const [rel, text] of Object.entries(f.files)) {
          mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
          writeFileSync(path.join(root, rel), text);
        }
        const r = runTask('facts', {}, { env: { RIVET_FACTS_ROOT: root } });
        expect(r.exitCode).toBe(0);
        const os = r.value['os'] as Record<string, any>;
        expect({
          name: os['name'],
          family: os['family'],
          full: os['release'].full,
          major: os['release'].major,
          minor: os['release'].minor,
          codename: os['distro'].codename,
        }).toEqual(f.expected);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
