/** Runtimes and runners for plan tests: local targets t1..tN in a temp project. */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RivetEvent } from '../../../src/core/events.ts';
import { createRuntime, type CreatedRuntime } from '../../../src/runtime/create.ts';
import { PlanRunner, type PlanRunnerOptions } from '../../../src/runtime/plans/index.ts';

export interface PlanHarness {
  runtime: CreatedRuntime;
  runner: PlanRunner;
  events: RivetEvent[];
  dir: string;
  close(): Promise<void>;
}

/** A project dir with files, an inline inventory of `count` local targets in group `web`. */
export async function planHarness(options: { count?: number; files?: Record<string, string>; runner?: PlanRunnerOptions; signal?: AbortSignal } = {}): Promise<PlanHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-plan-'));
  for (const [path, content] of Object.entries(options.files ?? {})) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const names = Array.from({ length: options.count ?? 2 }, (_, i) => `t${i + 1}`);
  const runtime = await createRuntime({
    cwd: dir,
    env: {},
    inventory: { groups: [{ name: 'web', targets: names }, { name: 'canary', targets: [] }], config: { transport: 'local' } },
    signal: options.signal,
  });
  const events: RivetEvent[] = [];
  runtime.events.on((e) => events.push(e));
  const runner = new PlanRunner(runtime, { env: {}, ...options.runner });
  return { runtime, runner, events, dir, close: () => runtime.close() };
}

/** The line number of the first line of this file containing `marker`. */
export async function lineOf(file: string, marker: string): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const lines = (await readFile(file, 'utf8')).split('\n');
  const index = lines.findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`marker ${marker} not found in ${file}`);
  return index + 1;
}
