/**
 * Opt-in live suite against a real Windows host (no Windows host is reachable in CI, so it is
 * skipped there). Set:
 *
 *   RIVET_WINRM_HOST=win1.example.com RIVET_WINRM_USER=Administrator RIVET_WINRM_PASSWORD=... \
 *   [RIVET_WINRM_SSL=false] [RIVET_WINRM_PORT=5985] [RIVET_WINRM_SSL_VERIFY=false] \
 *   npx vitest run test/transports/winrm/live.test.ts
 *
 * It runs what the protocol test server can only imitate: cmd.exe commands, the PowerShell
 * bootstrap, .ps1 scripts with arguments and splatted parameters, env, stdin, uploads and
 * downloads, and a timeout that kills a process tree (taskkill /T).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../src/transports/transport.ts';
import { WinrmTransport } from '../../../src/transports/winrm/index.ts';
import { makeTarget } from '../../helpers/targets.ts';

const env = process.env;
const host = env['RIVET_WINRM_HOST'];
const enabled = Boolean(host && env['RIVET_WINRM_USER'] && env['RIVET_WINRM_PASSWORD'] !== undefined);
const signal = (): AbortSignal => new AbortController().signal;

describe.skipIf(!enabled)('WinRM live suite (RIVET_WINRM_HOST)', () => {
  let conn: Connection;
  let local: string;
  beforeAll(async () => {
    const ssl = env['RIVET_WINRM_SSL'] !== 'false';
    const target = makeTarget({
      name: `winrm://${host}`,
      transport: 'winrm',
      host,
      port: env['RIVET_WINRM_PORT'] ? Number(env['RIVET_WINRM_PORT']) : undefined,
      user: env['RIVET_WINRM_USER'],
      password: env['RIVET_WINRM_PASSWORD'],
      config: { transport: 'winrm', winrm: { ssl, 'ssl-verify': env['RIVET_WINRM_SSL_VERIFY'] !== 'false' } },
    });
    conn = await new WinrmTransport().connect(target, { signal: signal() });
    local = await mkdtemp(join(tmpdir(), 'rivet-winrm-live-'));
  }, 120_000);
  afterAll(async () => {
    await conn?.close();
    if (local) await rm(local, { recursive: true, force: true });
  });

  it('cmd.exe: stdout, stderr, exit codes, env, stdin', async () => {
    const r = await conn.run('echo out& echo err 1>&2& echo %RIVET_X%& findstr "^"& exit /b 3', { signal: signal(), env: { RIVET_X: 'env-ok' }, stdin: 'stdin-ok\r\n' });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.toString()).toMatch(/out\s*\r\nenv-ok\r\nstdin-ok/);
    expect(r.stderr.toString()).toMatch(/err/);
  }, 120_000);

  it('a .ps1 script with arguments from a private temp dir, removed afterwards', async () => {
    const script = Buffer.from('param([string]$a, [string]$b)\nWrite-Output "$a|$b|$PSScriptRoot"\nexit 4\n');
    const r = await conn.runFile({ signal: signal(), file: { name: 'args.ps1', content: script }, args: ['-a', 'x y', '-b', 'z'] });
    expect(r.exitCode).toBe(4);
    const [a, b, dir] = r.stdout.toString().trim().split('|');
    expect([a, b]).toEqual(['x y', 'z']);
    const gone = await conn.run(`if exist "${dir}" (echo present) else (echo gone)`, { signal: signal() });
    expect(gone.stdout.toString().trim()).toBe('gone');
  }, 120_000);

  it('input_method powershell: only declared parameters are splatted', async () => {
    const script = Buffer.from('param([string]$name, [int]$count)\nWrite-Output "$name/$count"\n');
    const r = await conn.runFile({ signal: signal(), file: { name: 'splat.ps1', content: script }, splatParams: true, stdin: JSON.stringify({ name: 'web', count: 2, undeclared: 'x' }) });
    expect(r.stdout.toString().trim()).toBe('web/2');
  }, 120_000);

  it('a script larger than the 8,191-character command line', async () => {
    const script = Buffer.from(`$x = '${'a'.repeat(50_000)}'\nWrite-Output $x.Length\n`);
    const r = await conn.runFile({ signal: signal(), file: { name: 'big.ps1', content: script } });
    expect(r.stdout.toString().trim()).toBe('50000');
  }, 120_000);

  it('uploads and downloads a file', async () => {
    await writeFile(join(local, 'up.txt'), 'live upload');
    const remote = (await conn.run('echo %TEMP%', { signal: signal() })).stdout.toString().trim() + `\\rivet-live-${Date.now()}.txt`;
    await conn.upload(join(local, 'up.txt'), remote, { signal: signal() });
    await conn.download(remote, join(local, 'down.txt'), { signal: signal() });
    expect(await readFile(join(local, 'down.txt'), 'utf8')).toBe('live upload');
    await conn.run(`del /f "${remote}"`, { signal: signal() });
  }, 120_000);

  it('a timeout kills the process tree (confirmed)', async () => {
    const r = await conn.run('ping -n 120 127.0.0.1 >nul', { signal: signal(), timeoutMs: 2000 });
    expect(r.timedOut).toBe(true);
    expect(r.killed).toBe(true);
  }, 120_000);
});
