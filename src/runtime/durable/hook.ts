/**
 * The step hook of a durable run: every step of the plan becomes one DBOS step per target, named
 * `rivet.<n>.<action>:<target>`, whose output is that target's result. The targets without a
 * recorded result run together, in batches of `batchSize` (one runtime step per batch, so one
 * `step_start` per batch and the run's concurrency limit over all of them); targets with a
 * recorded result are answered from Postgres and do not run again.
 *
 * Step numbers count the plan's step calls in order, so plan code must make the same calls in the
 * same order when it runs again (see docs/durable.md, "Plan code rules"). DBOS checks this: a step
 * whose name differs from the recorded one fails the run with `DBOSUnexpectedStepError`.
 *
 * @module
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import { RivetError } from '../../core/errors.ts';
import { Result, ResultSet, type ResultValue } from '../../core/result.ts';
import { safeName, type Target } from '../../core/target.ts';
import type { Runtime } from '../runtime.ts';
import type { PlanStepCall, StepHook, StepRun } from '../plans/step-hook.ts';

/** What Postgres keeps per target and step (the target itself is in the step's name). */
export interface StoredResult {
  action: string;
  object: string | null;
  value: ResultValue;
  durationMs: number;
}

/**
 * The name a target's results are kept under in Postgres: its name without the password of its
 * URI (`ssh://root:pw@web1` is kept as `ssh://root@web1`), so no password reaches the journal.
 */
export function targetKey(target: Pick<Target, 'name'>): string {
  return safeName(target);
}

/**
 * Two targets of one step whose names differ only in a URI password would share one recorded
 * result (the journal keys on the name without it): refused, naming them without passwords.
 */
function assertDistinctKeys(targets: readonly Pick<Target, 'name'>[], step: number): void {
  const seen = new Map<string, string>();
  for (const target of targets) {
    const key = targetKey(target);
    const other = seen.get(key);
    if (other !== undefined && other !== target.name) {
      throw new RivetError(
        'rivet/durable-target-names',
        `Step ${step} of this durable run has two targets named ${key} that differ only in their URI password; durable runs record results by the name without it: give the targets distinct names (an inventory 'name' with a 'uri')`,
        { details: { step, target: key } },
      );
    }
    seen.set(key, target.name);
  }
}

/** `rivet.<step>.<action>:<target>`: the DBOS step name of one target of one plan step (`target` is a {@link targetKey}). */
export function stepName(step: number, action: string, target: string): string {
  return `rivet.${step}.${action}:${target}`;
}

/** Splits a step name back into its parts; undefined for DBOS's own steps. */
export function parseStepName(name: string): { step: number; action: string; target: string } | undefined {
  const match = /^rivet\.(\d+)\.([a-z_]+):(.*)$/s.exec(name);
  return match ? { step: Number(match[1]), action: match[2]!, target: match[3]! } : undefined;
}

function stored(result: Result): StoredResult {
  return { action: result.action, object: result.object, value: result.value, durationMs: result.durationMs };
}

/**
 * Runs one batch of a step somewhere else (durable workers, see `workers.ts`): settles each
 * target's result. `step` is the plan step number; `position` is the batch's number (1-based) and
 * the step's number of batches.
 */
export type BatchDispatch = (step: number, call: PlanStepCall, batch: readonly Target[], position: { index: number; of: number }) => Map<string, Promise<StoredResult>>;

export class DurableStepHook implements StepHook {
  #step: number;
  readonly #runtime: Runtime;
  readonly #recorded: ReadonlySet<string>;
  readonly #batchSize: number;
  readonly #dispatch: BatchDispatch | undefined;
  readonly #beforeRecord: ((key: string) => Promise<void>) | undefined;

  /**
   * `recorded`: names of the steps this run already finished (read before the plan replays).
   * `dispatch`: runs the batches of steps that can run elsewhere (`call.remote`) on workers.
   * `firstStep`: the number of the first step this hook sees (a worker's batch is one plan step).
   * `beforeRecord`: awaited with a target's key before its result is recorded (a worker sends its live output first).
   */
  constructor(
    runtime: Runtime,
    recorded: ReadonlySet<string>,
    batchSize: number,
    options: { dispatch?: BatchDispatch | undefined; firstStep?: number; beforeRecord?: ((key: string) => Promise<void>) | undefined } = {},
  ) {
    this.#runtime = runtime;
    this.#recorded = recorded;
    this.#batchSize = batchSize;
    this.#dispatch = options.dispatch;
    this.#beforeRecord = options.beforeRecord;
    this.#step = (options.firstStep ?? 1) - 1;
  }

  async step(call: PlanStepCall, run: StepRun): Promise<ResultSet> {
    const step = ++this.#step;
    assertDistinctKeys(call.targets, step);
    const names = call.targets.map((target) => stepName(step, call.action, targetKey(target)));
    const pending = call.targets.filter((_, i) => !this.#recorded.has(names[i]!));
    const done = call.targets.length - pending.length;
    if (done > 0) {
      this.#runtime.events.emit({ type: 'message', level: 'verbose', text: `Durable step ${step} (${call.action}): ${done} of ${call.targets.length} target(s) already have a result; ${pending.length} run now` });
    }
    const results = new Map<string, Promise<StoredResult>>();
    const dispatch = this.#dispatch;
    const batches = Math.ceil(pending.length / this.#batchSize);
    for (let i = 0; i < pending.length; i += this.#batchSize) {
      const batch = pending.slice(i, i + this.#batchSize);
      const position = { index: i / this.#batchSize + 1, of: batches };
      const settled = dispatch !== undefined && call.remote !== undefined ? dispatch(step, call, batch, position) : this.#runBatch(batch, run);
      for (const [name, result] of settled) results.set(name, result);
    }
    const stored = await Promise.all(
      call.targets.map((target, i) =>
        DBOS.runStep(
          async (): Promise<StoredResult> => {
            // A target missing from the snapshot of recorded steps but recorded by DBOS cannot happen; the reverse runs it alone.
            const result = await (results.get(target.name) ?? this.#runBatch([target], run).get(target.name)!);
            await this.#beforeRecord?.(targetKey(target));
            return result;
          },
          { name: names[i]! },
        ),
      ),
    );
    return new ResultSet(
      stored.map((s, i) => new Result({ target: call.targets[i]!, action: s.action as Result['action'], object: s.object, value: s.value, durationMs: s.durationMs })),
    );
  }

  /**
   * Runs one batch as one runtime step and settles each target's result as soon as that target
   * finishes (the step tells its own results to `onTargetResult`, whatever other steps run on the
   * same targets at the same time), so a target's DBOS step is recorded without waiting for the
   * rest of the batch. The batch's own ResultSet settles whatever was not told.
   */
  #runBatch(batch: readonly Target[], run: StepRun): Map<string, Promise<StoredResult>> {
    // Keyed by password-free name, as results are recorded.
    const settle = new Map<string, { resolve(r: StoredResult): void; reject(e: unknown): void }>();
    const results = new Map<string, Promise<StoredResult>>();
    for (const target of batch) {
      const result = new Promise<StoredResult>((resolve, reject) => settle.set(targetKey(target), { resolve, reject }));
      result.catch(() => {}); // awaited by the target's DBOS step; a failure is reported there
      results.set(target.name, result);
    }
    run(batch, (result) => settle.get(targetKey(result.target))?.resolve(stored(result))).then(
      (set) => {
        for (const result of set.results) settle.get(targetKey(result.target))?.resolve(stored(result));
        for (const target of batch) settle.get(targetKey(target))?.reject(new Error(`The step returned no result for ${targetKey(target)}`));
      },
      (error: unknown) => {
        for (const target of batch) settle.get(targetKey(target))?.reject(error);
      },
    );
    return results;
  }
}
