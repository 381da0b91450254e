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
import { Result, ResultSet, type ResultValue } from '../../core/result.ts';
import type { Target } from '../../core/target.ts';
import type { Runtime } from '../runtime.ts';
import type { PlanStepCall, StepHook } from '../plans/step-hook.ts';

/** What Postgres keeps per target and step (the target itself is in the step's name). */
export interface StoredResult {
  action: string;
  object: string | null;
  value: ResultValue;
  durationMs: number;
}

/** `rivet.<step>.<action>:<target>`: the DBOS step name of one target of one plan step. */
export function stepName(step: number, action: string, target: string): string {
  return `rivet.${step}.${action}:${target}`;
}

/** Splits a step name back into its parts; undefined for DBOS's own steps. */
export function parseStepName(name: string): { step: number; action: string; target: string } | undefined {
  const match = /^rivet\.(\d+)\.([a-z_]+):(.*)$/s.exec(name);
  return match ? { step: Number(match[1]), action: match[2]!, target: match[3]! } : undefined;
}

export class DurableStepHook implements StepHook {
  #step = 0;
  readonly #runtime: Runtime;
  readonly #recorded: ReadonlySet<string>;
  readonly #batchSize: number;

  /** `recorded`: names of the steps this run already finished (read before the plan replays). */
  constructor(runtime: Runtime, recorded: ReadonlySet<string>, batchSize: number) {
    this.#runtime = runtime;
    this.#recorded = recorded;
    this.#batchSize = batchSize;
  }

  async step(call: PlanStepCall, run: (only?: readonly Target[]) => Promise<ResultSet>): Promise<ResultSet> {
    const step = ++this.#step;
    const names = call.targets.map((target) => stepName(step, call.action, target.name));
    const pending = call.targets.filter((_, i) => !this.#recorded.has(names[i]!));
    const done = call.targets.length - pending.length;
    if (done > 0) {
      this.#runtime.events.emit({ type: 'message', level: 'verbose', text: `Durable step ${step} (${call.action}): ${done} of ${call.targets.length} target(s) already have a result; ${pending.length} run now` });
    }
    const results = new Map<string, Promise<Result>>();
    for (let i = 0; i < pending.length; i += this.#batchSize) {
      const batch = pending.slice(i, i + this.#batchSize);
      const set = run(batch);
      // Each target's DBOS step awaits its own result; a failed batch fails each of its steps.
      set.catch(() => {});
      for (const target of batch) {
        results.set(
          target.name,
          set.then((s) => {
            const found = s.results.find((r) => r.target.name === target.name);
            if (found === undefined) throw new Error(`The step returned no result for ${target.name}`);
            return found;
          }),
        );
      }
    }
    const stored = await Promise.all(
      call.targets.map((target, i) =>
        DBOS.runStep(
          async (): Promise<StoredResult> => {
            // Not in the snapshot of recorded steps but recorded meanwhile is impossible; the reverse runs it alone.
            const result = await (results.get(target.name) ?? run([target]).then((s) => s.results[0]!));
            return { action: result.action, object: result.object, value: result.value, durationMs: result.durationMs };
          },
          { name: names[i]! },
        ),
      ),
    );
    return new ResultSet(
      stored.map((s, i) => new Result({ target: call.targets[i]!, action: s.action as Result['action'], object: s.object, value: s.value, durationMs: s.durationMs })),
    );
  }
}
