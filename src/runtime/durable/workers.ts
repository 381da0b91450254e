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
import type { Target } from '../../core/target.ts';
import { redactUriPasswords } from '../../core/uri-passwords.ts';
import type { Runtime } from '../runtime.ts';
import { isPerTarget, projectRelative, type PlanStepCall, type RemoteStep } from '../plans/step-hook.ts';
import { APP, APP_VERSION, BATCH_WORKFLOW, WORKER_QUEUE } from './app.ts';
import { DurableStepHook, parseStepName, type BatchDispatch, type StoredResult } from './hook.ts';
import type { DurableSerializer } from './serializer.ts';
import { systemDatabaseUrl } from './system-db-url.ts';

/** What a `rivet.batch` workflow is called with (stored in Postgres; secrets are `Sensitive`, so encrypted). */
export interface BatchInput {
  runId: string;
  step: number;
  action: PlanStepCall['action'];
  object: string | null;
  targets: string[];
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

let worker: { runtime: Runtime; client: DBOSClient } | undefined;

const PARAMS_ERROR = '$rivetParamsError';

async function batchWorkflowBody(input: BatchInput): Promise<Record<string, StoredResult>> {
  if (worker === undefined) throw new RivetError('rivet/durable-no-worker', 'A batch of a durable run started in a process that is not a rivet worker');
  const { runtime, client } = worker;
  const id = DBOS.workflowID!;
  // A batch recovered after its worker died: targets with a recorded result do not run again.
  // Read through the client, outside the journal (DBOS.listWorkflowSteps would be a step whose first answer is replayed).
  const recorded = new Set(((await client.listWorkflowSteps(id)) ?? []).filter((s) => s.error === null && parseStepName(s.name) !== undefined).map((s) => s.name));
  const targets = input.targets.map((name) => {
    const found = runtime.getTargets(name);
    if (found.length !== 1) throw new UsageError(`Target '${name}' of durable run ${input.runId} is not one target in this worker's inventory`);
    return found[0]!;
  });
  const hook = new DurableStepHook(runtime, recorded, Math.max(1, targets.length), { firstStep: input.step });
  const call: PlanStepCall = { action: input.action, object: input.object, targets, params: null, options: {}, location: undefined };
  const set = await hook.step(call, (only) => runRemote(runtime, input.remote, only ?? targets));
  return Object.fromEntries(set.results.map((r) => [r.target.name, { action: r.action, object: r.object, value: r.value, durationMs: r.durationMs }]));
}

DBOS.registerWorkflow(batchWorkflowBody, { name: BATCH_WORKFLOW });

function plain(value: unknown): unknown {
  return value instanceof Sensitive ? value.unwrap() : value;
}

/** Runs a step described by {@link RemoteStep} on `targets` (in a worker, with its own project). */
export function runRemote(runtime: Runtime, remote: RemoteStep, targets: readonly Target[]): Promise<ResultSet> {
  const o = remote.options;
  const env = o.env === undefined ? undefined : Object.fromEntries(Object.entries(o.env).map(([k, v]) => [k, String(plain(v))]));
  const common = { runAs: o.runAs, timeoutMs: o.timeoutMs, description: o.description };
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
          const value = params.perTarget[target.name] as Record<string, unknown> | undefined;
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
      ? { perTarget: Object.fromEntries(Object.entries(params.perTarget).map(([name, p]) => [name, protectTaskParams(p, sensitive)])) }
      : protectTaskParams((params ?? {}) as Record<string, unknown>, sensitive);
  }
  const object = remote.action === 'script' || remote.action === 'upload' ? projectRelative(remote.object, projectDir) : remote.object;
  return { ...remote, object, params };
}

let batchStepIds = 3_000_000;

/**
 * The controller's side: enqueues each batch as a `rivet.batch` workflow (its id is the run id,
 * the step and a hash of its targets, so a resumed controller finds the same batch again) and
 * settles each target's result when the batch finishes, emitting the step's events then.
 */
export function workerDispatch(client: DBOSClient, runId: string, runtime: Runtime): BatchDispatch {
  return (step, call, batch) => {
    const names = batch.map((t) => t.name);
    const workflowID = `${runId}.${step}.${createHash('sha256').update(names.join('\0')).digest('hex').slice(0, 16)}`;
    const input: BatchInput = { runId, step, action: call.action, object: call.object, targets: names, remote: remoteFor(call, runtime.projectDir) };
    const stepId = batchStepIds++;
    const description = `${call.action} ${call.object ?? ''} on workers`.replace('  ', ' ');
    const events = runtime.events;
    events.emit({ type: 'step_start', stepId, action: call.action, object: call.object, description, targets: names });
    for (const target of names) events.emit({ type: 'target_start', stepId, target });
    const whole = client
      .enqueue({ queueName: WORKER_QUEUE, workflowName: BATCH_WORKFLOW, workflowID, appVersion: APP_VERSION, applicationName: APP }, input)
      .then((handle) => handle.getResult() as Promise<Record<string, StoredResult>>);
    const started = performance.now();
    const results = new Map<string, Promise<StoredResult>>();
    for (const name of names) {
      const result = whole.then((all) => {
        const r = all[name];
        if (r === undefined) throw new RivetError('rivet/durable-batch', `The batch ${workflowID} returned no result for ${name}`, { target: name });
        return r;
      });
      result.catch(() => {}); // awaited by the target's DBOS step
      results.set(name, result);
    }
    whole.then(
      (all) => {
        let failures = 0;
        for (const target of batch) {
          const r = all[target.name];
          if (r === undefined) continue;
          if (r.value['_error'] !== undefined) failures++;
          const result = new Result({ target, action: r.action as Result['action'], object: r.object, value: r.value, durationMs: r.durationMs });
          events.emit({ type: 'target_finish', stepId, target: target.name, durationMs: r.durationMs, result: result.toJSON() });
        }
        events.emit({ type: 'step_finish', stepId, action: call.action, object: call.object, description, durationMs: performance.now() - started, failures, count: names.length });
      },
      () => {},
    );
    return results;
  };
}

/** A running worker: {@link close} stops taking batches and shuts DBOS down. */
export interface Worker {
  readonly executorId: string;
  close(): Promise<void>;
}

/**
 * Starts a worker in this process: DBOS launches with `executorId` (continuing the batches that
 * executor ID had when it died) and takes batches from the `rivet-workers` queue. `queue` sets
 * the queue's limits in Postgres (for every worker); limits left out keep their stored values.
 */
export async function openWorker(options: {
  url: string;
  runtime: Runtime;
  executorId: string;
  serializer: DurableSerializer;
  logger: { info(e: unknown): void; debug(e: unknown): void; warn(e: unknown): void; error(e: unknown): void };
  queue?: WorkerQueueLimits | undefined;
}): Promise<Worker> {
  if (DBOS.isInitialized()) throw new UsageError('DBOS is already running in this process (one worker or controller per process)');
  DBOS.setConfig({
    name: APP,
    systemDatabaseUrl: systemDatabaseUrl(options.url),
    applicationVersion: APP_VERSION,
    executorID: options.executorId,
    serializer: options.serializer,
    logger: options.logger,
    listenQueues: [WORKER_QUEUE],
    systemDatabasePoolSize: 10,
  });
  const client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(options.url), serializer: options.serializer, applicationName: APP });
  worker = { runtime: options.runtime, client };
  try {
    await DBOS.launch();
    const queue = await DBOS.registerQueue(WORKER_QUEUE, { onConflict: 'never_update', minPollingIntervalMs: 200 });
    const limits = options.queue ?? {};
    if (limits.globalConcurrency !== undefined) await queue.setGlobalConcurrency(limits.globalConcurrency);
    if (limits.workerConcurrency !== undefined) await queue.setWorkerConcurrency(limits.workerConcurrency);
    if (limits.rateLimit !== undefined) await queue.setRateLimit(limits.rateLimit);
  } catch (error) {
    worker = undefined;
    await DBOS.shutdown().catch(() => {});
    await client.destroy();
    throw new RivetError('rivet/durable-unavailable', `Cannot start the worker: ${redactUriPasswords(String((error as Error).message))}`);
  }
  return {
    executorId: options.executorId,
    async close() {
      await DBOS.shutdown();
      await client.destroy();
      worker = undefined;
    },
  };
}
