/**
 * Durable workers: a durable run's controller enqueues each step's targets, in batches, as DBOS
 * workflows `rivet.batch` on the queue `rivet-workers`; `rivet worker` processes (sharing the
 * Postgres database and the project) dequeue and run them, journalling each target's result in the
 * batch workflow, and the controller awaits each batch's result. The queue's global concurrency,
 * per-worker concurrency and rate limit are stored in Postgres by DBOS, so they hold across all
 * workers. See docs/durable.md, "Workers".
 *
 * @example
 * ```ts
 * const worker = await openWorker({ url, runtime, executorId: 'worker-a', queue: { globalConcurrency: 4 } });
 * process.once('SIGTERM', () => void worker.close());
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { DBOS, DBOSClient } from '@dbos-inc/dbos-sdk';
import { RivetError, UsageError } from '../../core/errors.ts';
import { Result, Sensitive, type ResultSet } from '../../core/result.ts';
import { safeName, type Target } from '../../core/target.ts';
import type { Runtime } from '../runtime.ts';
import type { CommonStepOptions } from '../steps/basic.ts';
import { isPerTarget, projectRelative, type PlanStepCall, type RemoteStep } from '../plans/step-hook.ts';
import { APP, BATCH_WORKFLOW, WORKER_APP_VERSION, WORKER_QUEUE } from './app.ts';
import { DurableStepHook, parseStepName, targetKey, type BatchDispatch, type StoredResult } from './hook.ts';
import { assertSecretsAvailable, type DurableSerializer } from './serializer.ts';
import { systemDatabaseUrl } from './system-db-url.ts';
import { DEFAULT_STOP_TIMEOUT_MS, stopWithin, type StopOutcome } from './stop.ts';
import { assertReachable, databaseError, redactUrl } from './database-errors.ts';
import { Notifier, OutputBatch, OutputListener } from './live-output.ts';

/** What a `rivet.batch` workflow is called with (stored in Postgres; secrets are `Sensitive`, so encrypted). */
export interface BatchInput {
  runId: string;
  step: number;
  action: PlanStepCall['action'];
  object: string | null;
  /**
   * The targets' names as the worker's inventory knows them. A name holding a password
   * (`ssh://user:pw@host`) travels as a `Sensitive`, so encrypted; results are keyed by the
   * name without it ({@link targetKey}).
   */
  targets: (string | Sensitive<string>)[];
  remote: RemoteStep;
}

/** The queue's limits: DBOS keeps them in Postgres, so every worker obeys the same ones. */
export interface WorkerQueueLimits {
  /** Batches running at once over all workers. */
  globalConcurrency?: number | undefined;
  /** Batches running at once in one worker. */
  workerConcurrency?: number | undefined;
  /** At most `limitPerPeriod` batches started per `periodSec` seconds, over all workers. */
  rateLimit?: { limitPerPeriod: number; periodSec: number } | undefined;
}

let worker: { runtime: Runtime; client: DBOSClient; notifier: Notifier } | undefined;

const PARAMS_ERROR = '$rivetParamsError';

async function batchWorkflowBody(input: BatchInput): Promise<Record<string, StoredResult>> {
  if (worker === undefined) throw new RivetError('rivet/durable-no-worker', 'A batch of a durable run started in a process that is not a rivet worker');
  const { runtime, client, notifier } = worker;
  const id = DBOS.workflowID!;
  // A batch recovered after its worker died: targets with a recorded result do not run again.
  // Read through the client, outside the journal (DBOS.listWorkflowSteps would be a step whose first answer is replayed).
  const recorded = new Set(((await client.listWorkflowSteps(id)) ?? []).filter((s) => s.error === null && parseStepName(s.name) !== undefined).map((s) => s.name));
  assertSecretsAvailable(input.targets);
  const targets = input.targets.map((entry) => {
    const name = entry instanceof Sensitive ? String(entry.unwrap()) : entry;
    const found = runtime.getTargets(name);
    if (found.length !== 1) throw new UsageError(`Target '${safeName({ name })}' of durable run ${input.runId} is not one target in this worker's inventory`);
    return found[0]!;
  });
  // A streaming step's output goes to the controller live, each target's before its result is recorded.
  const output = input.remote.options.stream === true ? new OutputBatch(notifier, input.runId, id, DBOS.executorID) : undefined;
  const hook = new DurableStepHook(runtime, recorded, Math.max(1, targets.length), { firstStep: input.step, beforeRecord: output && ((key) => output.finish(key)) });
  const call: PlanStepCall = { action: input.action, object: input.object, targets, params: null, options: {}, location: undefined };
  let set: ResultSet;
  try {
    set = await hook.step(call, (only, onTargetResult) => runRemote(runtime, input.remote, only ?? targets, { onOutput: output?.sink, onTargetResult }));
  } finally {
    await output?.close();
  }
  return Object.fromEntries(set.results.map((r) => [targetKey(r.target), { action: r.action, object: r.object, value: r.value, durationMs: r.durationMs }]));
}

DBOS.registerWorkflow(batchWorkflowBody, { name: BATCH_WORKFLOW });

function plain(value: unknown): unknown {
  return value instanceof Sensitive ? value.unwrap() : value;
}

/**
 * Runs a step described by {@link RemoteStep} on `targets` (in a worker, with its own project);
 * a streaming step's output also goes to `onOutput`, each target's result to `onTargetResult` as
 * soon as that target finishes.
 */
export function runRemote(
  runtime: Runtime,
  remote: RemoteStep,
  targets: readonly Target[],
  observe: Pick<CommonStepOptions, 'onOutput' | 'onTargetResult'> = {},
): Promise<ResultSet> {
  const o = remote.options;
  const env = o.env === undefined ? undefined : Object.fromEntries(Object.entries(o.env).map(([k, v]) => [k, String(plain(v))]));
  const common = { runAs: o.runAs, timeoutMs: o.timeoutMs, description: o.description, stream: o.stream, onOutput: observe.onOutput, onTargetResult: observe.onTargetResult };
  switch (remote.action) {
    case 'command':
      return runtime.runCommand(remote.object, targets, { ...common, env });
    case 'script':
      return runtime.runScript(resolve(runtime.projectDir, remote.object), targets, { ...common, env, arguments: remote.params as string[] });
    case 'upload':
      return runtime.uploadFile(resolve(runtime.projectDir, remote.object), String(remote.params), targets, common);
    case 'task': {
      const params = remote.params;
      if (!isPerTarget(params)) return runtime.runTask(remote.object, targets, (params ?? {}) as Record<string, unknown>, { ...common, noop: o.noop });
      return runtime.runTaskWith(
        remote.object,
        targets,
        (target) => {
          const value = params.perTarget[targetKey(target)] as Record<string, unknown> | undefined;
          if (value !== undefined && PARAMS_ERROR in value) throw new Error(String(value[PARAMS_ERROR]));
          return value ?? {};
        },
        { ...common, noop: o.noop },
      );
    }
  }
}

/** Task parameters with the sensitive ones wrapped in `Sensitive`, so that Postgres gets them encrypted. */
function protectTaskParams(params: Record<string, unknown> | Error, sensitive: readonly string[]): Record<string, unknown> {
  if (params instanceof Error) return { [PARAMS_ERROR]: params.message };
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, sensitive.includes(k) && !(v instanceof Sensitive) ? new Sensitive(v) : v]));
}

/** The step as a worker gets it: paths relative to the project, sensitive task parameters wrapped. */
function remoteFor(call: PlanStepCall, projectDir: string): RemoteStep {
  const remote = call.remote!;
  const sensitive = call.sensitive ?? [];
  let params = remote.params;
  if (remote.action === 'task') {
    params = isPerTarget(params)
      ? { perTarget: Object.fromEntries(Object.entries(params.perTarget).map(([name, p]) => [safeName({ name }), protectTaskParams(p, sensitive)])) }
      : protectTaskParams((params ?? {}) as Record<string, unknown>, sensitive);
  }
  const object = remote.action === 'script' || remote.action === 'upload' ? projectRelative(remote.object, projectDir) : remote.object;
  return { ...remote, object, params };
}

let batchStepIds = 3_000_000;

/** When the controller warns about batches no worker has taken (first after `firstMs`, then every `everyMs`). */
export interface WaitWarnings {
  firstMs: number;
  everyMs: number;
  /** The database URL as the hint to start a worker shows it (without its password). */
  databaseHint: string;
  /** How often the running batches' results are read (live `target_finish` events). */
  liveMs: number;
  /** The system database URL: workers' live output of streaming steps arrives on it (LISTEN); without it, none does. */
  databaseUrl?: string | undefined;
}

export const DEFAULT_WAIT_WARNINGS: Omit<WaitWarnings, 'databaseHint'> = { firstMs: 15_000, everyMs: 60_000, liveMs: 1_000 };

interface Waiting {
  step: number;
  index: number;
  of: number;
  description: string;
  count: number;
  enqueuedAt: number;
}

/**
 * Watches a run's enqueued batches: while one is still `ENQUEUED` (no worker took it) after
 * `firstMs`, a `warn` log event names the oldest (batch, step, what, how long) and says how to
 * start a worker; again every `everyMs` while it waits.
 */
class WaitWatch {
  readonly #waiting = new Map<string, Waiting>();
  #timer: NodeJS.Timeout | undefined;
  #lastWarning = 0;

  constructor(
    private readonly client: DBOSClient,
    private readonly runtime: Runtime,
    private readonly options: WaitWarnings,
  ) {}

  add(id: string, batch: Waiting): void {
    this.#waiting.set(id, batch);
    this.#schedule();
  }

  done(id: string): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#waiting.size === 0) return;
    this.#timer = setTimeout(() => void this.#check().finally(() => ((this.#timer = undefined), this.#schedule())), Math.min(this.options.firstMs, this.options.everyMs));
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    const now = performance.now();
    if (this.#lastWarning !== 0 && now - this.#lastWarning < this.options.everyMs) return;
    const old = [...this.#waiting].filter(([, b]) => now - b.enqueuedAt >= this.options.firstMs);
    if (old.length === 0) return;
    try {
      const statuses = await this.client.listWorkflows({ workflowIDs: old.map(([id]) => id), loadInput: false, loadOutput: false });
      const queued = statuses.filter((s) => s.status === 'ENQUEUED' && this.#waiting.has(s.workflowID)).map((s) => this.#waiting.get(s.workflowID)!);
      if (queued.length === 0) return;
      const running = await this.client.listWorkflows({ queueName: WORKER_QUEUE, status: 'PENDING', limit: 1, loadInput: false, loadOutput: false });
      const oldest = queued.sort((a, b) => a.enqueuedAt - b.enqueuedAt)[0]!;
      const more = queued.length > 1 ? ` (and ${queued.length - 1} more batch${queued.length > 2 ? 'es' : ''} of this run)` : '';
      const why =
        running.length > 0
          ? 'Workers are running other batches: the queue\'s limits (rivet worker --global-concurrency, --worker-concurrency, --rate-limit) may hold it, or more workers are needed'
          : 'No worker is running any batch of the rivet-workers queue';
      this.runtime.events.log(
        'warn',
        `Batch ${oldest.index} of ${oldest.of} of step ${oldest.step} (${oldest.description}, ${oldest.count} target${oldest.count === 1 ? '' : 's'}) has been queued for ${Math.round((now - oldest.enqueuedAt) / 1000)} s and no worker has taken it${more}. ${why}; start one in the project directory with: rivet worker --id NAME --durable ${this.options.databaseHint}`,
      );
      this.#lastWarning = now;
    } catch (error) {
      this.runtime.events.log('debug', `Could not check the run's queued batches: ${redactUrl(error instanceof Error ? error.message : String(error))}`);
    }
  }
}

/** One recorded step of a workflow, as DBOS's client lists them. */
type StepInfo = NonNullable<Awaited<ReturnType<DBOSClient['listWorkflowSteps']>>>[number];

/**
 * Reads the results of running batches live: every `intervalMs`, the steps (one per target) that
 * the running batches of a run recorded so far, so the controller reports each target's finish as
 * it happens on the worker rather than when the whole batch ends.
 */
class LiveResults {
  readonly #batches = new Map<string, (steps: readonly StepInfo[]) => void>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: DBOSClient,
    private readonly runtime: Runtime,
    private readonly intervalMs: number,
    /** Settles once the live output sent before now was emitted (so a target's output comes before its result). */
    private readonly outputSynced: () => Promise<void>,
  ) {}

  watch(id: string, onSteps: (steps: readonly StepInfo[]) => void): void {
    this.#batches.set(id, onSteps);
    this.#schedule();
  }

  unwatch(id: string): void {
    this.#batches.delete(id);
    if (this.#batches.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#batches.size === 0) return;
    this.#timer = setTimeout(() => void this.#poll().finally(() => ((this.#timer = undefined), this.#schedule())), this.intervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      // Only the batches a worker is running have new results: one query for which, one per running batch.
      const running = await this.client.listWorkflows({ workflowIDs: [...this.#batches.keys()], status: 'PENDING', loadInput: false, loadOutput: false });
      const recorded: [string, StepInfo[]][] = [];
      for (const batch of running) recorded.push([batch.workflowID, (await this.client.listWorkflowSteps(batch.workflowID)) ?? []]);
      if (recorded.length > 0) await this.outputSynced();
      for (const [id, steps] of recorded) this.#batches.get(id)?.(steps);
    } catch (error) {
      this.runtime.events.log('debug', `Could not read the running batches' results: ${redactUrl(error instanceof Error ? error.message : String(error))}`);
    }
  }
}

/**
 * The controller's side: enqueues each batch as a `rivet.batch` workflow (its id is the run id,
 * the step and a hash of its targets' password-free names, so a resumed controller finds the same
 * batch again) and settles each target's result when the batch finishes, emitting the step's
 * events then. Batches no worker takes are reported (see {@link WaitWatch}).
 */
export function workerDispatch(client: DBOSClient, runId: string, runtime: Runtime, warnings: WaitWarnings): BatchDispatch {
  const watch = new WaitWatch(client, runtime, warnings);
  const log = (text: string) => runtime.events.log('debug', text);
  const output = warnings.databaseUrl === undefined ? undefined : new OutputListener(warnings.databaseUrl, log);
  const synced = () => output?.sync() ?? Promise.resolve();
  const live = new LiveResults(client, runtime, warnings.liveMs, synced);
  return (step, call, batch, position) => {
    const keys = batch.map(targetKey);
    const workflowID = `${runId}.${step}.${createHash('sha256').update(keys.join('\0')).digest('hex').slice(0, 16)}`;
    const targets = batch.map((t, i) => (keys[i] === t.name ? t.name : new Sensitive(t.name)));
    const input: BatchInput = { runId, step, action: call.action, object: call.object, targets, remote: remoteFor(call, runtime.projectDir) };
    const stepId = batchStepIds++;
    const description = `${call.action} ${call.object ?? ''} on workers`.replace('  ', ' ');
    const events = runtime.events;
    events.emit({ type: 'step_start', stepId, action: call.action, object: call.object, description, targets: keys });
    for (const target of keys) events.emit({ type: 'target_start', stepId, target });
    watch.add(workflowID, { step, index: position.index, of: position.of, description: `${call.action} ${call.object ?? ''}`.trim(), count: batch.length, enqueuedAt: performance.now() });
    // A streaming step's live output: listening before the batch is enqueued, so none is missed.
    const known = new Set(keys);
    const listening =
      output !== undefined && input.remote.options.stream === true
        ? output.subscribe(runId, workflowID, (key, stream, text) => {
            if (known.has(key)) events.emit({ type: 'target_output', stepId, target: key, stream, text });
          })
        : Promise.resolve(async () => {});
    const whole = listening
      .then(() => client.enqueue({ queueName: WORKER_QUEUE, workflowName: BATCH_WORKFLOW, workflowID, appVersion: WORKER_APP_VERSION, applicationName: APP }, input))
      .then((handle) => handle.getResult() as Promise<Record<string, StoredResult>>)
      // The output the worker sent before it recorded the batch's results is emitted before them.
      .then(async (all) => (await synced(), all))
      .finally(() => {
        watch.done(workflowID);
        void listening.then((stop) => stop());
      });
    const started = performance.now();
    const results = new Map<string, Promise<StoredResult>>();
    const settle = new Map<string, { resolve(r: StoredResult): void; reject(e: unknown): void }>();
    for (const [i, target] of batch.entries()) {
      const result = new Promise<StoredResult>((resolve, reject) => settle.set(keys[i]!, { resolve, reject }));
      result.catch(() => {}); // awaited by the target's DBOS step
      results.set(target.name, result);
    }
    // Each target's result as soon as the worker records it (read live from the batch's steps), else when the batch ends.
    let failures = 0;
    const finish = (key: string, r: StoredResult): void => {
      const pending = settle.get(key);
      if (pending === undefined) return;
      settle.delete(key);
      pending.resolve(r);
      if (r.value['_error'] !== undefined) failures++;
      const target = batch[keys.indexOf(key)]!;
      const result = new Result({ target, action: r.action as Result['action'], object: r.object, value: r.value, durationMs: r.durationMs });
      events.emit({ type: 'target_finish', stepId, target: key, durationMs: r.durationMs, result: result.toJSON() });
    };
    live.watch(workflowID, (recorded) => {
      for (const s of recorded) {
        const parsed = parseStepName(s.name);
        if (s.error === null && parsed?.step === step && s.output !== null && typeof s.output === 'object') finish(parsed.target, s.output as StoredResult);
      }
    });
    whole.then(
      (all) => {
        live.unwatch(workflowID);
        for (const key of keys) if (all[key] !== undefined) finish(key, all[key]);
        for (const [key, pending] of settle) pending.reject(new RivetError('rivet/durable-batch', `The batch ${workflowID} returned no result for ${key}`, { target: key }));
        settle.clear();
        events.emit({ type: 'step_finish', stepId, action: call.action, object: call.object, description, durationMs: performance.now() - started, failures, count: keys.length });
      },
      (error: unknown) => {
        live.unwatch(workflowID);
        for (const pending of settle.values()) pending.reject(error);
        settle.clear();
      },
    );
    return results;
  };
}

/** A running worker: {@link close} stops taking batches and shuts DBOS down. */
export interface Worker {
  readonly executorId: string;
  /**
   * Stops taking batches and shuts DBOS down, within `timeoutMs` (default 30 s): past it, or
   * when the database fails, the outcome says why and the caller exits anyway (the batches in
   * flight continue when a worker with the same ID starts).
   */
  close(timeoutMs?: number): Promise<StopOutcome>;
}

/**
 * Starts a worker in this process: DBOS launches with `executorId` (continuing the batches that
 * executor ID had when it died) and takes batches from the `rivet-workers` queue. `queue` sets
 * the queue's limits in Postgres (for every worker); limits left out keep their stored values.
 */
export async function openWorker(options: {
  url: string;
  /** Where `url` came from, named in errors. */
  urlSource?: string | undefined;
  runtime: Runtime;
  executorId: string;
  serializer: DurableSerializer;
  logger: { info(e: unknown): void; debug(e: unknown): void; warn(e: unknown): void; error(e: unknown): void };
  queue?: WorkerQueueLimits | undefined;
}): Promise<Worker> {
  if (DBOS.isInitialized()) throw new UsageError('DBOS is already running in this process (one worker or controller per process)');
  await assertReachable(options.url, options.urlSource);
  DBOS.setConfig({
    name: APP,
    systemDatabaseUrl: systemDatabaseUrl(options.url),
    applicationVersion: WORKER_APP_VERSION,
    executorID: options.executorId,
    serializer: options.serializer,
    logger: options.logger,
    listenQueues: [WORKER_QUEUE],
    systemDatabasePoolSize: 10,
  });
  let client: DBOSClient;
  try {
    client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(options.url), serializer: options.serializer, applicationName: APP });
  } catch (error) {
    throw databaseError('Cannot start the worker on the durable run database', error, options.url, options.urlSource);
  }
  const notifier = new Notifier(systemDatabaseUrl(options.url), (text) => options.runtime.events.log('debug', text));
  worker = { runtime: options.runtime, client, notifier };
  try {
    await DBOS.launch();
    const queue = await DBOS.registerQueue(WORKER_QUEUE, { onConflict: 'never_update', minPollingIntervalMs: 200 });
    const limits = options.queue ?? {};
    if (limits.globalConcurrency !== undefined) await queue.setGlobalConcurrency(limits.globalConcurrency);
    if (limits.workerConcurrency !== undefined) await queue.setWorkerConcurrency(limits.workerConcurrency);
    if (limits.rateLimit !== undefined) await queue.setRateLimit(limits.rateLimit);
  } catch (error) {
    worker = undefined;
    await stopWithin(DEFAULT_STOP_TIMEOUT_MS, [() => DBOS.shutdown(), () => client.destroy(), () => notifier.close()]);
    throw databaseError('Cannot start the worker on the durable run database', error, options.url, options.urlSource);
  }
  return {
    executorId: options.executorId,
    async close(timeoutMs = DEFAULT_STOP_TIMEOUT_MS) {
      const outcome = await stopWithin(timeoutMs, [() => DBOS.shutdown(), () => client.destroy(), () => notifier.close()]);
      worker = undefined;
      return outcome;
    },
  };
}
