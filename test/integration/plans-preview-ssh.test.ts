/**
 * Preview, record and replay end to end (issue 16), through the built `rivet` binary against real
 * sshd (the in-process ssh2 server when sshd cannot run): a preview leaves no marker file and
 * makes no connection; a recorded run replays with sshd stopped.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanRecording } from '../../src/runtime/plans/index.ts';
import { makeProject } from '../cli/helpers.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { sshConfigLines } from '../helpers/ssh-inventory.ts';

const pexec = promisify(execFile);
const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/rivet.mjs', import.meta.url));
/** Remote dir for this run (sshd runs on this machine): the marker file goes here. */
const REMOTE = `/tmp/rivet-preview-ssh-${process.pid}`;
const MARKER = `${REMOTE}/marker`;
const SECRET = 's3cret-pw-0451';

function planSource(command: string): string {
  return `import { definePlan, runCommand, runTask, uploadFile } from '${SDK}';
export default definePlan({
  params: { targets: { type: 'TargetSpec' }, password: { type: 'String', sensitive: true } },
  async run({ targets, password }) {
    await runCommand('${command}', targets);
    const login = await runTask('rec::login', targets, { user: 'deploy', password });
    const check = await runCommand('cat ${MARKER} && echo present', targets);
    const present = check.first?.value['stdout'] === 'present\\n';
    if (present) await uploadFile('files/page.html', '${REMOTE}/page.html', targets);
    return { login: login.first?.value ?? null, present };
  },
});
`;
}

async function rivet(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await pexec(process.execPath, [BIN, ...args], { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', HOME: cwd } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('issue 16: preview, record and replay over SSH', () => {
  let server: TestSshServer;
  let project: string;
  let recorded: unknown;

  beforeAll(async () => {
    await rm(REMOTE, { recursive: true, force: true });
    server = await startTestSshServer();
    project = await makeProject({
      'package.json': '{"type": "module"}\n',
      'bolt-project.yaml': 'name: rec\n',
      'inventory.yaml': [
        'groups:',
        '  - name: web',
        '    targets: [127.0.0.2, 127.0.0.3]',
        ...sshConfigLines(server, { 'connect-timeout': 30 }),
        '',
      ].join('\n'),
      'tasks/login.json': JSON.stringify({ parameters: { user: { type: 'String' }, password: { type: 'String', sensitive: true } } }),
      'tasks/login.sh': '#!/bin/sh\necho "{\\"user\\": \\"$PT_user\\", \\"password_length\\": ${#PT_password}}"\n',
      'files/page.html': '<p>page</p>\n',
      'plans/deploy.ts': planSource(`mkdir -p ${REMOTE} && touch ${MARKER}`),
    });
  });

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    await rm(REMOTE, { recursive: true, force: true });
  });

  it('--preview prints every step with its plan line, secrets redacted, and touches no target', async () => {
    const before = server.connectionCount();
    const run = await rivet(['plan', 'run', 'rec::deploy', '-t', 'web', `password=${SECRET}`, '--preview'], project);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).toContain('Preview: nothing runs and no target is contacted; the preview assumes every step succeeds on every target');
    expect(out).toContain(`Preview step 1 (plans/deploy.ts:5): command "mkdir -p ${REMOTE} && touch ${MARKER}" on 127.0.0.2, 127.0.0.3`);
    expect(out).toContain('Preview step 2 (plans/deploy.ts:6): task rec::login on 127.0.0.2, 127.0.0.3 with {"user":"deploy","password":"Sensitive [value redacted]"}');
    expect(out).toContain('Preview step 3: plans/deploy.ts:8 reads its result (value); the preview goes on as if it succeeded: {"stdout":"","stderr":"","merged_output":"","exit_code":0}');
    expect(out).not.toContain('Preview step 4');
    expect(out).not.toContain(SECRET);
    expect(existsSync(MARKER)).toBe(false);
    expect(existsSync(REMOTE)).toBe(false);
    expect(server.connectionCount() - before).toBe(0);
  });

  it('--record runs the plan and writes every step and result, secrets redacted', async () => {
    const before = server.connectionCount();
    const file = join(project, 'run.json');
    const run = await rivet(['plan', 'run', 'rec::deploy', '-t', 'web', `password=${SECRET}`, '--record', 'run.json', '--format', 'json'], project);
    expect(run.code, run.stderr).toBe(0);
    recorded = JSON.parse(run.stdout);
    expect(recorded).toEqual({ login: { user: 'deploy', password_length: SECRET.length }, present: true });
    expect(existsSync(MARKER)).toBe(true);
    expect(existsSync(`${REMOTE}/page.html`)).toBe(true);
    expect(server.kind === 'ssh2' || server.connectionCount() - before === 2).toBe(true);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(SECRET);
    const recording = JSON.parse(text) as PlanRecording;
    expect(recording).toMatchObject({ format: 'rivet-plan-recording', version: 1, plan: 'rec::deploy', status: 'success', params: { targets: ['web'], password: 'Sensitive [value redacted]' } });
    expect(recording.steps.map((s) => [s.step, s.action, s.location])).toEqual([
      [1, 'command', 'plans/deploy.ts:5'],
      [2, 'task', 'plans/deploy.ts:6'],
      [3, 'command', 'plans/deploy.ts:7'],
      [4, 'upload', 'plans/deploy.ts:9'],
    ]);
    expect(recording.steps[2]!.results!.map((r) => [r.target, r.value['stdout']])).toEqual([
      ['127.0.0.2', 'present\n'],
      ['127.0.0.3', 'present\n'],
    ]);
  });

  it('--replay re-runs the plan logic with sshd stopped; a changed plan fails at the step that differs', async () => {
    await server.stop();
    await rm(REMOTE, { recursive: true, force: true });
    // The recorded parameters are replayed: the sensitive one as its redaction text.
    const replay = await rivet(['plan', 'run', 'rec::deploy', '--replay', 'run.json', '--format', 'json'], project);
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual(recorded);
    expect(existsSync(REMOTE)).toBe(false);

    await writeFile(join(project, 'plans/deploy.ts'), planSource(`mkdir -p ${REMOTE}/v2 && touch ${MARKER}`));
    const changed = await rivet(['plan', 'run', 'rec::deploy', '--replay', 'run.json'], project);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(
      new RegExp(`Replay of '.*run\\.json' differs at step 1: expected command "mkdir -p ${REMOTE} && touch ${MARKER}" on 127\\.0\\.0\\.2, 127\\.0\\.0\\.3 \\(recorded at plans/deploy\\.ts:5\\); the plan now calls command "mkdir -p ${REMOTE}/v2 && touch ${MARKER}" on 127\\.0\\.0\\.2, 127\\.0\\.0\\.3 \\(.*/plans/deploy\\.ts:5\\)\n`),
    );
    expect(changed.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const missing = await rivet(['plan', 'run', 'rec::deploy', '--replay', 'nope.json'], project);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`Cannot read the recording '${join(project, 'nope.json')}': no such file`);
  });
});
