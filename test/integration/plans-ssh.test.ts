/**
 * Plans over SSH against real sshd (the in-process ssh2 server when sshd cannot run): one
 * connection per target for a whole plan, concurrent steps under the global limit, timeouts and
 * Ctrl-C that kill the remote process, nested plans and per-target pipelines (P-03..P-17).
 */
import { execFile, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RivetEvent } from '../../src/core/events.ts';
import { createRuntime, type CreatedRuntime } from '../../src/runtime/create.ts';
import { PlanRunner } from '../../src/runtime/plans/index.ts';
import {
  catchErrors,
  definePlan,
  downloadFile,
  parallelize,
  runCommand,
  runPlan,
  runScript,
  runTask,
  runTaskWith,
  uploadFile,
  waitUntilAvailable,
  writeFile,
  type RivetError,
} from '../../src/sdk/index.ts';
import { makeProject } from '../cli/helpers.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';

const pexec = promisify(execFile);
const FILE = fileURLToPath(import.meta.url);
const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/rivet.mjs', import.meta.url));

/** Remote dir for this run (sshd runs here; a per-run name so no older, differently owned dir gets in the way). */
const REMOTE = `/tmp/rivet-plan-ssh-${process.pid}`;
let server: TestSshServer;
let dir: string;

function inventory(count: number): Record<string, unknown> {
  return {
    groups: [
      { name: 'loop', targets: Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`) },
      { name: 'broken', targets: [{ uri: '127.0.0.1:1', name: 'refused' }] },
    ],
    config: {
      ssh: {
        port: server.port,
        user: server.user,
        'private-key': server.clientKeyPath,
        'known-hosts-file': server.knownHostsPath,
        'load-config': false,
        'connect-timeout': 60,
      },
    },
  };
}

async function harness(count: number, concurrency?: number): Promise<{ runtime: CreatedRuntime; runner: PlanRunner; events: RivetEvent[] }> {
  const runtime = await createRuntime({ cwd: dir, env: { HOME: dir, RIVET_DEFAULTS_DIRS: '' }, inventory: inventory(count), concurrency });
  const events: RivetEvent[] = [];
  runtime.events.on((e) => events.push(e));
  return { runtime, runner: new PlanRunner(runtime, { env: {} }), events };
}

/** Processes on this machine (sshd runs here) whose command line contains `marker`. */
async function processesWith(marker: string): Promise<string[]> {
  const { stdout } = await pexec('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

async function eventually(check: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

beforeAll(async () => {
  server = await startTestSshServer();
  dir = await makeProject({
    'package.json': '{ "type": "module" }\n',
    'rivet-project.yaml': 'name: sshplans\n',
    'check.sh': '#!/bin/sh\necho "script on $(hostname) as $(id -un): $*"\n',
    'site/index.html': '<h1>hi</h1>\n',
    'site/css/main.css': 'body{}\n',
    'modules/demo/tasks/echo.json': JSON.stringify({ input_method: 'environment', supports_noop: true, parameters: { word: { type: 'String[1]' } } }),
    'modules/demo/tasks/echo.sh': '#!/bin/sh\nprintf \'{"word":"%s","noop":"%s","user":"%s"}\\n\' "$PT_word" "$PT__noop" "$(id -un)"\n',
  });
});
afterAll(async () => {
  await server?.stop();
  await rm(REMOTE, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

describe('plans over SSH', () => {
  it('X-07: a 6-step plan on 20 targets opens exactly 20 SSH connections', async () => {
    const { runtime, runner } = await harness(20);
    try {
      const before = server.connectionCount();
      const plan = definePlan({
        params: { targets: 'TargetSpec' },
        async run({ targets }) {
          await runCommand(`mkdir -p ${REMOTE} && hostname`, targets);
          // The 20 loopback targets share one filesystem: upload a file (mv -f replaces it; a
          // directory would nest on every target after the first, as in Bolt).
          await runCommand(`mkdir -p ${REMOTE}/site`, targets);
          await uploadFile(join(dir, 'check.sh'), `${REMOTE}/site/check.sh`, targets);
          await writeFile('version=1\n', `${REMOTE}/site/VERSION`, targets);
          await runScript(join(dir, 'check.sh'), targets, { arguments: ['a b', 'c'] });
          return downloadFile(`${REMOTE}/site/VERSION`, 'versions', targets);
        },
      });
      const set = (await runner.run(plan, { targets: 'loop' })) as Awaited<ReturnType<typeof downloadFile>>;
      expect(set.length).toBe(20);
      expect(set.ok).toBe(true);
      expect(await readFile(set.find('127.0.0.7')!.value.path, 'utf8')).toBe('version=1\n');
      expect(set.find('127.0.0.7')!.value.path).toBe(join(dir, 'downloads', 'versions', '127.0.0.7', 'VERSION'));
      expect(server.kind === 'ssh2' || server.connectionCount() - before === 20, `sshd accepted ${server.connectionCount() - before} connections`).toBe(true);
      if (server.kind === 'sshd') console.log(`[plans-ssh] 5 steps x 20 targets: ${server.connectionCount() - before} sshd connections`);
    } finally {
      await runtime.close();
    }
  });

  it('P-12/P-20: steps started together run together, and the global concurrency limit holds across them', async () => {
    const free = await harness(10);
    const limited = await harness(10, 5);
    try {
      const plan = definePlan({
        params: { targets: 'TargetSpec' },
        async run({ targets }) {
          await runCommand('true', targets);
          await Promise.all([runCommand('sleep 1', targets), runCommand('sleep 1', targets)]);
        },
      });
      /** The most targets worked on at once by the two 'sleep 1' steps (counted from events, not timed). */
      const mostAtOnce = (events: RivetEvent[]): number => {
        const sleeps = new Set(events.flatMap((e) => (e.type === 'step_start' && e.object === 'sleep 1' ? [e.stepId] : [])));
        let running = 0;
        let most = 0;
        for (const e of events) {
          if (e.type === 'target_start' && sleeps.has(e.stepId)) most = Math.max(most, ++running);
          if (e.type === 'target_finish' && sleeps.has(e.stepId)) running--;
        }
        return most;
      };
      await free.runner.run(plan, { targets: 'loop' });
      await limited.runner.run(plan, { targets: 'loop' });
      expect(mostAtOnce(free.events)).toBe(20); // 20 sleeps at once
      expect(mostAtOnce(limited.events)).toBe(5); // 20 sleeps, 5 at a time
      expect(limited.runtime.pool.peak).toBeLessThanOrEqual(5); // and never more than 5 connections
    } finally {
      await free.runtime.close();
      await limited.runtime.close();
    }
  });

  it('a step timeout kills the remote process and fails the target with rivet/timeout', async () => {
    const { runtime, runner } = await harness(2);
    try {
      const marker = `sleep 37.${Date.now() % 100000}`;
      const plan = definePlan({
        async run() {
          return runCommand(`${marker}; echo never`, 'loop', { timeout: 700, catchErrors: true });
        },
      });
      const set = (await runner.run(plan)) as Awaited<ReturnType<typeof runCommand>>;
      expect(set.map((r) => r.error()?.kind)).toEqual(['rivet/timeout', 'rivet/timeout']);
      expect(await eventually(async () => (await processesWith(marker)).length === 0)).toBe(true);
    } finally {
      await runtime.close();
    }
  });

  it('P-08/P-15/P-17: per-target pipelines with parallelize; nested failures carry the plan file:line', async () => {
    const { runtime, runner } = await harness(6);
    try {
      const inner = definePlan({
        params: { targets: 'TargetSpec' },
        async run({ targets }) {
          const set = await runCommand('hostname -I 2>/dev/null || true; test "$(cat /tmp/rivet-plan-ssh-nope 2>/dev/null)" = x', targets); // INNER-FAIL
          return set.names;
        },
      });
      const outer = definePlan({
        params: { targets: 'TargetSpec' },
        async run({ targets }) {
          const pipelines = await parallelize(targets, async (t) => {
            await runCommand('echo one', t);
            return (await runCommand('echo two', t)).first!.value['stdout'];
          });
          const failed = await catchErrors(() => runPlan(inner, { targets: targets.slice(0, 2) }));
          return { pipelines, failed };
        },
      });
      const value = (await runner.run(outer, { targets: 'loop' })) as { pipelines: string[]; failed: RivetError };
      expect(value.pipelines).toEqual(Array(6).fill('two\n'));
      expect(value.failed.kind).toBe('bolt/run-failure');
      const lines = (await readFile(FILE, 'utf8')).split('\n');
      expect(value.failed.toJSON().details).toMatchObject({ file: FILE, line: lines.findIndex((l) => l.includes('// INNER-FAIL')) + 1 });
    } finally {
      await runtime.close();
    }
  });

  it('P-14: run-as from an enclosing runPlan applies to every step of the sub-plan; a step option beats it (sudo on sshd)', async (ctx) => {
    if (server.kind !== 'sshd') ctx.skip(); // the in-process server has no sudo
    const { runtime, runner } = await harness(2);
    try {
      const sub = definePlan({
        params: { targets: 'TargetSpec' },
        async run({ targets }) {
          const inherited = await runCommand('id -un', targets);
          const own = await runCommand('id -un', targets, { runAs: server.user });
          return [inherited.first!.value['stdout'], own.first!.value['stdout']];
        },
      });
      const plan = definePlan({
        async run() {
          const plain = await runCommand('id -un', 'loop');
          return [plain.first!.value['stdout'], ...((await runPlan(sub, { targets: 'loop' }, { runAs: 'root' })) as string[])];
        },
      });
      expect(await runner.run(plan)).toEqual([`${server.user}\n`, 'root\n', `${server.user}\n`]);
    } finally {
      await runtime.close();
    }
  });

  it('P-01/P-02/P-03: runTask (noop), runTaskWith, envVars, stream and signal options over SSH', async () => {
    const { runtime, runner, events } = await harness(3);
    try {
      const plan = definePlan({
        params: { targets: 'TargetSpec' },
        async run({ targets }) {
          const noop = await runTask('demo::echo', targets, { word: 'same' }, { noop: true });
          const each = await runTaskWith('demo::echo', targets, (t) => ({ word: t.name }));
          const env = await runCommand('printf "%s" "$LIST"', targets.slice(0, 1), { envVars: { LIST: ['a', 1] }, stream: true });
          const controller = new AbortController();
          setTimeout(() => controller.abort(), 300);
          const canceled = await runCommand('sleep 30', targets.slice(0, 1), { signal: controller.signal, catchErrors: true });
          return {
            noop: noop.map((r) => [r.value['word'], r.value['noop']]),
            each: each.map((r) => r.value['word']),
            env: env.first!.value['stdout'],
            canceled: canceled.first!.error()?.kind,
          };
        },
      });
      expect(await runner.run(plan, { targets: 'loop' })).toEqual({
        noop: [['same', 'true'], ['same', 'true'], ['same', 'true']],
        each: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
        env: '["a",1]',
        canceled: 'rivet/canceled',
      });
      expect(events.some((e) => e.type === 'target_output' && e.text.includes('["a",1]'))).toBe(true);
    } finally {
      await runtime.close();
    }
  });

  it('P-09: waitUntilAvailable succeeds on reachable targets and fails the unreachable one after waitTime', async () => {
    const { runtime, runner } = await harness(3);
    try {
      const plan = definePlan({
        async run() {
          const t0 = Date.now();
          const set = await waitUntilAvailable(['loop', 'refused'], { waitTime: 1_500, retryInterval: 300, catchErrors: true });
          return { ok: set.okSet.names, failed: set.errorSet.names, kind: set.find('refused')!.error()!.kind, ms: Date.now() - t0 };
        },
      });
      const value = (await runner.run(plan)) as { ok: string[]; failed: string[]; kind: string; ms: number };
      expect(value.ok).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
      expect(value.failed).toEqual(['refused']);
      expect(value.kind).toBe('puppetlabs.tasks/connect-error');
      expect(value.ms).toBeGreaterThanOrEqual(1_000);
      expect(value.ms).toBeLessThan(5_000);
    } finally {
      await runtime.close();
    }
  });

  it('Ctrl-C during `rivet plan run` kills the remote processes and exits non-zero', { timeout: 180_000 }, async () => {
    const marker = `sleep 38.${Date.now() % 100000}`;
    const project = await makeProject({
      'package.json': '{ "type": "module" }\n',
      'rivet-project.yaml': 'name: cancel\n',
      'inventory.yaml': JSON.stringify(inventory(3)),
      'plans/slow.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({ params: { targets: 'TargetSpec' }, async run({ targets }) { await runCommand('${marker}', targets); } });
`,
    });
    const child = spawn(process.execPath, [BIN, 'plan', 'run', 'cancel::slow', '-t', 'loop'], { cwd: project, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    expect(await eventually(async () => (await processesWith(marker)).length >= 3, 120_000)).toBe(true); // a bound on polling, not a budget
    child.kill('SIGINT');
    const code = await exited;
    expect(code).not.toBe(0);
    expect(stderr).toContain('Stopping: canceling remote processes');
    expect(stdout).toContain('Finished: plan cancel::slow');
    expect(await eventually(async () => (await processesWith(marker)).length === 0)).toBe(true);
  });
});
