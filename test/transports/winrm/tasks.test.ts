/**
 * Tasks and steps on a WinRM target through the runtime (inventory -> pool -> WinRM transport ->
 * protocol test server): the `powershell` feature picks the `.ps1` implementation, input_method
 * powershell splats only the declared `param()` names, `environment` and `stdin` work, `files`
 * land under `_installdir`; plus upload/download steps. On the test server a `.ps1` is run by
 * the PowerShell stand-in with /bin/sh (these test tasks hold sh code under a .ps1 name; real
 * PowerShell semantics are for the live suite: test/transports/winrm/live.test.ts).
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type CreatedRuntime } from '../../../src/runtime/create.ts';
import type { TestWinrmServer } from '../../harness/winrm-server.ts';
import { startServer, WINRM_PASSWORD, WINRM_USER } from './helpers.ts';

const FILES: Record<string, string> = {
  'modules/win/tasks/params.json': JSON.stringify({
    parameters: { name: { type: 'String' }, count: { type: 'Integer' }, secret: { type: 'Optional[String]', sensitive: true } },
    implementations: [
      { name: 'params.sh', requirements: ['shell'] },
      { name: 'params.ps1', requirements: ['powershell'] },
    ],
  }),
  'modules/win/tasks/params.sh': '#!/bin/sh\necho "posix implementation"\n',
  // Declares name and count only: secret must not be passed. (The param() block sits in a sh
  // here-document so that the stand-in's /bin/sh can run the file.)
  'modules/win/tasks/params.ps1': ": <<'PS'\nparam(\n  [string]$name,\n  [int]$count\n)\nPS\nprintf '%s|' \"$@\"\n",
  'modules/win/tasks/env.json': JSON.stringify({ input_method: 'environment', parameters: { greeting: { type: 'String' } } }),
  'modules/win/tasks/env.ps1': 'printf "%s" "$PT_greeting"\n',
  'modules/win/tasks/stdin.json': JSON.stringify({ input_method: 'stdin', parameters: { greeting: { type: 'String' } } }),
  'modules/win/tasks/stdin.ps1': 'cat\n',
  'modules/win/tasks/withfiles.json': JSON.stringify({ input_method: 'environment', files: ['win/files/data.txt'], parameters: {} }),
  'modules/win/tasks/withfiles.ps1': 'cat "$PT__installdir/win/files/data.txt"\n',
  'modules/win/files/data.txt': 'installed-data',
};

let server: TestWinrmServer;
let runtime: CreatedRuntime;
let dir: string;
const target = (): string => `winrm://127.0.0.1:${server.port}`;

beforeAll(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'rivet-winrm-tasks-'));
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await writeFile(join(dir, 'rivet-project.yaml'), 'name: wintest\n');
  runtime = await createRuntime({
    cwd: dir,
    env: {},
    inventory: { targets: [target()], config: { transport: 'winrm', winrm: { ssl: false, user: WINRM_USER, password: WINRM_PASSWORD } } },
  });
});
afterAll(async () => {
  await runtime?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('tasks on a WinRM target', () => {
  it('X-10/T-21: the powershell feature picks the .ps1 implementation; input_method powershell splats only declared params', async () => {
    const results = await runtime.runTask('win::params', target(), { name: 'web 1', count: 3, secret: 'hunter2' });
    const result = results.toJSON()[0] as { value: Record<string, unknown> };
    expect(result.value['_output']).toBe('-name|web 1|-count|3|');
    expect(JSON.stringify(results.toJSON())).not.toContain('hunter2');
  });

  it('input_method environment and stdin', async () => {
    const env = (await runtime.runTask('win::env', target(), { greeting: 'hi env' })).toJSON()[0] as { value: Record<string, unknown> };
    expect(env.value['_output']).toBe('hi env');
    const stdin = (await runtime.runTask('win::stdin', target(), { greeting: 'hi stdin' })).toJSON()[0] as { value: Record<string, unknown> };
    expect(stdin.value).toMatchObject({ greeting: 'hi stdin' });
  });

  it('T-19: task files land under _installdir', async () => {
    const r = (await runtime.runTask('win::withfiles', target(), {})).toJSON()[0] as { value: Record<string, unknown> };
    expect(r.value['_output']).toBe('installed-data');
  });

  it('commands, upload and download steps', async () => {
    const cmd = (await runtime.runCommand('echo from-cmd', target())).toJSON()[0] as { value: Record<string, unknown> };
    expect(cmd.value).toMatchObject({ stdout: 'from-cmd\n', exit_code: 0 });
    const remote = await mkdtemp(join(tmpdir(), 'rivet-winrm-up-'));
    await runtime.uploadFile(join(dir, 'modules/win/files/data.txt'), `${remote}/copy.txt`, target());
    expect(await readFile(`${remote}/copy.txt`, 'utf8')).toBe('installed-data');
    await rm(remote, { recursive: true, force: true });
  });
});
