/**
 * Live output keeps multi-byte characters whole (`--stream`, `target_output` events): a character
 * whose bytes arrive in two chunks is one character, not two U+FFFD; a stream that ends inside a
 * character shows exactly one U+FFFD, before `target_finish`. Over the local transport, over real
 * sshd (the in-process ssh2 server when sshd cannot run) in this thread, in an SSH worker thread
 * and with run-as, and over WinRM (the protocol test server). The command waits, after the first bytes of the character, for a gate file the test
 * creates once it has seen those bytes arrive: the split is certain, with no timing involved.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RivetEvent } from '../../src/core/events.ts';
import { createRuntime, type CreatedRuntime } from '../../src/runtime/create.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { sshdSkipReason } from '../harness/sshd.ts';
import { TEST_USERS } from '../harness/users.ts';
import type { TestWinrmServer } from '../harness/winrm-server.ts';
import { startServer, WINRM_PASSWORD, WINRM_USER } from '../transports/winrm/helpers.ts';

let server: TestSshServer;
let winrm: TestWinrmServer;
let dir: string;
const runtimes: CreatedRuntime[] = [];

/** Waits (a bounded count of tries) for `gate` to exist: a missing gate fails the run, never hangs it. */
function awaitGate(gate: string): string {
  return `i=0; until [ -e '${gate}' ] || [ $i -ge 1200 ]; do sleep 0.05; i=$((i+1)); done`;
}

async function runtimeFor(threads: number): Promise<CreatedRuntime> {
  const ssh = { port: server.port, user: server.user, 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false, 'connect-timeout': 30 };
  const runtime = await createRuntime({
    cwd: dir,
    env: { HOME: dir, RIVET_DEFAULTS_DIRS: '' },
    threads,
    inventory: {
      groups: [
        { name: 'here', targets: ['localhost'], config: { transport: 'local' } },
        { name: 'remote', targets: ['127.0.0.2'], config: { transport: 'ssh', ssh } },
        // sudo's prompt and go-ahead come first on stderr: the output after them passes on as bytes.
        { name: 'win', targets: [`winrm://127.0.0.1:${winrm.port}`], config: { transport: 'winrm', winrm: { ssl: false, user: WINRM_USER, password: WINRM_PASSWORD } } },
        { name: 'remote-as', targets: ['127.0.0.3'], config: { transport: 'ssh', ssh: { ...ssh, 'run-as': TEST_USERS.app } } },
      ],
    },
  });
  runtimes.push(runtime);
  return runtime;
}

/** Runs `command` with live output: the text of its `target_output` events per stream, the raw chunks, the events in order, the result's value. */
async function stream(runtime: CreatedRuntime, group: string, command: (gate: string) => string, openGate: (chunks: Buffer[]) => boolean) {
  const gate = join(dir, `gate-${Math.random().toString(36).slice(2)}`);
  const events: RivetEvent[] = [];
  const off = runtime.events.on((event) => events.push(event));
  const chunks: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  let opened = false;
  try {
    const set = await runtime.runCommand(command(gate), group, {
      stream: true,
      onOutput: (_target, name, chunk) => {
        chunks[name].push(Buffer.from(chunk));
        if (!opened && openGate([...chunks.stdout, ...chunks.stderr])) {
          opened = true;
          void writeFile(gate, '');
        }
      },
    });
    const output = events.filter((e): e is Extract<RivetEvent, { type: 'target_output' }> => e.type === 'target_output');
    const text = (name: 'stdout' | 'stderr') => output.filter((e) => e.stream === name).map((e) => e.text).join('');
    return { value: set.first!.value, text, chunks, types: events.map((e) => e.type), opened };
  } finally {
    off();
  }
}

beforeAll(async () => {
  server = await startTestSshServer();
  winrm = await startServer();
  dir = await mkdtemp(join(tmpdir(), 'rivet-utf8-'));
  await chmod(dir, 0o755); // the sshd test user checks the gate files here
}, 120_000);
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  await server?.stop();
  await winrm?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('live output decodes UTF-8 across chunks', () => {
  it('runs against real OpenSSH sshd whenever this machine can start it', () => {
    if (sshdSkipReason() === undefined) expect(server.kind).toBe('sshd');
  });

  const cases = [
    { name: 'the local transport', group: 'here', threads: 0 },
    { name: 'sshd', group: 'remote', threads: 0 },
    { name: 'sshd from an SSH worker thread', group: 'remote', threads: 1 },
    // The WinRM test server runs the command with /bin/sh (its stand-in for cmd.exe) and sends output in Receive responses.
    { name: 'WinRM (the protocol test server)', group: 'win', threads: 0 },
    { name: 'sshd with run-as (sudo)', group: 'remote-as', threads: 0, sudo: true },
  ];
  for (const c of cases) {
    // The in-process ssh2 server (no sshd here) has no sudo.
    const noSudo = c.sudo === true && sshdSkipReason() !== undefined;
    it.skipIf(noSudo)(`a character split across two chunks of stdout ('€') and of stderr ('😀') arrives whole, over ${c.name}`, async () => {
      const runtime = await runtimeFor(c.threads);
      // Both first halves are written, then the command waits for the gate the test opens once it has received them.
      const r = await stream(
        runtime,
        c.group,
        (gate) => `printf 'x \\342\\202'; printf 'y \\360\\237' >&2; ${awaitGate(gate)}; printf '\\254 done\\n'; printf '\\230\\200 done\\n' >&2`,
        (chunks) => {
          const all = Buffer.concat(chunks);
          return all.includes(Buffer.from([0xe2, 0x82])) && all.includes(Buffer.from([0xf0, 0x9f]));
        },
      );
      expect(r.opened).toBe(true);
      // The split really happened: the first chunk of each stream ends inside the character.
      expect(r.chunks.stdout[0]!.subarray(-2)).toEqual(Buffer.from([0xe2, 0x82]));
      expect(r.chunks.stderr[0]!.subarray(-2)).toEqual(Buffer.from([0xf0, 0x9f]));
      expect(r.text('stdout')).toBe('x € done\n');
      expect(r.text('stderr')).toBe('y 😀 done\n');
      // The result's output (decoded from all of its bytes) says the same.
      expect(r.value['stdout']).toBe('x € done\n');
      expect(r.value['stderr']).toBe('y 😀 done\n');
    }, 120_000);

    it.skipIf(noSudo)(`a stream that ends inside a character shows exactly one U+FFFD, before target_finish, over ${c.name}`, async () => {
      const runtime = await runtimeFor(c.threads);
      const r = await stream(runtime, c.group, (gate) => `printf 'a\\342'; ${awaitGate(gate)}; printf '\\202'`, (chunks) => chunks.length > 0);
      expect(r.opened).toBe(true);
      expect(r.text('stdout')).toBe('a\ufffd');
      const last = r.types.lastIndexOf('target_output');
      expect(last).toBeGreaterThan(-1);
      expect(last).toBeLessThan(r.types.indexOf('target_finish'));
      // The result escapes the bytes that are not UTF-8, as Bolt does (P-34): nothing is lost there either.
      expect(r.value['stdout']).toBe('a\\xE2\\x82');
    }, 120_000);
  }
});
