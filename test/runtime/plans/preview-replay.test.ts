/** Plan preview, record and replay over the local transport (issue 16): nothing runs in a preview or a replay. */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED } from '../../../src/core/result.ts';
import { MockPlanEnvironment, PlanPreview, runPlan, runWithModes, type PlanRecording } from '../../../src/runtime/plans/index.ts';
import { addFacts, definePlan, downloadFile, parallelize, runCommand, runPlan as runSubPlan, runScript, runTask, runTaskWith, uploadFile, waitUntilAvailable, writeFile as writeRemote, Sensitive } from '../../../src/sdk/index.ts';
import { lineOf, planHarness, type PlanHarness } from './helpers.ts';

const FILE = fileURLToPath(import.meta.url);
const SECRET = 'hunter2-secret';

const FILES = {
  'modules/site/tasks/login.json': JSON.stringify({ parameters: { user: { type: 'String' }, password: { type: 'String', sensitive: true } } }),
  'modules/site/tasks/login.sh': '#!/bin/sh\necho "{\\"user\\": \\"$PT_user\\", \\"ok\\": true}"\n',
  'notes/page.html': '<p>hi</p>\n',
};

let h: PlanHarness;
afterEach(async () => h?.close());

/** A plan that touches a marker file on each target, runs a task with a secret and branches on a command's output. */
function deployPlan(marker: string) {
  return definePlan({
    params: { targets: { type: 'TargetSpec' } },
    async run({ targets }) {
      await runCommand(`touch ${marker}-$(hostname)`, targets); // STEP-TOUCH
      await runTask('site::login', targets, { user: 'deploy', password: SECRET });
      await runTaskWith('site::login', targets, (t) => ({ user: `u-${t.name}`, password: new Sensitive(SECRET) }));
      const status = await runCommand('echo active', targets, { catchErrors: true });
      if (status.first!.value['stdout'] === 'active\n') return 'active'; // BRANCH
      await uploadFile('notes/page.html', '/tmp/page.html', targets);
      await writeRemote('secret content', '/tmp/written.txt', targets);
      return 'inactive';
    },
  });
}

describe('plan preview', () => {
  it('P-01/P-02/P-03/P-05/P-07: runs the plan logic only: describes every step with its file:line, redacts secrets, says where control flow reads a result', async () => {
    h = await planHarness({ files: FILES });
    const marker = join(h.dir, 'marker');
    const preview = new PlanPreview(h.runtime);
    const value = await h.runner.run(deployPlan(marker), { targets: 'web' }, { stepHook: preview });
    expect(value).toBe('inactive'); // stdout assumed '' -> the other branch
    expect(existsSync(`${marker}-${process.env['HOSTNAME'] ?? ''}`)).toBe(false);
    expect(h.events.filter((e) => e.type === 'step_start' || e.type === 'target_start')).toEqual([]);
    expect(h.runtime.pool.size ?? 0).toBe(0);
    expect(preview.steps.map((s) => [s.step, s.action, s.targets])).toEqual([
      [1, 'command', ['t1', 't2']],
      [2, 'task', ['t1', 't2']],
      [3, 'task', ['t1', 't2']],
      [4, 'command', ['t1', 't2']],
      [5, 'upload', ['t1', 't2']],
      [6, 'write', ['t1', 't2']],
    ]);
    expect(preview.steps[0]!.location).toMatch(new RegExp(`preview-replay\\.test\\.ts:${await lineOf(FILE, 'STEP-TOUCH')}$`));
    expect(preview.steps[1]!.params).toEqual({ user: 'deploy', password: REDACTED });
    expect(preview.steps[2]!.params).toEqual({ perTarget: { t1: { user: 'u-t1', password: REDACTED }, t2: { user: 'u-t2', password: REDACTED } } });
    expect(preview.steps[4]!.summary).toBe('upload notes/page.html to /tmp/page.html on t1, t2');
    expect(preview.steps[5]!.summary).toBe('write 14 bytes to /tmp/written.txt on t1, t2');
    const messages = h.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    expect(messages.join('\n')).not.toContain(SECRET);
    const branch = await lineOf(FILE, 'BRANCH');
    expect(messages.filter((m) => m.startsWith('Preview step 4: '))).toEqual([expect.stringMatching(new RegExp(`preview-replay\\.test\\.ts:${branch} reads its result \\(value\\); the preview goes on as if it succeeded: \\{"stdout":"","stderr":"","merged_output":"","exit_code":0\\}$`))]);
    // Rivet's own reads (the SDK checking ok) are not reported.
    expect(messages.some((m) => /Preview step [1235]: .* reads its result/.test(m))).toBe(false);
  });

  it('P-04/P-06/P-09/P-14/P-02: describes scripts, downloads, waits, run-as and env var names (never their values); bad per-target task parameters fail their target only', async () => {
    h = await planHarness({ files: { ...FILES, 'scripts/hello.sh': '#!/bin/sh\necho hi\n' } });
    const preview = new PlanPreview(h.runtime);
    const plan = definePlan({
      async run() {
        await runScript('scripts/hello.sh', 'web', { arguments: ['a b', 'c'], runAs: 'root', envVars: { TOKEN: new Sensitive(SECRET) } });
        const got = await downloadFile('/etc/hostname', 'hosts', 't1');
        await waitUntilAvailable('web', { waitTime: 5_000 });
        const login = await runTaskWith('site::login', 'web', (t) => (t.name === 't1' ? { user: 'ok', password: 'x' } : { user: 7 } as never), { catchErrors: true });
        return { path: got.first!.value.path, failed: login.errorSet.names };
      },
    });
    expect(await h.runner.run(plan, {}, { stepHook: preview })).toEqual({ path: join(h.dir, 'downloads', 'hosts', 't1', 'hostname'), failed: ['t2'] });
    expect(preview.steps.map((s) => s.summary)).toEqual([
      'script scripts/hello.sh with arguments ["a b","c"] on t1, t2 (runAs: "root", envVars: ["TOKEN"])',
      'download /etc/hostname to downloads/hosts from t1',
      'wait until available: t1, t2',
      'task site::login on t1, t2 with {"perTarget":{"t1":{"user":"ok","password":"Sensitive [value redacted]"},"t2":{"user":7}}}',
    ]);
    expect(JSON.stringify(preview.steps)).not.toContain(SECRET);
    expect(existsSync(join(h.dir, 'downloads'))).toBe(false);
  });

  it('reports reads through Result and ResultSet members; previewed values are plain data (addFacts, structuredClone)', async () => {
    h = await planHarness({ files: FILES });
    const plan = definePlan({
      async run() {
        const set = await runTask('site::login', 'web', { user: 'a', password: 'b' });
        if (!set.ok) return 'failed'; // READS-OK
        addFacts('t1', set.first!.value); // READS-VALUE
        return structuredClone(set.find('t2')!.value);
      },
    });
    const messages: string[] = [];
    h.runtime.events.on((e) => void (e.type === 'message' && messages.push(e.text)));
    expect(await h.runner.run(plan, {}, { stepHook: new PlanPreview(h.runtime) })).toEqual({});
    expect(messages.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^Preview step 1: .*preview-replay\\.test\\.ts:${await lineOf(FILE, 'READS-OK')} reads its result \\(ok\\)`)),
      expect.stringMatching(new RegExp(`^Preview step 1: .*preview-replay\\.test\\.ts:${await lineOf(FILE, 'READS-VALUE')} reads its result \\(value\\)`)),
      expect.stringMatching(/^Preview step 1: .* reads its result \(value\); the preview goes on as if it succeeded: \{\}$/),
    ]);
  });

  it('T-13: fails like the real run where the real run fails before anything runs (bad task parameter)', async () => {
    h = await planHarness({ files: FILES });
    const plan = definePlan({ run: () => runTask('site::login', 'web', { user: 5 } as never) });
    await expect(h.runner.run(plan, {}, { stepHook: new PlanPreview(h.runtime) })).rejects.toThrow(/site::login.*user|user.*String/s);
  });

  it('runPlan(..., { preview: true }) contacts no target: an unreachable SSH target is fine', async () => {
    h = await planHarness();
    const plan = definePlan({ run: async () => (await runCommand('rm -rf /tmp/nothing', 'ssh://127.0.0.1:1')).ok });
    const events: string[] = [];
    h.runtime.events.on((e) => void (e.type === 'message' && events.push(e.text)));
    expect(await runPlan(plan, {}, { runtime: h.runtime, preview: true })).toBe(true);
    expect(events[0]).toMatch(/^Preview: nothing runs and no target is contacted; the preview assumes every step succeeds/);
    expect(events[1]).toMatch(/^Preview step 1 \(.*preview-replay\.test\.ts:\d+\): command "rm -rf \/tmp\/nothing" on ssh:\/\/127\.0\.0\.1:1$/);
  });
});

describe('record and replay', () => {
  it('records every step (secrets redacted) and replays the run with nothing run', async () => {
    h = await planHarness({ files: FILES });
    const marker = join(h.dir, 'marker');
    const file = join(h.dir, 'run.json');
    const live = await runWithModes(h.runtime, { record: file }, (stepHook) => h.runner.run(deployPlan(marker), { targets: 'web' }, { stepHook }));
    expect(live).toBe('active');
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(SECRET);
    const recording = JSON.parse(text) as PlanRecording;
    expect(recording).toMatchObject({ format: 'rivet-plan-recording', version: 1, params: { targets: 'web' }, status: 'success' });
    expect(recording.steps.map((s) => s.action)).toEqual(['command', 'task', 'task', 'command']);
    expect(recording.steps[1]).toMatchObject({ step: 2, object: 'site::login', params: { user: 'deploy', password: REDACTED }, results: [{ target: 't1', status: 'success', value: { user: 'deploy', ok: true } }, { target: 't2' }] });
    expect(recording.steps[0]!.location).toMatch(/preview-replay\.test\.ts:\d+$/);
    expect(recording.steps[3]!.results![0]!.value).toMatchObject({ stdout: 'active\n', exit_code: 0 });

    // Replay: remove the markers; the plan gets the recorded results and nothing touches a target.
    for (const t of ['t1', 't2']) await rm(`${marker}-${t}`, { force: true });
    const started = h.events.length;
    const replayed = await runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(deployPlan(marker), { targets: 'web' }, { stepHook }));
    expect(replayed).toBe('active');
    expect(h.events.slice(started).filter((e) => e.type === 'step_start')).toEqual([]);
  });

  it('a failed run is recorded too, and replays to the same failure', async () => {
    h = await planHarness();
    const file = join(h.dir, 'fail.json');
    const plan = definePlan({ run: () => runCommand('echo bad; exit 3', 'web') });
    await expect(runWithModes(h.runtime, { record: file }, (stepHook) => h.runner.run(plan, {}, { stepHook }))).rejects.toThrow(/exit code 3/);
    const recording = JSON.parse(await readFile(file, 'utf8')) as PlanRecording;
    expect(recording.status).toBe('failure');
    await expect(runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(plan, {}, { stepHook }))).rejects.toThrow(/exit code 3/);
  });

  it('fails where the plan now makes a different call: step number, expected and actual call, plan file:line', async () => {
    h = await planHarness();
    const file = join(h.dir, 'run.json');
    const before = definePlan({ run: async () => (await runCommand('echo one', 'web'), await runCommand('echo two', 'web')) });
    await runWithModes(h.runtime, { record: file }, (stepHook) => h.runner.run(before, {}, { stepHook }));
    const after = definePlan({ run: async () => (await runCommand('echo one', 'web'), await runCommand('echo TWO', 't1')) }); // CHANGED
    const error = (await runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(after, {}, { stepHook })).then(
      () => new Error('replay did not fail'),
      (e: unknown) => e,
    )) as Error & { location?: { line: number } };
    expect(error.message).toMatch(/^Replay of '.*run\.json' differs at step 2: expected command "echo two" on t1, t2 \(recorded at .*preview-replay\.test\.ts:\d+\); the plan now calls command "echo TWO" on t1 \(\/.*preview-replay\.test\.ts:(\d+)\)$/);
    expect(error.location?.line).toBe(await lineOf(FILE, 'CHANGED'));

    const shorter = definePlan({ run: () => runCommand('echo one', 'web') });
    await expect(runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(shorter, {}, { stepHook }))).rejects.toThrow(
      /differs at step 2: expected command "echo two" on t1, t2 .*; the plan finished after 1 step\(s\)/,
    );
    const catching = definePlan({ run: async () => (await runCommand('echo one', 'web'), await runSubPlan(definePlan({ run: () => runCommand('echo 2', 'web') }), {}, { catchErrors: true }), 'went on') });
    await expect(runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(catching, {}, { stepHook }))).rejects.toThrow(/differs at step 2: expected command "echo two".*now calls command "echo 2"/);
    const longer = definePlan({ run: async () => (await runCommand('echo one', 'web'), await runCommand('echo two', 'web'), await runCommand('echo three', 'web')) });
    await expect(runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(longer, {}, { stepHook }))).rejects.toThrow(/differs at step 3: the recording ends after step 2; the plan now calls command "echo three"/);
  });

  it('P-17: steps recorded as concurrent (parallelize) replay in any order within their run; sequential ones do not', async () => {
    h = await planHarness();
    const file = join(h.dir, 'parallel.json');
    const result = (target: string, stdout: string) => ({ target, action: 'command', object: stdout, status: 'success', value: { stdout, stderr: '', merged_output: stdout, exit_code: 0 } });
    const command = (step: number, object: string, target: string, concurrent: boolean) => ({ step, ...(concurrent ? { concurrent: true } : {}), action: 'command', object, targets: [target], params: null, options: {}, location: null, results: [result(target, object)] });
    // As a live run records it when t2 is faster: t2's second step starts before t1's.
    const steps = [command(1, 'prepare', 't1', false), command(2, 'prepare', 't2', true), command(3, 'finish', 't2', true), command(4, 'finish', 't1', true)];
    await writeFile(file, JSON.stringify({ format: 'rivet-plan-recording', version: 1, plan: null, params: {}, recordedAt: '', status: 'success', steps }));
    const plan = definePlan({
      run: () =>
        parallelize(['t1', 't2'], async (t) => {
          await runCommand('prepare', t);
          return (await runCommand('finish', t)).first!.value['stdout'];
        }),
    });
    expect(await runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(plan, {}, { stepHook }))).toEqual(['finish', 'finish']);
    // Without the concurrent marks, the same order is a different call at step 3.
    await writeFile(file, JSON.stringify({ format: 'rivet-plan-recording', version: 1, plan: null, params: {}, recordedAt: '', status: 'success', steps: steps.map(({ concurrent: _, ...rest }) => rest) }));
    await expect(runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(plan, {}, { stepHook }))).rejects.toThrow(/differs at step 3: expected command "finish" on t2/);
  });

  it('a missing, corrupt, foreign or wrong-version recording gets an error naming the file', async () => {
    h = await planHarness();
    const plan = definePlan({ run: () => runCommand('true', 'web') });
    const replay = (file: string) => runWithModes(h.runtime, { replay: file }, (stepHook) => h.runner.run(plan, {}, { stepHook }));
    const missing = join(h.dir, 'missing.json');
    await expect(replay(missing)).rejects.toThrow(`Cannot read the recording '${missing}': no such file`);
    const corrupt = join(h.dir, 'corrupt.json');
    await writeFile(corrupt, '{"format": "rivet-plan-rec');
    await expect(replay(corrupt)).rejects.toThrow(new RegExp(`The recording '${corrupt}' is not valid JSON`));
    const foreign = join(h.dir, 'foreign.json');
    await writeFile(foreign, '{"steps": []}');
    await expect(replay(foreign)).rejects.toThrow(`The recording '${foreign}' is not a Rivet plan recording ("format" must be "rivet-plan-recording")`);
    const future = join(h.dir, 'future.json');
    await writeFile(future, JSON.stringify({ format: 'rivet-plan-recording', version: 2, params: {}, steps: [] }));
    await expect(replay(future)).rejects.toThrow(`The recording '${future}' has version 2; this Rivet reads version 1 (record it again)`);
    const broken = join(h.dir, 'broken.json');
    await writeFile(broken, JSON.stringify({ format: 'rivet-plan-recording', version: 1, params: {}, steps: [{ action: 'command', targets: ['t1'] }] }));
    await expect(replay(broken)).rejects.toThrow(`The recording '${broken}' step 1 has neither "results" nor "error"`);
    await expect(runWithModes(h.runtime, { preview: true, record: 'x.json' }, async () => 1)).rejects.toThrow('Choose one of preview, record and replay, not preview and record');
  });

  it('P-44: MockPlanEnvironment loads a recording and replays it with the recorded parameters', async () => {
    h = await planHarness({ files: FILES });
    const file = join(h.dir, 'run.json');
    const marker = join(h.dir, 'marker');
    await runPlan(deployPlan(marker), { targets: 'web' }, { runtime: h.runtime, record: file });
    const env = await MockPlanEnvironment.create({ projectDir: h.dir, inventory: { groups: [{ name: 'web', targets: ['t1', 't2'] }] } });
    try {
      await env.loadRecording(file);
      expect(await env.run(deployPlan(marker))).toBe('active');
      expect(env.calls).toEqual([]); // no stub was asked
      await expect(env.run(definePlan({ run: () => runCommand('echo other', 'web') }), {})).rejects.toThrow(/differs at step 1/);
    } finally {
      await env.close();
    }
  });
});
