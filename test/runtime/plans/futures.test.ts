/**
 * Bolt's `background`/`wait` (P-18, P-19) and `ctrl::` functions (P-21), in Puppet-language plans
 * run by name (translated in memory) on local targets, as `rivet plan run` runs them. What each
 * test expects is read from Bolt 3.30: `boltlib/functions/background.rb`, `wait.rb`,
 * `lib/bolt/fiber_executor.rb` (`wait`, `round_robin`), `lib/bolt/error.rb`
 * (`FutureTimeoutError`, `ParallelFailure`), `bolt-modules/ctrl/.../do_until.rb`, `sleep.rb`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { definePlan, runCommand, withoutDefaultLogging } from '../../../src/sdk/index.ts';
import { background, wait, type Future } from '../../../src/sdk/futures.ts';
import { HumanRenderer } from '../../../src/cli/render/human.ts';
import { planHarness, type PlanHarness } from './helpers.ts';

let h: PlanHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function project(plans: Record<string, string>): Promise<PlanHarness> {
  const files: Record<string, string> = { 'rivet-project.yaml': 'name: site\n' };
  for (const [name, source] of Object.entries(plans)) files[`plans/${name}.pp`] = source;
  h = await planHarness({ files, count: 2 });
  return h;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const warnings = (x: PlanHarness): string[] => x.events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.text] : []));

describe('P-18 background', () => {
  it('P-18: returns a Future whose state goes running -> done; the plan may return first and the run waits for the block', async () => {
    const x = await project({
      early: `plan site::early(String $dir) {
  $f = background('writer') || {
    run_command("sleep 0.3; echo done > \${dir}/late", 't1')
    'written'
  }
  $state = $f.state
  return $state
}
`,
    });
    expect(await x.runner.run('site::early', { dir: x.dir })).toBe('running');
    // The block finished before the run did (Bolt waits for futures before exiting).
    expect(await readFile(join(x.dir, 'late'), 'utf8')).toBe('done\n');
  });

  it('P-18: a block that fails after the plan returned is logged at warn with the future name, and does not fail the plan', async () => {
    const x = await project({
      late: `plan site::late() {
  background('doomed') || { run_command('sleep 0.2; exit 3', 't1') }
  return 'returned'
}
`,
    });
    expect(await x.runner.run('site::late')).toBe('returned');
    expect(warnings(x)).toEqual([expect.stringMatching(/^Error in future 'doomed' of plan site::late: command 'sleep 0\.2; exit 3' failed on 1 target \(.*late\.pp:2\): t1: The command failed with exit code 3.* \[ID: errored_futures\]$/s)]);
  });

  it('P-18/P-37: a Future reads as Bolt\'s "Future \'name\'", unnamed futures are numbered, state is done or error', async () => {
    const x = await project({
      states: `plan site::states() {
  $ok = background() || { 'fine' }
  $bad = background('bad') || { fail_plan('nope', 'site/nope') }
  $values = wait([$ok, $bad], '_catch_errors' => true)
  return { 'ok' => $ok.state, 'bad' => $bad.state, 'shown' => "\${bad}", 'kinds' => [$values[0], $values[1].kind] }
}
`,
    });
    expect(await x.runner.run('site::states')).toEqual({ ok: 'done', bad: 'error', shown: "Future 'bad'", kinds: ['fine', 'site/nope'] });
  });
});

describe('P-19 wait', () => {
  it('P-19: wait() waits for every future of this plan, those started while waiting too, and returns their values in order', async () => {
    const x = await project({
      all: `plan site::all() {
  $a = background('a') || {
    background('nested') || { run_command('sleep 0.2', 't1'); 'nested' }
    'a'
  }
  $b = background('b') || { run_command('echo b', 't2')[0].value['stdout'] }
  return wait()
}
`,
    });
    expect(await x.runner.run('site::all')).toEqual(['a', 'b\n', 'nested']);
  });

  it("P-19: wait() does not wait for a sub-plan's futures", async () => {
    const x = await project({
      parent: `plan site::parent(String $dir) {
  run_plan('site::child', 'dir' => $dir)
  $seen = wait()
  return [$seen, file::exists("\${dir}/child-done")]
}
`,
      child: `plan site::child(String $dir) {
  background('child') || { run_command("sleep 0.5; touch \${dir}/child-done", 't1') }
}
`,
    });
    expect(await x.runner.run('site::parent', { dir: x.dir })).toEqual([[], false]);
    // The run still waited for it before ending.
    expect(existsSync(join(x.dir, 'child-done'))).toBe(true);
  });

  it('P-19: a timeout fails the futures still running with bolt/future-timeout-error, and their steps are canceled on the target', async () => {
    const x = await project({
      timeout: `plan site::timeout(String $dir) {
  $slow = background('slow') || { run_command("echo \\$\\$ > \${dir}/pid; exec sleep 60", 't1') }
  $fast = background('fast') || { 'quick' }
  $values = wait([$slow, $fast], 1, '_catch_errors' => true)
  return { 'kind' => $values[0].kind, 'msg' => $values[0].msg, 'details' => $values[0].details, 'fast' => $values[1], 'state' => $slow.state }
}
`,
    });
    const value = (await x.runner.run('site::timeout', { dir: x.dir })) as Record<string, unknown>;
    expect(value).toMatchObject({ kind: 'bolt/future-timeout-error', msg: "Future 'slow' timed out after 1 seconds.", fast: 'quick', state: 'error' });
    expect(value['details']).toMatchObject({ future: 'slow' });
    const pid = Number((await readFile(join(x.dir, 'pid'), 'utf8')).trim());
    // Killed on abort; reaping may trail the run's end on a loaded machine (a zombie answers kill 0).
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 30_000, interval: 100 });
  }, 60_000);

  it('P-19: without _catch_errors a failed future fails the wait with bolt/parallel-failure naming the plan line', async () => {
    const x = await project({
      raise: `plan site::raise() {
  $f = background('f') || { run_command('exit 2', 't1') }
  wait($f)
  return 'not reached'
}
`,
    });
    await expect(x.runner.run('site::raise')).rejects.toMatchObject({
      kind: 'bolt/parallel-failure',
      details: { action: 'parallelize', failed_indices: [0] },
      location: { file: expect.stringMatching(/plans\/raise\.pp$/), line: 3 },
    });
  });

  it('P-19: wait($timeout) waits for all futures with a timeout; wait() inside a background block is bolt/infinite-wait', async () => {
    const x = await project({
      inner: `plan site::inner() {
  $f = background('loop') || { wait() }
  return wait(30, '_catch_errors' => true).map |$v| { $v.kind }
}
`,
    });
    expect(await x.runner.run('site::inner')).toEqual(['bolt/infinite-wait']);
  });

  it('P-19: unknown wait() options are dropped with Bolt\'s warning; a bad timeout is an error naming the line', async () => {
    const x = await project({
      opts: `plan site::opts() {
  $f = background() || { 1 }
  wait($f, 'bogus' => true)
  wait($f, -1)
}
`,
    });
    await expect(x.runner.run('site::opts')).rejects.toMatchObject({ message: expect.stringMatching(/wait\(\): the timeout must be a number of seconds, 0 or more, got -1 \(.*opts\.pp:4\)/) });
    expect(warnings(x)).toEqual([expect.stringMatching(/^The wait\(\) function call in .*opts\.pp#L3 received unknown options \["bogus"\]\. Removing unknown options and continuing\.\.\. \[ID: plan_function_options\]$/)]);
  });

  it('P-18/P-19: TypeScript plans use the same functions (timeout in seconds)', async () => {
    h = await planHarness({ count: 1 });
    let future: Future | undefined;
    const plan = definePlan({
      async run() {
        future = background('ts', async () => (await runCommand('echo ts', 't1')).first!.value['stdout']);
        return wait(future, { timeout: 30 });
      },
    });
    expect(await h.runner.run(plan)).toEqual(['ts\n']);
    expect(future!.state).toBe('done');
  });
});

describe('P-21 ctrl', () => {
  it('P-21: ctrl::do_until calls the block until it is truthy (Puppet truthiness) and returns that value', async () => {
    const x = await project({
      until: `plan site::until(String $dir) {
  $twice = ctrl::do_until('interval' => 0) || {
    run_command("echo x >> \${dir}/n; test \\$(wc -l < \${dir}/n) -ge 2", 't1', '_catch_errors' => true).ok
  }
  $zero = ctrl::do_until() || { 0 }
  return [$twice, $zero]
}
`,
    });
    expect(await x.runner.run('site::until', { dir: x.dir })).toEqual([true, 0]);
    expect(await readFile(join(x.dir, 'n'), 'utf8')).toBe('x\nx\n');
  });

  it('P-21: with a limit, do_until stops after limit calls and returns the last falsy value; limit 0 is no limit', async () => {
    const x = await project({
      limit: `plan site::limit(String $dir) {
  $last = ctrl::do_until('limit' => 3, 'interval' => 0.01) || {
    run_command("echo x >> \${dir}/calls", 't1')
    undef
  }
  ctrl::sleep(0)
  return [$last, file::read("\${dir}/calls")]
}
`,
    });
    expect(await x.runner.run('site::limit', { dir: x.dir })).toEqual([undefined, 'x\nx\nx\n']);
  });

  it('P-21: without_default_logging gives the block\'s value, and the human output leaves out the Starting/Finished lines of its steps', async () => {
    const x = await project({
      quiet: `plan site::quiet() {
  run_command('echo shown', 't1')
  $v = without_default_logging() || { run_command('echo q', 't1')[0].value['stdout'] }
  return $v
}
`,
    });
    expect(await x.runner.run('site::quiet')).toBe('q\n');
    expect(x.events.filter((e) => e.type === 'default_output').map((e) => (e as { enabled: boolean }).enabled)).toEqual([false, true]);
    let out = '';
    const renderer = new HumanRenderer({ out: { write: (t) => void (out += t) }, err: { write: () => undefined }, color: false, verbose: false, stream: false, progress: false, plan: true });
    for (const e of x.events) renderer.onEvent(e);
    renderer.stop();
    const lines = out.split('\n').filter((l) => l.startsWith('Starting') || l.startsWith('Finished'));
    expect(lines.map((l) => l.replace(/ in [\d.]+ sec$/, ''))).toEqual(['Starting: plan site::quiet', "Starting: command 'echo shown' on t1", "Finished: command 'echo shown'", 'Finished: plan site::quiet']);
  });

  it('P-21: without_default_logging nests (a counter, as Bolt), hides verbose results too, and restores the output when its block throws', async () => {
    h = await planHarness({ count: 1 });
    const plan = definePlan({
      async run() {
        await withoutDefaultLogging(async () => {
          await withoutDefaultLogging(() => runCommand('echo inner', 't1')).catch(() => undefined);
          await withoutDefaultLogging(async () => {
            throw new Error('boom');
          }).catch(() => undefined);
          await runCommand('echo outer', 't1'); // still quiet: the outer block runs on
        });
        await runCommand('echo after', 't1');
      },
    });
    await h.runner.run(plan, {}, { name: 'site::nest' });
    let out = '';
    const renderer = new HumanRenderer({ out: { write: (t) => void (out += t) }, err: { write: () => undefined }, color: false, verbose: true, stream: false, progress: false, plan: true });
    for (const e of h.events) renderer.onEvent(e);
    renderer.stop();
    // --verbose: the results of the quiet steps are not printed either (Bolt's node_result).
    expect(out).toContain('after');
    expect(out).not.toContain('inner');
    expect(out).not.toContain('outer');
    const lines = out.split('\n').filter((l) => l.startsWith('Starting:') || l.startsWith('Finished:'));
    expect(lines.map((l) => l.replace(/ in [\d.]+ sec$/, ''))).toEqual(['Starting: plan site::nest', "Starting: command 'echo after' on t1", "Finished: command 'echo after'", 'Finished: plan site::nest']);
  });

  it('P-19: wait(undef) is bolt/type-mismatch, not a TypeError from the runtime', async () => {
    h = await planHarness({ count: 1 });
    const plan = definePlan({
      async run() {
        return wait(null as never);
      },
    });
    await expect(h.runner.run(plan)).rejects.toMatchObject({ kind: 'bolt/type-mismatch' });
  });

  it("C-15/P-19: the project's disable-warnings silences plan-time warnings by their id", async () => {
    h = await planHarness({ count: 1, files: { 'rivet-project.yaml': 'name: site\ndisable-warnings: [plan_function_options]\n', 'plans/opts.pp': `plan site::opts() {
  $f = background() || { 1 }
  wait($f, 'bogus' => true)
}
` } });
    await h.runner.run('site::opts');
    expect(warnings(h)).toEqual([]);
  });
});
