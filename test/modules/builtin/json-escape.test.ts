import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { busybox, errorOf, jsonEscapeSource, runTask, taskScript } from './run-task.ts';

const modules = ['facts', 'package', 'service'] as const;
const source = jsonEscapeSource(readFileSync(taskScript('package'), 'utf8'));

const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
const tricky: Array<[string, string]> = [
  ['empty', ''],
  ['plain', 'hello world'],
  ['quotes and backslashes', 'say "hi" \\ C:\\path\\ \\"already escaped\\"'],
  ['newlines, leading and trailing', '\n\nfirst\nsecond\r\nthird\n\n'],
  ['every control character', `a${controls}b`],
  ['unicode', 'naïve café — 日本語 🚀 \u2028 \u00ff'],
  ['shell metacharacters', "$HOME `id` $(id) ' ; | & * ? [x] %s %d \\n"],
  ['awk-special', 'X at the end X\\X'],
  ['lone X', 'X'],
];

/** Run the scripts' json_escape on a value (passed through the environment, not argv quoting). */
function escapeWith(shell: string[], value: string, pathPrefix = ''): string {
  const [cmd, ...args] = shell;
  const r = spawnSync(cmd!, [...args, '-c', `PATH=${pathPrefix}/usr/bin:/bin\n${source}\njson_escape "$IN"`], {
    env: { IN: value },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('json_escape (shared by the built-in task scripts)', () => {
  it('is the same function in every task script', () => {
    for (const m of modules) {
      expect(jsonEscapeSource(readFileSync(taskScript(m), 'utf8')), m).toBe(source);
    }
  });

  // busybox awk (as on Alpine) instead of the system awk: put it first on PATH.
  let busyboxAwkDir = '';
  if (busybox) {
    busyboxAwkDir = mkdtempSync(path.join(tmpdir(), 'rivet-bbawk-'));
    symlinkSync(busybox, path.join(busyboxAwkDir, 'awk'));
  }
  afterAll(() => {
    if (busyboxAwkDir) rmSync(busyboxAwkDir, { recursive: true, force: true });
  });
  const shells: Array<[string, string[] | undefined, string]> = [
    ['dash + system awk', ['/bin/sh'], ''],
    ['busybox ash + system awk', busybox ? [busybox, 'sh'] : undefined, ''],
    ['busybox ash + busybox awk', busybox ? [busybox, 'sh'] : undefined, `${busyboxAwkDir}:`],
  ];
  for (const [shellName, shell, prefix] of shells) {
    for (const [label, value] of tricky) {
      it.skipIf(!shell)(`round-trips ${label} under ${shellName}`, () => {
        const body = escapeWith(shell!, value, prefix);
        expect(body).not.toMatch(/[\u0000-\u001f]/);
        expect(JSON.parse(`"${body}"`)).toBe(value);
      });
    }
  }

  it('escapes a hostile package name inside a task error message', () => {
    const name = 'evil"pkg\\\n\t\u0001é🚀';
    const r = runTask('package', { action: 'status', name });
    expect(r.exitCode).toBe(1);
    const e = errorOf(r);
    expect(e.msg).toBe(`invalid package name '${name}'`);
    expect(e.details['name']).toBe(name);
  });

  it('escapes a hostile service name inside a task error message', () => {
    const name = '"}, "injected": true, {"x\n';
    const r = runTask('service', { action: 'status', name });
    expect(r.exitCode).toBe(1);
    expect(r.value['injected']).toBeUndefined();
    expect(errorOf(r).msg).toBe(`invalid service name '${name}'`);
  });
});
