/**
 * pywinrm (Debian python3-winrm 0.3.0, an independent WinRM client) against the protocol test
 * server: proves the server speaks WS-Management/WinRS as a real client expects (Create, Command,
 * Receive, Signal, Delete, RelatesTo, NTLM handshake, HTTP-SPNEGO message encryption both ways),
 * so the contract suite that Rivet passes against it means something. Skipped, saying so, when
 * python3-winrm is not installed (`apt-get install python3-winrm`; .ci/run installs it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWinrmServer } from '../../harness/winrm-server.ts';
import { startServer, WINRM_PASSWORD, WINRM_USER } from './helpers.ts';
import { LEGACY_OPENSSL_CONF } from './ntlm/python-peer.ts';

// Debian's python3 (a pyenv shim first on PATH may be another Python without the package).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasPywinrm = spawnSync(PYTHON, ['-c', 'import winrm'], { stdio: 'ignore' }).status === 0;

const SCRIPT = `
import json, sys, winrm
url, transport, encryption = sys.argv[1], sys.argv[2], sys.argv[3]
s = winrm.Session(url, auth=(${JSON.stringify(WINRM_USER)}, ${JSON.stringify(WINRM_PASSWORD)}), transport=transport,
                  server_cert_validation='ignore', message_encryption=encryption)
out = []
for cmd, args in [('echo', ['out;', 'echo', 'err', '>&2;', 'exit', '3']), ('printf', ["'%s'", "'a b'"]), ('seq', ['1', '20000'])]:
    try:
        r = s.run_cmd(cmd, args)
        out.append({'stdout': r.std_out.decode(), 'stderr': r.std_err.decode(), 'code': r.status_code})
    except Exception as e:
        out.append({'error': type(e).__name__ + ': ' + str(e)})
print(json.dumps(out))
`;

describe.skipIf(!hasPywinrm)('pywinrm (python3-winrm) against the WinRM test server', () => {
  let dir: string;
  const servers: TestWinrmServer[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rivet-pywinrm-'));
    writeFileSync(join(dir, 'client.py'), SCRIPT);
    writeFileSync(join(dir, 'openssl.cnf'), LEGACY_OPENSSL_CONF);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (server: TestWinrmServer, transport: string, encryption: string): Promise<Array<Record<string, unknown>>> => {
    const { spawn } = await import('node:child_process');
    const child = spawn(PYTHON, [join(dir, 'client.py'), server.url, transport, encryption], { env: { PATH: process.env['PATH'], OPENSSL_CONF: join(dir, 'openssl.cnf'), LANG: 'C.UTF-8' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr, `pywinrm failed (exit ${code})`).toBe('');
    return JSON.parse(stdout) as Array<Record<string, unknown>>;
  };
  const expected = [
    { stdout: 'out\n', stderr: 'err\n', code: 3 },
    { stdout: 'a b', stderr: '', code: 0 },
    { stdout: Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(''), stderr: '', code: 0 },
  ];

  it.each([
    ['ntlm', 'auto'],
    ['ntlm', 'always'],
  ])('transport=%s message_encryption=%s: stdout, stderr and exit codes, every message encrypted', async (transport, encryption) => {
    const server = await startServer({ encryption: 'required' });
    servers.push(server);
    expect(await run(server, transport, encryption)).toEqual(expected);
    expect(server.stats.plaintextRequests).toBe(0);
    expect(server.stats.encryptedRequests).toBeGreaterThanOrEqual(15);
    expect(server.stats.actions.slice(0, 3)).toEqual(['Create', 'Command', 'Receive']);
    expect(server.stats.actions).toEqual(expect.arrayContaining(['Signal', 'Delete']));
  });

  it('transport=basic: accepted with AllowUnencrypted (encryption optional), refused by the default (required)', async () => {
    const open = await startServer({ encryption: 'optional' });
    servers.push(open);
    expect(await run(open, 'basic', 'never')).toEqual(expected);
    expect(open.stats.encryptedRequests).toBe(0);
    const closed = await startServer({ encryption: 'required' });
    servers.push(closed);
    const result = await run(closed, 'basic', 'never');
    expect(result[0]!['error']).toMatch(/401|Unauthorized|credentials/i);
  });
});
