/**
 * Workers' live output reaches the controller (issue 15): with `--workers`, a streaming step's
 * stdout and stderr, printed on a `rivet worker`, arrive at the controller as `target_output`
 * events of the controller's step and target, complete and in order, before the target's result;
 * `--stream` prints them; a flood is cut at the forwarding bound with a marker while the result
 * keeps it all. Real Postgres (LISTEN/NOTIFY), real worker processes, local targets.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pgDriver from 'pg';
import { DBOSClient } from '@dbos-inc/dbos-sdk';
import { systemDatabaseUrl } from '../../src/runtime/durable/system-db-url.ts';
import { describe, expect, it } from 'vitest';
import { postgresSkipReason, type PostgresServer } from '../harness/postgres.ts';
import { LIVE_OUTPUT_MAX_BYTES, outputChannel, PAYLOAD_MAX, payloads } from '../../src/runtime/durable/live-output.ts';
import { controllerExit, durableFixture, jsonLines, localProject, markerDir, runIdOf, SDK, stopWorker, until, type Spawned } from './helpers.ts';

const skip = postgresSkipReason();
const KEY = { RIVET_DURABLE_KEY: 'a-live-output-test-key' };
/** `seq 1 400000; echo done`: 2 688 900 bytes of numbered lines, so the order of what arrives shows. */
const FLOOD_TEXT = `${Array.from({ length: 400000 }, (_, i) => i + 1).join('\n')}\ndone\n`;
const FLOOD = FLOOD_TEXT.length;
const CANARY_URI_PASSWORD = 'canary-live-uri-pw-5d1e';
const CANARY_TOKEN = 'canary-live-token-8a2f';

function project(): Promise<string> {
  return localProject({ three: ['l1', 'l2', 'l3'] }, {
    // Each target prints 200 numbered lines on stdout (naming itself) and two on stderr; the second step prints nothing live.
    'plans/lines.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    const set = await runCommand('i=1; while [ $i -le 200 ]; do echo "line $i of $(hostname -s 2>/dev/null || echo host)"; i=$((i+1)); done; echo oops >&2; echo "the end" >&2', targets);
    await runCommand('echo quiet', targets, { stream: false });
    return set.results.map((r) => String(r.value['stdout']).split('\\n').length);
  },
});
`,
    // A task with a sensitive parameter that it does not print; it prints once the test's gate file exists.
    'modules/ops/tasks/say.json': JSON.stringify({ parameters: { token: { type: 'String', sensitive: true }, gate: { type: 'String' } } }),
    'modules/ops/tasks/say.sh': '#!/bin/sh\ntouch "$PT_gate.started"\nuntil [ -e "$PT_gate" ]; do sleep 0.1; done\necho "hello from the task"\necho "token has ${#PT_token} characters" >&2\n',
    'plans/say.ts': `import { definePlan, runTask } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', gate: 'String', token: 'Sensitive[String]' },
  async run({ targets, gate, token }) {
    const set = await runTask('ops::say', targets, { token: token.unwrap(), gate });
    return set.results.length;
  },
});
`,
    // Each half of a character is sent on its own: the test opens the gate once the controller printed the text before them.
    'plans/euro.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', gate: 'String' },
  async run({ targets, gate }) {
    const wait = 'i=0; until [ -e "$G" ] || [ $i -ge 1200 ]; do sleep 0.05; i=$((i+1)); done';
    const set = await runCommand(\`printf 'x\\\\342\\\\202'; printf 'y\\\\360\\\\237' >&2; \${wait}; printf '\\\\254\\\\n'; printf '\\\\230' >&2\`, targets, { envVars: { G: gate } });
    return set.results.map((r) => r.value['stdout']);
  },
});
`,
    'plans/flood.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec' },
  async run({ targets }) {
    const set = await runCommand('seq 1 400000; echo done', targets);
    return set.results.map((r) => String(r.value['stdout']).length);
  },
});
`,
  });
}

function expectedLines(): string {
  return Array.from({ length: 200 }, (_, i) => `line ${i + 1} of `).join('|');
}

/** The text of each target's stream, joined from its target_output events in order. */
function outputs(events: Record<string, unknown>[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events.filter((e) => e['type'] === 'target_output')) {
    const key = `${String(e['target'])} ${String(e['stream'])}`;
    out.set(key, (out.get(key) ?? '') + String(e['text']));
  }
  return out;
}

describe('live output payloads', () => {
  it('cut into notifications under the Postgres limit, ASCII only, reassembling to the text (surrogate pairs and control characters kept)', () => {
    const text = `${'a'.repeat(9000)}é漢😀\u0000\u001b[31m${'"\\'.repeat(5000)}${'😀'.repeat(3000)}end`;
    let n = 0;
    const pieces = payloads({ b: 'r1.1.abc', t: 'ssh://root@web1', s: 'out' }, text, () => n++);
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(PAYLOAD_MAX);
      expect(/^[\x20-\x7e]*$/.test(p)).toBe(true);
    }
    const parsed = pieces.map((p) => JSON.parse(p) as { n: number; x: string });
    expect(parsed.map((p) => p.n)).toEqual(parsed.map((_, i) => i));
    expect(parsed.map((p) => p.x).join('')).toBe(text);
  });
});

describe.skipIf(skip !== undefined)("durable workers' live output reaches the controller", () => {
  let pg: PostgresServer;
  const fixture = durableFixture(project, KEY, (set) => (pg = set.pg));
  const controller = (args: string[]): Spawned => fixture.controller(args);

  async function withWorker<T>(database: string, use: (url: string, worker: Spawned) => Promise<T>): Promise<T> {
    await pg.createDatabase(database);
    const url = pg.urlFor(database);
    const worker = await fixture.worker(['--id', `${database}-worker`, '--durable', url]);
    try {
      return await use(url, worker);
    } finally {
      await stopWorker(worker);
    }
  }

  it('--format jsonl --stream: every target_output of the workers, under the controller step and target, complete and in order, before the target finishes', async () => {
    await withWorker('live_jsonl', async (url, worker) => {
      const c = controller(['plan', 'run', 'demo::lines', '-t', 'three', '--durable', url, '--workers', '--format', 'jsonl', '--stream']);
      expect(await controllerExit(c, [worker]), c.stderr()).toBe(0);
      const events = jsonLines(c.stdout());
      expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: [201, 201, 201] });
      const starts = events.filter((e) => e['type'] === 'step_start');
      expect(starts).toHaveLength(2);
      const streamed = events.filter((e) => e['type'] === 'target_output');
      // All of it belongs to the first step (the controller's step id), none to the step with stream: false.
      expect(new Set(streamed.map((e) => e['stepId']))).toEqual(new Set([starts[0]!['stepId']]));
      expect(new Set(streamed.map((e) => e['runId']))).toEqual(new Set([starts[0]!['runId']]));
      const text = outputs(events);
      expect([...text.keys()].sort()).toEqual(['l1 stderr', 'l1 stdout', 'l2 stderr', 'l2 stdout', 'l3 stderr', 'l3 stdout']);
      for (const target of ['l1', 'l2', 'l3']) {
        const lines = text.get(`${target} stdout`)!.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.map((l) => l.replace(/of .*$/, 'of ')).join('|')).toBe(expectedLines());
        expect(text.get(`${target} stderr`)).toBe('oops\nthe end\n');
        // The target's output comes before its result (the worker sends it before recording the result).
        const finished = events.findIndex((e) => e['type'] === 'target_finish' && e['target'] === target && e['stepId'] === starts[0]!['stepId']);
        const lastOutput = events.findLastIndex((e) => e['type'] === 'target_output' && e['target'] === target);
        expect(lastOutput).toBeLessThan(finished);
        expect(lastOutput).toBeGreaterThan(events.indexOf(starts[0]!));
      }
    });
  }, 600_000);

  it('--stream prints the workers\' output prefixed with the target; without --stream nothing is forwarded', async () => {
    await withWorker('live_human', async (url, worker) => {
      const c = controller(['plan', 'run', 'demo::lines', '-t', 'l1,l2', '--durable', url, '--workers', '--stream']);
      expect(await controllerExit(c, [worker]), c.stderr()).toBe(0);
      const printed = c.stdout().split('\n');
      for (const target of ['l1', 'l2']) {
        const mine = printed.filter((l) => l.startsWith(`[${target}] out: line `)).map((l) => l.replace(/of .*$/, 'of ').replace(`[${target}] out: `, ''));
        expect(mine.join('|')).toBe(expectedLines());
        expect(printed.filter((l) => l.startsWith(`[${target}] err: `))).toEqual([`[${target}] err: oops`, `[${target}] err: the end`]);
      }
      const quiet = controller(['plan', 'run', 'demo::lines', '-t', 'l1,l2', '--durable', url, '--workers', '--format', 'jsonl']);
      expect(await controllerExit(quiet, [worker]), quiet.stderr()).toBe(0);
      const events = jsonLines(quiet.stdout());
      expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success' });
      expect(events.filter((e) => e['type'] === 'target_output')).toEqual([]);
    });
  }, 600_000);

  it('what a worker sends holds no URI password and no sensitive parameter: the notifications of the run\'s channel, read by the test', async () => {
    const markers = await markerDir();
    const gate = join(markers, 'gate');
    try {
      await withWorker('live_secrets', async (url, worker) => {
        const c = controller(['plan', 'run', 'demo::say', '-t', `local://bob:${CANARY_URI_PASSWORD}@l1,l2`, `gate=${gate}`, `token=${CANARY_TOKEN}`, '--durable', url, '--workers', '--format', 'jsonl', '--stream']);
        await until('the run id', () => jsonLines(c.stdout()).some((e) => e['type'] === 'durable_run'));
        const runId = runIdOf(c);
        const received: string[] = [];
        const client = new pgDriver.Client({ connectionString: url });
        client.on('notification', (m) => received.push(m.payload ?? ''));
        await client.connect();
        try {
          await client.query(`LISTEN ${pgDriver.escapeIdentifier(outputChannel(runId))}`);
          await writeFile(gate, '');
          expect(await controllerExit(c, [worker]), c.stderr()).toBe(0);
        } finally {
          await client.end();
        }
        const events = jsonLines(c.stdout());
        expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 2 });
        const text = outputs(events);
        expect(text.get('local://bob@l1 stdout')).toBe('hello from the task\n');
        expect(text.get('l2 stderr')).toBe(`token has ${CANARY_TOKEN.length} characters\n`);
        // The test heard the same pieces, keyed by batch and password-free target name.
        const messages = received.map((p) => JSON.parse(p) as { b: string; t: string; s: string; x: string });
        expect(new Set(messages.map((m) => m.t))).toEqual(new Set(['local://bob@l1', 'l2']));
        expect(messages.every((m) => m.b.startsWith(`${runId}.1.`))).toBe(true);
        const all = received.join('\n') + c.stdout() + c.stderr() + worker.stderr() + worker.stdout();
        expect(all).not.toContain(CANARY_URI_PASSWORD);
        expect(all).not.toContain(CANARY_TOKEN);
      });
    } finally {
      await rm(markers, { recursive: true, force: true });
    }
  }, 600_000);

  it('a controller killed while its batch streams: the worker finishes the batch all the same; the resumed controller has the results and none of the old output', async () => {
    const markers = await markerDir();
    const gate = join(markers, 'gate');
    try {
      await withWorker('live_resume', async (url, worker) => {
        const c = controller(['plan', 'run', 'demo::say', '-t', 'l1,l2', `gate=${gate}`, 'token=t', '--durable', url, '--workers', '--format', 'jsonl', '--stream']);
        await until('the worker to start the batch', () => existsSync(`${gate}.started`));
        const runId = runIdOf(c);
        c.child.kill('SIGKILL');
        await c.exit;
        await writeFile(gate, '');
        const client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(url) });
        try {
          await until('the batch to finish with no controller', async () => {
            const batches = await client.listWorkflows({ workflowName: 'rivet.batch', workflow_id_prefix: `${runId}.`, loadInput: false, loadOutput: false });
            return batches.length === 1 && batches[0]!.status === 'SUCCESS';
          });
        } finally {
          await client.destroy();
        }
        const resumed = controller(['plan', 'resume', runId, '--durable', url, '--workers', '--format', 'jsonl', '--stream']);
        expect(await controllerExit(resumed, [worker]), resumed.stderr()).toBe(0);
        const events = jsonLines(resumed.stdout());
        expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 2 });
        expect(events.filter((e) => e['type'] === 'target_output')).toEqual([]);
      });
    } finally {
      await rm(markers, { recursive: true, force: true });
    }
  }, 600_000);

  it('a character whose bytes a worker sends in two chunks arrives whole; a stream ending inside one, as one U+FFFD (as without workers)', async () => {
    const markers = await markerDir();
    const gate = join(markers, 'gate');
    try {
      await withWorker('live_utf8', async (url, worker) => {
        const c = controller(['plan', 'run', 'demo::euro', '-t', 'l1', `gate=${gate}`, '--durable', url, '--workers', '--format', 'jsonl', '--stream']);
        await until('the first halves to be sent', () => {
          const sent = outputs(jsonLines(c.stdout()));
          return sent.get('l1 stdout') === 'x' && sent.get('l1 stderr') === 'y';
        });
        await writeFile(gate, '');
        expect(await controllerExit(c, [worker]), c.stderr()).toBe(0);
        const events = jsonLines(c.stdout());
        expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: ['x€\n'] });
        const text = outputs(events);
        expect(text.get('l1 stdout')).toBe('x€\n');
        expect(text.get('l1 stderr')).toBe('y\ufffd');
      });
    } finally {
      await rm(markers, { recursive: true, force: true });
    }
  }, 600_000);

  it(`a flood of ${FLOOD} bytes per target: at most ${LIVE_OUTPUT_MAX_BYTES} bytes forwarded per target and stream, then a marker; the run finishes and the results keep all of it`, async () => {
    await withWorker('live_flood', async (url, worker) => {
      const c = controller(['plan', 'run', 'demo::flood', '-t', 'l1,l2', '--durable', url, '--workers', '--format', 'jsonl', '--stream']);
      expect(await controllerExit(c, [worker]), c.stderr()).toBe(0);
      const events = jsonLines(c.stdout());
      expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: [FLOOD, FLOOD] });
      const text = outputs(events);
      for (const target of ['l1', 'l2']) {
        const out = text.get(`${target} stdout`)!;
        const marker = /\n\[rivet: (\d+) bytes of live output not forwarded by worker live_flood-worker: a worker forwards at most (\d+) bytes [^\]]*\]\n$/.exec(out);
        expect(marker, out.slice(-400)).not.toBeNull();
        const forwarded = out.slice(0, marker!.index);
        // Exactly the first 1 MiB, in order (about 140 notifications).
        expect(forwarded === FLOOD_TEXT.slice(0, LIVE_OUTPUT_MAX_BYTES)).toBe(true);
        expect(Number(marker![1])).toBe(FLOOD - LIVE_OUTPUT_MAX_BYTES);
        expect(Number(marker![2])).toBe(LIVE_OUTPUT_MAX_BYTES);
      }
    });
  }, 600_000);
});
