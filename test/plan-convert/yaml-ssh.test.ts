/**
 * P-43: a YAML plan and a Puppet plan run over SSH against the test sshd (the in-process ssh2
 * server when sshd cannot run): commands, uploads and named step results, on two targets.
 */
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { makeProject, rivet } from '../cli/helpers.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

describe('Bolt plans over SSH', () => {
  let server: TestSshServer;
  let project: string;

  beforeAll(async () => {
    server = await startTestSshServer();
    project = await makeProject({
      'rivet-project.yaml': 'name: site\n',
      'inventory.yaml': ['groups:', '  - name: pair', '    targets:', '      - 127.0.0.2', '      - 127.0.0.3', ...sshConfigLines(server, { 'connect-timeout': 60 }), ''].join('\n'),
      'payload.txt': 'payload over ssh\n',
      'plans/ship.yaml': `parameters:
  targets:
    type: TargetSpec
  dest:
    type: String
steps:
  - upload: payload.txt
    destination: $dest
    targets: $targets
  - name: content
    command: "cat \${dest}"
    targets: $targets
  - name: lines
    eval: |
      $content.map |$r| { "\${r.target.name}: \${r.value['stdout'].strip}" }
return: $lines
`,
      'plans/who.pp': `plan site::who(TargetSpec $targets) {
  $r = run_command('id -un', $targets)
  return $r.map |$x| { $x.value['stdout'].strip }.unique
}
`,
    });
  }, 120_000);
  afterAll(async () => server?.stop());

  it('a YAML plan uploads, runs a command and returns values built from a named step', { timeout: 120_000 }, async () => {
    const dest = `/tmp/rivet-pconv-${process.pid}-${Date.now()}.txt`;
    const r = await rivet(['plan', 'run', 'site::ship', '--targets', 'pair', `dest=${dest}`, '--format', 'json'], { cwd: project });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.json()).toEqual(['127.0.0.2: payload over ssh', '127.0.0.3: payload over ssh']);
    expect(await readFile(dest, 'utf8')).toBe('payload over ssh\n');
    await rm(dest, { force: true });
  });

  it('a Puppet plan runs over SSH', { timeout: 120_000 }, async () => {
    const r = await rivet(['plan', 'run', 'site::who', '--targets', 'pair', '--format', 'json'], { cwd: project });
    expect(r.json()).toEqual([server.user]);
  });
});
