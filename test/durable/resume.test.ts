/**
 * Durable runs survive their controller (issue 15): a 5-step plan on 20 SSH targets, the
 * controller SIGKILLed in the middle of step 3, then `rivet plan resume`. The targets' own
 * append-only marker files (one per step and target) show that no finished step ran twice and
 * that every step ran everywhere. Then `rivet plan retry --from-step 4` runs steps 4 and 5 again.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rivet } from '../cli/helpers.ts';
import { postgresSkipReason, startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../harness/sshd.ts';
import { addresses, jsonLines, markerDir, SDK, spawnRivet, sshProject, until } from './helpers.ts';

const run = promisify(execFile);
const skip = sshdSkipReason() ?? postgresSkipReason();
const TARGETS = 20;

/** Step 3 waits for `<dir>/gate` on odd addresses, so a controller can be killed with half of step 3 done. */
function fiveStepPlan(): string {
  return `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', dir: 'String' },
  async run({ targets, dir }) {
    for (let step = 1; step <= 5; step++) {
      const gate = step === 3 ? 'case $3 in *[13579]) until [ -e ' + dir + '/gate ]; do echo waiting || exit 1; sleep 0.2; done;; esac; ' : '';
      await runCommand('set -- $SSH_CONNECTION; ' + gate + 'echo ran >> ' + dir + '/step' + step + '-$3', targets);
    }
    return 'five steps done';
  },
});
`;
}

async function pgrep(pattern: string): Promise<string[]> {
  try {
    return (await run('pgrep', ['-f', pattern])).stdout.trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Lines per marker file: `counts['step3-127.0.0.4'] === 1`. */
async function markerCounts(dir: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of await readdir(dir)) {
    if (!name.startsWith('step')) continue;
    counts[name] = (await readFile(join(dir, name), 'utf8')).split('\n').filter(Boolean).length;
  }
  return counts;
}

describe.skipIf(skip !== undefined)('durable runs: SIGKILL the controller, resume, retry', () => {
  let pg: PostgresServer;
  let sshd: SshdServer;
  let project: string;
  let markers: string;
  let url: string;

  beforeAll(async () => {
    [pg, sshd] = await Promise.all([startPostgres(), startSshd()]);
    await pg.createDatabase('rivet_resume');
    url = pg.urlFor('rivet_resume');
    markers = await markerDir();
    project = await sshProject(sshd, TARGETS, { 'plans/five.ts': fiveStepPlan() });
  }, 300_000);
  afterAll(async () => {
    await Promise.all([pg?.stop(), sshd?.stop()]);
    for (const dir of [project, markers]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('a killed controller mid-step leaves finished steps and finished targets alone on resume', async () => {
    const controller = spawnRivet(['plan', 'run', 'demo::five', '--targets', 'all', `dir=${markers}`, '--durable', url, '--format', 'jsonl'], project);
    await until('the run id', () => jsonLines(controller.stdout()).some((e) => e['type'] === 'durable_run'));
    const runId = jsonLines(controller.stdout()).find((e) => e['type'] === 'durable_run')!['runId'] as string;
    expect(runId).toMatch(/^r\d{8}T\d{6}-[0-9a-f]{8}$/);

    // Step 3 is half done when its 10 even targets have a recorded result (Rivet's view, not the markers').
    await until('10 recorded results of step 3', async () => {
      const shown = await rivet(['plan', 'show-run', runId, '--durable', url, '--format', 'json'], { cwd: project });
      // Until the controller's DBOS has created its tables and recorded the run, show-run fails
      // (no such run, or the database is still being set up): not yet, ask again.
      if (shown.code !== 0 && shown.code !== 1) return false;
      const steps = (JSON.parse(shown.stdout || '{}') as { steps?: { step: number; results: unknown[] }[] }).steps ?? [];
      return steps.find((s) => s.step === 3)?.results.length === TARGETS / 2;
    });
    controller.child.kill('SIGKILL');
    await controller.exit;
    // Remote work of a dead controller is nobody's: the odd targets' waits end when sshd closes their channels.
    await until('the orphaned step-3 waits to end', async () => (await pgrep(`${markers}/gate`)).length === 0, 600).catch(async () => {
      for (const pid of await pgrep(`${markers}/gate`)) process.kill(Number(pid), 'SIGKILL');
    });
    expect(jsonLines(controller.stdout()).filter((e) => e['type'] !== 'durable_run').every((e) => e['runId'] === runId)).toBe(true);

    const before = await markerCounts(markers);
    for (const address of addresses(TARGETS)) {
      expect(before[`step1-${address}`]).toBe(1);
      expect(before[`step2-${address}`]).toBe(1);
      expect(before[`step4-${address}`]).toBeUndefined();
    }
    const runs = await rivet(['plan', 'runs', '--durable', url, '--format', 'json'], { cwd: project });
    expect(runs.json<{ runs: { runId: string; status: string }[] }>().runs).toContainEqual(expect.objectContaining({ runId, status: 'PENDING' }));

    await writeFile(join(markers, 'gate'), '');
    const resumed = spawnRivet(['plan', 'resume', runId, '--durable', url, '--format', 'jsonl'], project);
    expect(await resumed.exit, resumed.stderr()).toBe(0);
    const events = jsonLines(resumed.stdout());
    expect(events.every((e) => e['runId'] === runId)).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: 'five steps done' });
    // Step 3 ran again on the 10 targets without a result only; steps 1 and 2 did not run again.
    const step3 = events.filter((e) => e['type'] === 'target_start').map((e) => e['target'] as string);
    expect(step3.length).toBe(TARGETS / 2 + 2 * TARGETS);

    const after = await markerCounts(markers);
    for (const address of addresses(TARGETS)) {
      for (let step = 1; step <= 5; step++) expect(after[`step${step}-${address}`], `step ${step} on ${address}`).toBe(1);
    }
    const shown = await rivet(['plan', 'show-run', runId, '--durable', url, '--format', 'json'], { cwd: project });
    expect(shown.code, shown.stderr).toBe(0);
    const detail = shown.json<{ run: { status: string }; steps: { step: number; results: { status: string }[] }[] }>();
    expect(detail.run.status).toBe('SUCCESS');
    expect(detail.steps.map((s) => [s.step, s.results.length, s.results.every((r) => r.status === 'success')])).toEqual([1, 2, 3, 4, 5].map((n) => [n, TARGETS, true]));

    // retry --from-step 4: a new run; steps 1-3 keep their results, 4 and 5 run again everywhere.
    const retried = spawnRivet(['plan', 'retry', runId, '--from-step', '4', '--durable', url, '--format', 'jsonl'], project);
    expect(await retried.exit, retried.stderr()).toBe(0);
    const retryId = jsonLines(retried.stdout()).find((e) => e['type'] === 'durable_run')!['runId'];
    expect(retryId).not.toBe(runId);
    const again = await markerCounts(markers);
    for (const address of addresses(TARGETS)) {
      expect([1, 2, 3, 4, 5].map((step) => again[`step${step}-${address}`])).toEqual([1, 1, 1, 2, 2]);
    }
  }, 900_000);
});
