/**
 * SSH connections in worker threads (issue 13, "every core"), against real OpenSSH sshd with
 * targets at 127.0.0.2..: the same results and events as in one thread, one concurrency limit over
 * all threads (counted on the server), Ctrl-C kills remote processes in every thread, and a thread
 * that dies fails its targets cleanly. Plus the `threads` policy.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type RivetEvent } from '../../../src/core/events.ts';
import type { Target } from '../../../src/core/target.ts';
import { loadInventory, type Inventory } from '../../../src/runtime/inventory/index.ts';
import { ConnectionPool } from '../../../src/runtime/pool.ts';
import { Runtime } from '../../../src/runtime/runtime.ts';
import { AUTO_THREADS_MIN_TARGETS, parseThreadsSetting, SshThreadRouter, threadsForStep } from '../../../src/runtime/ssh-threads.ts';
import { LocalTransport } from '../../../src/transports/local/index.ts';
import type { ResolveEnv } from '../../../src/transports/ssh/config.ts';
import { SshTransport } from '../../../src/transports/ssh/transport.ts';
import { ThreadedTransport } from '../../../src/transports/threads/index.ts';
import type { Transport } from '../../../src/transports/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { makeTarget } from '../../helpers/targets.ts';
import { sshConfigLines } from '../../helpers/ssh-inventory.ts';
import { makeProject, rivet } from '../../cli/helpers.ts';
import { DroppingProxy } from '../../faults/helpers.ts';
import { fakeHome, sshTarget } from '../ssh/helpers.ts';

const MODULES = join(import.meta.dirname, '..', '..', 'fixtures', 'modules');
const skip = sshdSkipReason();
const TARGETS = 24;

/** Polls until `check` is true (no wall-clock budget on the outcome: only a generous cap). */
async function until(what: string, check: () => Promise<boolean> | boolean, capMs = 120_000): Promise<void> {
  const deadline = Date.now() + capMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Running: it exists and is not a zombie (killed, not yet reaped by its sshd session). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('threads setting', () => {
  it('parses auto, off and counts; rejects anything else naming the flag', () => {
    expect(parseThreadsSetting('auto')).toBe('auto');
    expect(parseThreadsSetting('off')).toBe('off');
    expect(parseThreadsSetting('4')).toBe(4);
    expect(parseThreadsSetting(0)).toBe(0);
    expect(() => parseThreadsSetting('many', '--threads')).toThrow(/--threads must be auto, off or a whole number/);
    expect(() => parseThreadsSetting('-1', '--threads')).toThrow(/--threads/);
  });

  it('auto turns threads on only for a large SSH step on a machine with at least 4 CPUs', () => {
    const machine = { parallelism: 4, concurrency: 100 };
    expect(threadsForStep('auto', AUTO_THREADS_MIN_TARGETS - 1, machine)).toBe(0);
    expect(threadsForStep('auto', AUTO_THREADS_MIN_TARGETS, machine)).toBe(4);
    expect(threadsForStep('auto', 10_000, { parallelism: 64, concurrency: 100 })).toBe(8);
    expect(threadsForStep('auto', 10_000, { parallelism: 16, concurrency: 3 })).toBe(3);
    expect(threadsForStep('auto', 10_000, { parallelism: 1, concurrency: 100 })).toBe(0);
    expect(threadsForStep('auto', 10_000, { parallelism: 2, concurrency: 100 })).toBe(0);
    expect(threadsForStep(3, 1, machine)).toBe(3);
    expect(threadsForStep(0, 10_000, machine)).toBe(0);
    expect(threadsForStep('off', 10_000, machine)).toBe(0);
  });

  it('the router counts SSH targets of a step (local ones do not count) and starts no thread before a connect', async () => {
    const inline: Transport = { name: 'ssh', connect: () => Promise.reject(new Error('not used')) };
    const router = new SshThreadRouter(inline, 'auto', 100, 4);
    const ssh = (n: number): Target[] => Array.from({ length: n }, (_, i) => makeTarget({ name: `h${i}` }));
    const local = Array.from({ length: 500 }, (_, i) => makeTarget({ name: `l${i}`, transport: 'local', config: { transport: 'local' } }));
    router.noteStep([...ssh(AUTO_THREADS_MIN_TARGETS - 1), ...local]);
    expect(router.threaded).toBeUndefined();
    router.noteStep(ssh(AUTO_THREADS_MIN_TARGETS));
    const threaded = await router.threaded;
    expect(threaded?.threads).toBe(4);
    expect(threaded?.connectionsPerThread().every((n) => n === 0)).toBe(true);
    await router.close();
  });
});

describe.skipIf(skip !== undefined)(`ssh in worker threads${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 300_000 }, () => {
  let server: SshdServer;
  let resolveEnv: ResolveEnv;
  let inventory: Inventory;
  let work: string;
  const names = Array.from({ length: TARGETS }, (_, i) => `127.0.0.${i + 2}`);

  beforeAll(async () => {
    server = await startSshd({ lastAddress: TARGETS + 2 });
    resolveEnv = await fakeHome();
    inventory = loadInventory(
      {
        data: {
          targets: names,
          config: {
            transport: 'ssh',
            ssh: { port: server.port, user: server.user, 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false, 'connect-timeout': 120 },
          },
        },
        name: 'threads-test',
      },
      { baseDir: MODULES },
    );
    // The sessions run as the test user: a scratch dir it may write to.
    work = await mkdtemp(join(tmpdir(), 'rivet-threads-'));
    await chmod(work, 0o777);
  });
  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function runtime(ssh: Transport, options: { concurrency?: number; events?: EventBus; signal?: AbortSignal; keepConnections?: boolean } = {}): Runtime {
    return new Runtime({ inventory, projectDir: MODULES, modulepath: [MODULES], transports: { local: new LocalTransport(), ssh }, ...options });
  }

  /** A run's results and events without timings, events grouped by target (targets interleave). */
  function normalize(sets: unknown[], events: RivetEvent[]): unknown {
    const strip = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'durationMs' || key === 'time' ? undefined : v)));
    const perTarget = new Map<string, unknown[]>();
    const steps: unknown[] = [];
    // Output chunks may be cut differently: compare each stream's whole text.
    const output: Record<string, string> = {};
    for (const event of events) {
      const e = strip(event) as Record<string, unknown>;
      if (e['type'] === 'target_output') {
        const key = `${String(e['stepId'])} ${String(e['target'])} ${String(e['stream'])}`;
        output[key] = (output[key] ?? '') + String(e['text']);
      } else if (typeof e['target'] === 'string') {
        if (!perTarget.has(e['target'])) perTarget.set(e['target'], []);
        perTarget.get(e['target'])!.push(e);
      } else if (e['type'] !== 'log') steps.push(e);
    }
    return {
      results: sets.map(strip),
      steps,
      perTarget: Object.fromEntries([...perTarget].sort(([a], [b]) => a.localeCompare(b))),
      output: Object.fromEntries(Object.entries(output).sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  it('gives the same results and events as one thread: commands, streamed output, tasks with stdin and files, upload', async () => {
    const local = join(work, 'upload.txt');
    // Every target is this machine: each run uploads to its own path, which all its targets share.
    await writeFile(local, 'payload\n');
    // 12 targets at concurrency 8 over 2 threads: more targets than slots, several per thread.
    const targets = names.slice(0, 12);
    const scenario = async (ssh: Transport, label: string): Promise<unknown> => {
      const events = new EventBus();
      const seen: RivetEvent[] = [];
      events.on((e) => seen.push(e));
      const rt = runtime(ssh, { events, concurrency: 8 });
      try {
        const sets = [
          await rt.runCommand('echo "out $(echo $SSH_CONNECTION | cut -d" " -f3)"; echo err >&2; case "$SSH_CONNECTION" in *127.0.0.3\\ *) exit 3;; esac', targets, { stream: true }),
          await rt.runTask('demo::echo_stdin', targets, { message: "it's $x", count: 2 }),
          await rt.runTask('demo::files_task', targets),
          await rt.uploadFile(local, `${work}/${label}-upload.txt`, targets),
          await rt.runCommand(`cat ${work}/${label}-upload.txt`, targets),
        ];
        return normalize(sets, seen);
      } finally {
        await rt.close();
      }
    };
    const threaded = new ThreadedTransport({ threads: 2, resolveEnv });
    try {
      const inThreads = await scenario(threaded, 'threads');
      const inline = await scenario(new SshTransport({ resolveEnv }), 'inline');
      expect(JSON.stringify(inThreads).replaceAll('threads-upload', 'X')).toBe(JSON.stringify(inline).replaceAll('inline-upload', 'X'));
      const results = (inThreads as { results: { items?: unknown }[] }).results;
      expect(results).toHaveLength(5);
      // The command's own outcome is there: one target exited 3, the rest 0.
      const first = JSON.stringify(results[0]);
      expect(first).toContain('"exit_code":3');
      expect(first).toContain('out 127.0.0.2');
    } finally {
      await threaded.close();
    }
  });

  it('spreads connections over the threads and keeps the one concurrency limit (counted on the server)', async () => {
    const dir = await mkdtemp(join(work, 'limit-'));
    await chmod(dir, 0o777);
    const threaded = new ThreadedTransport({ threads: 3, resolveEnv });
    const events = new EventBus();
    let running = 0;
    let peakRunning = 0;
    const perThreadPeak = [0, 0, 0];
    events.on((e) => {
      if (e.type === 'target_start') running++;
      if (e.type === 'target_finish') running--;
      peakRunning = Math.max(peakRunning, running);
      threaded.connectionsPerThread().forEach((n, i) => (perThreadPeak[i] = Math.max(perThreadPeak[i]!, n)));
    });
    const rt = runtime(threaded, { events, concurrency: 5 });
    try {
      // Each command counts the commands running at that moment, on the server's side.
      const set = await rt.runCommand(`touch ${dir}/$$; ls ${dir} | grep -v log | wc -l >> ${dir}/log; sleep 0.3; rm ${dir}/$$`, 'all');
      expect(set.ok).toBe(true);
      const counts = (await readFile(join(dir, 'log'), 'utf8')).trim().split('\n').map(Number);
      expect(counts).toHaveLength(TARGETS);
      expect(Math.max(...counts)).toBeLessThanOrEqual(5);
      expect(peakRunning).toBeLessThanOrEqual(5);
      expect(rt.pool.peak).toBeLessThanOrEqual(5);
      // Every thread had connections.
      expect(perThreadPeak.every((n) => n > 0)).toBe(true);
    } finally {
      await rt.close();
      await threaded.close();
    }
  });

  it('Ctrl-C (the run signal) kills the remote processes in every thread', async () => {
    const dir = await mkdtemp(join(work, 'cancel-'));
    await chmod(dir, 0o777);
    const threaded = new ThreadedTransport({ threads: 2, resolveEnv });
    const controller = new AbortController();
    const rt = runtime(threaded, { signal: controller.signal, concurrency: 100 });
    try {
      const step = rt.runCommand(`echo $$ > ${dir}/$(echo $SSH_CONNECTION | cut -d' ' -f3).pid; exec sleep 300`, names.slice(0, 10));
      await until('10 sleeps started', async () => (await readdir(dir)).length === 10);
      expect(threaded.connectionsPerThread()).toEqual([5, 5]);
      const pids = await Promise.all((await readdir(dir)).map(async (f) => Number(await readFile(join(dir, f), 'utf8'))));
      expect(pids.every(alive)).toBe(true);
      controller.abort();
      const set = await step;
      expect(set.errorSet.length).toBe(10);
      for (const result of set) expect(JSON.stringify(result.toJSON())).toMatch(/was killed/);
      // The kill is confirmed before the results say so; sshd may reap the processes a moment later.
      await until('the killed processes to be reaped', () => pids.filter(alive).length === 0);
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      await rt.close();
      await threaded.close();
    }
  });

  it('a thread that dies fails its targets at once with a clear error, the others go on, and a later step gets a fresh thread', async () => {
    const dir = await mkdtemp(join(work, 'crash-'));
    await chmod(dir, 0o777);
    const threaded = new ThreadedTransport({ threads: 2, resolveEnv });
    const controller = new AbortController();
    const rt = runtime(threaded, { signal: controller.signal, concurrency: 100, keepConnections: false });
    const pids: number[] = [];
    try {
      const step = rt.runCommand(`echo $$ > ${dir}/$(echo $SSH_CONNECTION | cut -d' ' -f3).pid; exec sleep 300`, names.slice(0, 10));
      await until('10 sleeps started', async () => (await readdir(dir)).length === 10);
      pids.push(...(await Promise.all((await readdir(dir)).map(async (f) => Number(await readFile(join(dir, f), 'utf8'))))));
      await threaded.terminateThread(0);
      // Thread 0's five targets are failed now, while thread 1's still run: end those with Ctrl-C.
      await until('thread 0 forgotten', () => threaded.connectionsPerThread()[0] === 0);
      controller.abort();
      const set = await step;
      const errors = set.errorSet.toJSON().map((r) => (r.value as { _error: { kind: string; msg: string } })._error);
      const lost = errors.filter((e) => e.kind === 'rivet/connection-lost');
      expect(lost).toHaveLength(5);
      for (const e of lost) expect(e.msg).toMatch(/worker thread 0 holding its connection stopped \(it exited with code 1\); the outcome of the command is unknown/);
      expect(errors.filter((e) => /was killed/.test(e.msg))).toHaveLength(5);
      // Thread 1's processes were killed by the cancel. Thread 0's sockets closed with it, and sshd
      // does not signal a session without a terminal on disconnect: as when the whole controller
      // dies, those processes may run on (removed below).
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await rt.close();
    }
    // A new step on the same transport: thread 0's slot gets a fresh thread.
    const again = runtime(threaded, { concurrency: 100 });
    try {
      const set = await again.runCommand('echo ok', names.slice(0, 10));
      expect(set.ok).toBe(true);
    } finally {
      await again.close();
      await threaded.close();
    }
  });

  it('rivet --threads 2: a command, and a plan whose second step reuses each target\'s connection in its thread', async () => {
    const sdk = fileURLToPath(new URL('../../../src/sdk/index.ts', import.meta.url));
    const project = await makeProject({
      'package.json': '{ "type": "module" }\n',
      'rivet-project.yaml': 'name: demo\n',
      'inventory.yaml': ['targets:', ...names.slice(0, 8).map((n) => `  - ${n}`), ...sshConfigLines(server, { 'connect-timeout': 120 }), '  transport: ssh', ''].join('\n'),
      'plans/steps.ts': `import { definePlan, runCommand } from '${sdk}';
export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) {
  await runCommand('echo one', targets);
  return runCommand('echo $SSH_CONNECTION | cut -d" " -f3', targets);
} });
`,
    });
    try {
      const command = await rivet(['command', 'run', 'echo $SSH_CONNECTION | cut -d" " -f3', '-t', 'all', '--threads', '2', '--format', 'json'], { cwd: project, env: { HOME: resolveEnv.home } });
      expect(command.code).toBe(0);
      const items = command.json<{ items: { target: string; value: { stdout: string } }[] }>().items;
      expect(items.map((i) => i.value.stdout.trim())).toEqual(names.slice(0, 8));

      const before = server.connectionCount();
      const plan = await rivet(['plan', 'run', 'demo::steps', 'targets=all', '--threads', '2', '--format', 'json'], { cwd: project, env: { HOME: resolveEnv.home } });
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      expect(JSON.stringify(plan.json())).toContain(names[7]);
      // Two steps, one connection per target.
      expect(server.connectionCount() - before).toBe(8);

      const bad = await rivet(['command', 'run', 'true', '-t', 'all', '--threads', 'many'], { cwd: project });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--threads must be auto, off or a whole number of threads/);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });

  it('the pool drops a threaded connection whose close the server never answers: destroyed in its thread, the close settles, no connection left', async () => {
    // A proxy that, once told to, passes nothing and never closes its side: the SSH close waits
    // for the server's answer (disconnect-timeout: a day), so only a destroy can end it.
    const proxy = new DroppingProxy(server.port);
    const proxyPort = await proxy.listen();
    const threaded = new ThreadedTransport({ threads: 1, resolveEnv });
    const events = new EventBus();
    const seen: RivetEvent[] = [];
    events.on((event) => seen.push(event));
    const pool = new ConnectionPool({ ssh: threaded }, { closeGraceMs: 1000, events });
    try {
      const target = sshTarget(server, { 'host-key-check': false, 'disconnect-timeout': 86_400 }, { host: '127.0.0.1', port: proxyPort, name: 'silent' });
      const signal = new AbortController().signal;
      const out = await pool.use(target, { signal }, (connection) => connection.run('echo ready', { signal }));
      expect(out.stdout.toString()).toBe('ready\n');
      expect(threaded.connectionsPerThread()).toEqual([1]);
      proxy.blackhole();
      await pool.closeAll();
      expect(pool.size).toBe(0);
      const warnings = seen.filter((e) => e.type === 'log' && e.level === 'warn').map((e) => (e as { text: string }).text).filter((text) => text.startsWith('Closing'));
      expect(warnings).toEqual([expect.stringMatching(/^Closing the connection to silent did not finish in 1 s .*: dropped it$/)]);
      // The destroy settled the close in the worker thread: its connection slot is given back.
      await until('the threaded connection to be dropped', () => threaded.connectionsPerThread()[0] === 0);
    } finally {
      await threaded.close();
      await proxy.close();
    }
  });

  it('destroy() without a close drops a threaded connection at once; a later close does nothing', async () => {
    const threaded = new ThreadedTransport({ threads: 1, resolveEnv });
    try {
      const signal = new AbortController().signal;
      const connection = await threaded.connect(sshTarget(server, { 'host-key-check': false }, { host: '127.0.0.1', name: 'dropped' }), { signal });
      expect((await connection.run('echo ready', { signal })).stdout.toString()).toBe('ready\n');
      expect(threaded.connectionsPerThread()).toEqual([1]);
      connection.destroy?.();
      expect(threaded.connectionsPerThread()).toEqual([0]);
      await connection.close();
      expect(threaded.connectionsPerThread()).toEqual([0]);
      // The connection is gone in the worker thread too: a call on it fails.
      await expect(connection.run('echo again', { signal })).rejects.toThrow();
    } finally {
      await threaded.close();
    }
  });
});
