/**
 * Record and replay (`rivet plan run --record FILE` / `--replay FILE`): a recording is one JSON
 * file (format `rivet-plan-recording`, version 1, described in docs/plans.md) holding the plan's
 * name and parameters and, for every step in the order the plan made them, the step's inputs
 * (secrets redacted, see {@link describeStep}) and each target's result as Bolt's `to_data`.
 *
 * {@link PlanRecorder} runs every step for real and writes down what happened.
 * {@link PlanReplayer} runs nothing: it answers each step from the recording and fails, naming
 * the step number, the expected and the actual call and the plan file:line, as soon as the plan
 * makes a different call.
 *
 * @example
 * ```ts
 * const recorder = new PlanRecorder(runtime);
 * await new PlanRunner(runtime).run('site::deploy', params, { stepHook: recorder }).finally(() => recorder.write('run.json', 'success'));
 * const replayer = new PlanReplayer(runtime, await readRecording('run.json'), 'run.json');
 * await new PlanRunner(runtime).run('site::deploy', params, { stepHook: replayer });
 * replayer.finish();
 * ```
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { RivetError, UsageError, toRivetError, type ErrorData } from '../../core/errors.ts';
import { Result, ResultSet, type ResultData, type ResultValue } from '../../core/result.ts';
import type { Runtime } from '../runtime.ts';
import { describeStep, stepSummary, type PlanStepCall, type StepDescription, type StepHook } from './step-hook.ts';

export const RECORDING_FORMAT = 'rivet-plan-recording';
export const RECORDING_VERSION = 1;

/** One recorded step: its inputs, and each target's result or the error the step threw. */
export interface RecordedStep extends StepDescription {
  step: number;
  /** Started while another step was still running (`parallelize`): replay lets such steps come in another order. */
  concurrent?: true | undefined;
  results?: ResultData[] | undefined;
  error?: ErrorData | undefined;
}

/** A recording file (version 1). */
export interface PlanRecording {
  format: typeof RECORDING_FORMAT;
  version: typeof RECORDING_VERSION;
  /** The top-level plan's name. */
  plan: string | null;
  /** Its parameters as given, sensitive ones redacted. */
  params: Record<string, unknown>;
  recordedAt: string;
  status: 'success' | 'failure';
  steps: RecordedStep[];
}

/** Plain JSON of a value (Sensitive values become the redaction text). */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Records every step of a run (sub-plans included) while running it for real. */
export class PlanRecorder implements StepHook {
  readonly recording: PlanRecording;
  readonly #runtime: Runtime;
  readonly #off: () => void;
  #running = 0;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
    this.recording = { format: RECORDING_FORMAT, version: RECORDING_VERSION, plan: null, params: {}, recordedAt: new Date().toISOString(), status: 'failure', steps: [] };
    this.#off = runtime.events.on((event) => {
      if (event.type !== 'plan_start' || this.recording.plan !== null) return;
      this.recording.plan = event.plan;
      this.recording.params = json(event.params);
    });
  }

  async step(call: PlanStepCall, run: () => Promise<ResultSet>): Promise<ResultSet> {
    const entry: RecordedStep = { step: this.recording.steps.length + 1, ...(this.#running > 0 ? { concurrent: true } : {}), ...describeStep(call, this.#runtime.projectDir) };
    this.recording.steps.push(entry);
    this.#running++;
    try {
      const set = await run();
      entry.results = json(set.toJSON());
      return set;
    } catch (error) {
      entry.error = json(toRivetError(error).toJSON());
      throw error;
    } finally {
      this.#running--;
    }
  }

  /** Writes the recording (mode 0600) with the run's final status. */
  async write(file: string, status: 'success' | 'failure'): Promise<void> {
    this.#off();
    this.recording.status = status;
    try {
      await writeFile(file, `${JSON.stringify(this.recording, null, 2)}\n`, { mode: 0o600 });
    } catch (error) {
      throw new UsageError(`Cannot write the recording '${file}': ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { details: { file } });
    }
  }
}

/** Reads and checks a recording file; every problem is an error naming the file. */
export async function readRecording(file: string): Promise<PlanRecording> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`Cannot read the recording '${file}': ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`, { details: { file } });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The recording '${file}' is not valid JSON: ${(error as Error).message}`, { details: { file } });
  }
  return checkRecording(data, file);
}

/** Checks that data is a version 1 recording; `file` names it in errors. */
export function checkRecording(data: unknown, file: string): PlanRecording {
  const bad = (why: string): never => {
    throw new UsageError(`The recording '${file}' ${why}`, { details: { file } });
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('is not a JSON object');
  const record = data as Record<string, unknown>;
  if (record['format'] !== RECORDING_FORMAT) return bad(`is not a Rivet plan recording ("format" must be "${RECORDING_FORMAT}")`);
  if (record['version'] !== RECORDING_VERSION) return bad(`has version ${JSON.stringify(record['version'])}; this Rivet reads version ${RECORDING_VERSION} (record it again)`);
  if (!Array.isArray(record['steps'])) return bad('has no "steps" array');
  if (typeof record['params'] !== 'object' || record['params'] === null || Array.isArray(record['params'])) return bad('has no "params" object');
  (record['steps'] as unknown[]).forEach((step, index) => {
    const s = step as Partial<RecordedStep> | null;
    const where = `step ${index + 1}`;
    if (typeof s !== 'object' || s === null) return bad(`${where} is not an object`);
    if (typeof s.action !== 'string') return bad(`${where} has no "action"`);
    if (!Array.isArray(s.targets) || s.targets.some((t) => typeof t !== 'string')) return bad(`${where} has no "targets" list of names`);
    if (s.error === undefined && !Array.isArray(s.results)) return bad(`${where} has neither "results" nor "error"`);
    if (Array.isArray(s.results) && s.results.some((r) => typeof r !== 'object' || r === null || typeof r.target !== 'string' || typeof r.value !== 'object' || r.value === null)) {
      return bad(`${where} has a result without "target" and "value"`);
    }
    return undefined;
  });
  return data as PlanRecording;
}

/** The parts of a step that must match for a replay: not its location, which moves with edits. */
function sameCall(expected: RecordedStep, actual: StepDescription): boolean {
  return (
    expected.action === actual.action &&
    expected.object === actual.object &&
    isDeepStrictEqual(expected.targets, actual.targets) &&
    isDeepStrictEqual(expected.params ?? null, actual.params) &&
    isDeepStrictEqual(expected.options ?? {}, actual.options)
  );
}

/**
 * Answers every step from a recording; throws at the first step that differs. Steps are matched
 * in recorded order, except that steps recorded as started while another was running
 * (`concurrent`) may come in any order within their run of concurrent steps: how concurrent
 * steps interleave depends on timing, not on the plan.
 */
export class PlanReplayer implements StepHook {
  readonly recording: PlanRecording;
  readonly file: string;
  readonly #runtime: Runtime;
  readonly #used: boolean[];
  #calls = 0;
  /** The first mismatch: it ends the replay even when the plan catches it (`parallelize`, `catchErrors`). */
  #failure: RivetError | undefined;

  constructor(runtime: Runtime, recording: PlanRecording, file: string) {
    this.#runtime = runtime;
    this.recording = recording;
    this.file = file;
    this.#used = recording.steps.map(() => false);
  }

  /** The first recorded step not replayed yet. */
  #nextIndex(): number {
    const index = this.#used.indexOf(false);
    return index === -1 ? this.recording.steps.length : index;
  }

  /** The recorded step this call replays: the next one, or one of the concurrent steps right after it. */
  #match(actual: StepDescription): number | undefined {
    const steps = this.recording.steps;
    const next = this.#nextIndex();
    for (let index = next; index < steps.length && (index === next || steps[index]!.concurrent === true); index++) {
      if (!this.#used[index] && sameCall(steps[index]!, actual)) return index;
    }
    return undefined;
  }

  /**
   * Runs the plan against the recording: a mismatch is the outcome even if the plan caught it,
   * and a plan that makes fewer calls than recorded fails too.
   */
  async replay<T>(run: () => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await run();
    } catch (error) {
      throw this.#failure ?? error;
    }
    this.finish();
    return value;
  }

  async step(call: PlanStepCall): Promise<ResultSet> {
    if (this.#failure !== undefined) throw this.#failure;
    const actual = describeStep(call, this.#runtime.projectDir);
    const number = ++this.#calls;
    const index = this.#match(actual);
    if (index === undefined) {
      const expected = this.recording.steps[this.#nextIndex()];
      const was = expected === undefined ? `the recording ends after step ${this.recording.steps.length}` : `expected ${stepSummary(expected)}${expected.location ? ` (recorded at ${expected.location})` : ''}`;
      // Ends with ` (file:line)` of the call, as a RunFailure does (the CLI then adds nothing).
      const where = call.location === undefined ? '' : ` (${call.location.file}:${call.location.line})`;
      const error = new RivetError('rivet/replay-mismatch', `Replay of '${this.file}' differs at step ${number}: ${was}; the plan now calls ${stepSummary(actual)}${where}`, {
        issueCode: 'REPLAY_MISMATCH',
        details: { file: this.file, step: number, expected: expected ?? null, actual },
      });
      if (call.location !== undefined) error.location = call.location;
      this.#failure = error;
      throw error;
    }
    this.#used[index] = true;
    const recorded = this.recording.steps[index]!;
    if (recorded.error !== undefined) throw RivetError.fromData(recorded.error);
    const byTarget = new Map((recorded.results ?? []).map((r) => [r.target, r]));
    return new ResultSet(
      call.targets.map((target) => {
        const result = byTarget.get(target.name);
        if (result === undefined) throw new UsageError(`The recording '${this.file}' has no result for ${target.name} at step ${index + 1}`, { details: { file: this.file, step: index + 1 } });
        return new Result({ target, action: result.action, object: result.object, value: structuredClone(result.value) as ResultValue });
      }),
    );
  }

  /** Throws when the plan finished before making every recorded call. */
  finish(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const missing = this.recording.steps[this.#nextIndex()];
    if (missing === undefined) return;
    throw new RivetError(
      'rivet/replay-mismatch',
      `Replay of '${this.file}' differs at step ${this.#calls + 1}: expected ${stepSummary(missing)}${missing.location ? ` (recorded at ${missing.location})` : ''}; the plan finished after ${this.#calls} step(s)`,
      { issueCode: 'REPLAY_MISMATCH', details: { file: this.file, step: this.#calls + 1, expected: missing, actual: null } },
    );
  }
}
