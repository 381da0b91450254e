/**
 * Durable plan runs on DBOS Transact (`@dbos-inc/dbos-sdk`): the plan runs as the DBOS workflow
 * `rivet.plan`, each of its steps is journalled per target in Postgres (see `hook.ts`), and a run
 * that was interrupted continues where it stopped. This module is loaded only by durable runs
 * (`rivet plan run --durable`, `rivet plan resume`, {@link openDurable}), so DBOS is never loaded
 * otherwise.
 *
 * DBOS is one per process: open one {@link DurableRuns} per process, and close it.
 *
 * @example
 * ```ts
 * const durable = await openDurable({ url: 'postgres://rivet@db/rivet', runner, executorId: 'deployer-1' });
 * const { runId, result } = await durable.start('site::deploy', { targets: 'web' });
 * console.log(runId, await result);
 * await durable.close();
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { DBOS, DBOSClient } from '@dbos-inc/dbos-sdk';
import { ErrorKind, RivetError, UsageError } from '../../core/errors.ts';
import { Sensitive } from '../../core/result.ts';
import { normalizeParams } from '../plans/params.ts';
import type { PlanRunner } from '../plans/run.ts';
import { isPlan, type AnyPlan } from '../../sdk/plan.ts';
import { DurableStepHook, parseStepName, type StoredResult } from './hook.ts';
import { assertSecretsAvailable, durableSerializer, type DurableSerializer } from './serializer.ts';
import type { DurableOptions, DurableRunInfo, DurableRunsApi, DurableStepInfo, OpenDurableOptions } from './types.ts';
import { APP, APP_VERSION, controllerQueue, PLAN_WORKFLOW } from './app.ts';
import { DEFAULT_WAIT_WARNINGS, workerDispatch, type WaitWarnings } from './workers.ts';
import { systemDatabaseUrl } from './system-db-url.ts';
import { DEFAULT_STOP_TIMEOUT_MS, stopWithin } from './stop.ts';
import { assertReachable, databaseError, redactUrl } from './database-errors.ts';
import { EXECUTOR_BUSY, ExecutorLock } from './executor-lock.ts';
import { safeName } from '../../core/target.ts';
import { redactUriPasswords, scrubStrings } from '../../core/uri-passwords.ts';

export type { DurableOptions, DurableRunInfo, DurableStepInfo, OpenDurableOptions } from './types.ts';

const WORKFLOW = PLAN_WORKFLOW;

/** What the `rivet.plan` workflow is called with (stored in Postgres, secrets encrypted). */
export interface PlanRunInput {
  plan: string;
  params: Record<string, unknown>;
  /**
   * Parameters stored as `Sensitive` (encrypted) only because they hold a URI password
   * (`targets=ssh://root:pw@web1`): the plan gets them back as they were given.
   */
  uriSecrets?: string[] | undefined;
  runAs?: string | undefined;
}

let environment: { runner: PlanRunner; client: DBOSClient; batchSize: number; workers: boolean; warnings: WaitWarnings } | undefined;

async function planWorkflowBody(input: PlanRunInput): Promise<unknown> {
  if (environment === undefined) throw new RivetError(ErrorKind.Usage, 'A durable run started before openDurable() set up its runtime');
  const { runner, client, batchSize, workers } = environment;
  const runId = DBOS.workflowID!;
  // Which targets of which steps already have a result (read outside DBOS's journal on purpose).
  const steps = (await client.listWorkflowSteps(runId)) ?? [];
  const recorded = new Set(steps.filter((s) => s.error === null && parseStepName(s.name) !== undefined).map((s) => s.name));
  const dispatch = workers ? workerDispatch(client, runId, runner.runtime, environment.warnings) : undefined;
  const hook = new DurableStepHook(runner.runtime, recorded, batchSize, { dispatch });
  // Sensitive parameters are stored encrypted; the plan's parameter checks want them plain (and wrap them again).
  assertSecretsAvailable(input.params);
  const { plan } = await runner.load(input.plan);
  const sensitive = new Set([...normalizeParams(plan.params).filter((p) => p.sensitive).map((p) => p.name), ...(input.uriSecrets ?? [])]);
  const params = Object.fromEntries(Object.entries(input.params).map(([k, v]) => [k, sensitive.has(k) && v instanceof Sensitive ? v.unwrap() : v]));
  return runner.run(plan, params, { name: input.plan, stepHook: hook, runAs: input.runAs });
}

const planWorkflow = DBOS.registerWorkflow(planWorkflowBody, { name: WORKFLOW });

export function eventLogger(runner: PlanRunner): { info(e: unknown): void; debug(e: unknown): void; warn(e: unknown): void; error(e: unknown): void } {
  const log = (entry: unknown) => runner.runtime.events.log('debug', `DBOS: ${entry instanceof Error ? entry.message : String(entry)}`);
  return { info: log, debug: log, warn: log, error: log };
}

/** A fresh run id: `r` + UTC time + 8 random hex digits (`r20261201T143000-1a2b3c4d`). */
export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
  return `r${stamp}-${randomBytes(4).toString('hex')}`;
}

/** The executor ID the CLI gives the controller of one run (so `plan resume` recovers exactly it). */
export function runExecutorId(runId: string): string {
  return `rivet-controller-${runId}`;
}

/**
 * `params` with every parameter the plan declares sensitive, and every one holding a URI password
 * (`ssh://root:pw@web1`, `root:pw@web1`, as in `targets`), wrapped in `Sensitive` (so encrypted);
 * `uriSecrets` names the latter.
 */
function protectParams(plan: AnyPlan | undefined, params: Readonly<Record<string, unknown>>): { params: Record<string, unknown>; uriSecrets: string[] } {
  const out = { ...params };
  const declared = new Set(plan === undefined ? [] : normalizeParams(plan.params).filter((p) => p.sensitive).map((p) => p.name));
  const uriSecrets: string[] = [];
  for (const [name, value] of Object.entries(out)) {
    if (value === undefined || value instanceof Sensitive) continue;
    if (declared.has(name)) out[name] = new Sensitive(value);
    else if (holdsUriPassword(value)) {
      out[name] = new Sensitive(value);
      uriSecrets.push(name);
    }
  }
  return { params: out, uriSecrets };
}

/** True when a string in `value` (at any depth) holds a URI password: `scheme://user:pw@` or a `user:pw@host` target name. */
export function holdsUriPassword(value: unknown): boolean {
  let found = false;
  scrubStrings(value, (text) => {
    if (!found && text.includes('@')) found = redactUriPasswords(text) !== text || text.split(/[\s,]+/).some((part) => part !== '' && safeName({ name: part }) !== part);
    return text;
  });
  return found;
}

export function serializerFor(options: DurableOptions): DurableSerializer {
  return durableSerializer(options.key ?? process.env['RIVET_DURABLE_KEY']);
}

/** How often a controller looks at its own queue for a run it resumed, retried or recovered. */
const CONTROLLER_QUEUE_POLL_MS = 500;

/**
 * Puts this executor's unfinished plan runs (`PENDING`: it died running them) on its own queue
 * before DBOS launches. DBOS's launch would put them on its internal queue, which every
 * controller of the same version takes from; on `queue` only this process takes them (once it
 * registers the queue, after the launch). A database whose DBOS tables do not exist yet (DBOS
 * creates them at launch) has no runs to claim.
 */
async function claimOwnRuns(client: DBOSClient, executorId: string, queue: string): Promise<void> {
  let own: { workflowID: string }[];
  try {
    own = await client.listWorkflows({ workflowName: WORKFLOW, status: 'PENDING', executorId, applicationVersion: APP_VERSION, loadInput: false, loadOutput: false });
  } catch (error) {
    if (lacksDbosTables(error)) return;
    throw error;
  }
  if (own.length > 0) await client.resumeWorkflows(own.map((run) => run.workflowID), { queueName: queue });
}

/** Postgres said the DBOS schema or table is missing (`3F000`, `42P01`): a database DBOS has not set up yet. */
function lacksDbosTables(error: unknown): boolean {
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === '3F000' || code === '42P01') return true;
  }
  return false;
}

/** Runs, lists and resumes durable runs from one process (the CLI's controller, or an app). */
export class DurableRuns implements DurableRunsApi {
  readonly #client: DBOSClient;
  readonly #runner: PlanRunner;
  readonly #closeTimeoutMs: number;
  /** This process's own queue ({@link controllerQueue}): the runs it resumes or retries go there. */
  readonly #queue: string;
  /** This process's lock on its executor ID, held until {@link close}. */
  readonly #lock: ExecutorLock;

  private constructor(client: DBOSClient, runner: PlanRunner, closeTimeoutMs: number, queue: string, lock: ExecutorLock) {
    this.#client = client;
    this.#runner = runner;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.#queue = queue;
    this.#lock = lock;
  }

  /** @internal Use {@link openDurable}. */
  static async open(options: OpenDurableOptions): Promise<DurableRuns> {
    if (DBOS.isInitialized()) throw new UsageError('Durable runs are already open in this process (DBOS runs once per process)');
    await assertReachable(options.url, options.urlSource);
    const serializer = serializerFor(options);
    const queue = controllerQueue(options.executorId);
    // First of all (before any run is moved or DBOS recovers anything): one live process per executor ID.
    let lock: ExecutorLock;
    try {
      const log = options.runner.runtime.events;
      lock = await ExecutorLock.acquire(
        systemDatabaseUrl(options.url),
        options.executorId,
        (reason) =>
          log.log(
            'warn',
            `The durable run database connection holding executor ${options.executorId}'s lock was lost (${reason}): until this process takes the lock again (it tries every 2 s), another controller may take over its runs (rivet plan resume)`,
          ),
        () => log.log('warn', `This process holds executor ${options.executorId}'s lock again`),
      );
    } catch (error) {
      if (error instanceof RivetError && error.kind === EXECUTOR_BUSY) throw error;
      throw databaseError('Cannot open the durable run database', error, options.url, options.urlSource);
    }
    DBOS.setConfig({
      name: APP,
      systemDatabaseUrl: systemDatabaseUrl(options.url),
      applicationVersion: APP_VERSION,
      executorID: options.executorId,
      serializer,
      // DBOS's own log (it logs every failed workflow, which Rivet reports itself) goes to the run's debug log.
      logger: eventLogger(options.runner),
      systemDatabasePoolSize: 10,
      // Only this controller's own queue: never the workers' batches, nor another controller's runs.
      listenQueues: [queue],
    });
    let client: DBOSClient;
    try {
      client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(options.url), serializer, applicationName: APP });
    } catch (error) {
      await lock.close().catch(() => {});
      throw databaseError('Cannot open the durable run database', error, options.url, options.urlSource);
    }
    environment = {
      runner: options.runner,
      client,
      batchSize: options.batchSize ?? (options.workers === true ? 100 : 500),
      workers: options.workers === true,
      warnings: {
        firstMs: options.waitWarnings?.firstMs ?? DEFAULT_WAIT_WARNINGS.firstMs,
        everyMs: options.waitWarnings?.everyMs ?? DEFAULT_WAIT_WARNINGS.everyMs,
        liveMs: DEFAULT_WAIT_WARNINGS.liveMs,
        databaseHint: redactUrl(options.url, options.url),
        databaseUrl: systemDatabaseUrl(options.url),
      },
    };
    try {
      await claimOwnRuns(client, options.executorId, queue);
      await DBOS.launch();
      // DBOS's queue dispatcher finds the queue's row within a second (it rereads the table every second).
      await DBOS.registerQueue(queue, { onConflict: 'never_update', minPollingIntervalMs: CONTROLLER_QUEUE_POLL_MS });
    } catch (error) {
      environment = undefined;
      await stopWithin(options.closeTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, [() => DBOS.shutdown(), () => client.destroy(), () => lock.close()]);
      throw databaseError('Cannot open the durable run database', error, options.url, options.urlSource);
    }
    return new DurableRuns(client, options.runner, options.closeTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, queue, lock);
  }

  /** Starts a run; `result` settles when the plan finishes (or fails). */
  async start(plan: AnyPlan | string, params: Readonly<Record<string, unknown>>, options: { runId?: string; runAs?: string; name?: string } = {}): Promise<{ runId: string; result: Promise<unknown> }> {
    const runId = options.runId ?? newRunId();
    const loaded = isPlan(plan) ? plan : (await this.#runner.load(plan)).plan;
    const name = typeof plan === 'string' ? plan : (options.name ?? this.#runner.list().find((e) => e.file === loaded.file)?.name);
    if (name === undefined) throw new UsageError('A durable run needs a plan from the project (a name, or a plan object found in the project)');
    const { params: stored, uriSecrets } = protectParams(loaded, params);
    const input: PlanRunInput = { plan: name, params: stored, ...(uriSecrets.length > 0 ? { uriSecrets } : {}), runAs: options.runAs };
    const handle = await DBOS.startWorkflow(planWorkflow, { workflowID: runId })(input);
    return { runId, result: handle.getResult() };
  }

  /**
   * Continues a run in this process (it runs what is left); settles with the plan's result. The
   * run goes on this process's own queue, so no other controller takes it: a stopped run
   * (`CANCELLED`, too many recovery attempts), another executor's unfinished one (`PENDING`), and
   * one queued for a process that has not started it (`ENQUEUED` elsewhere: its resumer died).
   * A run whose executor is alive (its process holds the executor's lock) is not taken:
   * `rivet/durable-executor-busy`. The status is read and the run moved while this process holds
   * the run's move lock, so of resumers that come at once (any executors) one moves it and the
   * others, once it has, find it on a live executor's queue and are refused; and while the owner's
   * lock is held, so the owner cannot start again meanwhile.
   */
  async resume(runId: string): Promise<unknown> {
    await this.#lock.whileMoving(runId, async () => {
      for (let attempt = 1; ; attempt++) {
        const status = await this.#runStatus(runId);
        if (!takesOver(status, DBOS.executorID, this.#queue)) return;
        const owner = ownerOf(status);
        if (owner === undefined) {
          await DBOS.resumeWorkflow(runId, { queueName: this.#queue });
          return;
        }
        const moved = await this.#lock.whileFree(owner, runId, async () => {
          const now = await this.#runStatus(runId);
          if (now.status !== status.status || ownerOf(now) !== owner) return false;
          await DBOS.resumeWorkflow(runId, { queueName: this.#queue });
          return true;
        });
        if (moved) return;
        // Changed between the two reads (its owner started and stopped again meanwhile): look at it again, a bounded number of times.
        if (attempt === 5) throw new RivetError(EXECUTOR_BUSY, `Run ${runId} keeps moving between controllers; resume it again once it settles`, { details: { runId } });
      }
    });
    return DBOS.retrieveWorkflow(runId).getResult();
  }

  async #runStatus(runId: string): Promise<{ status: string; executorId?: string | undefined; queueName?: string | undefined }> {
    const status = await this.#client.getWorkflow(runId);
    if (status === undefined || status.workflowName !== WORKFLOW) throw new UsageError(`No durable run '${runId}' in this database`);
    return status;
  }

  /** Runs a run again from plan step `fromStep` (1-based) as a new run; steps before it are copied. */
  async retry(runId: string, fromStep: number, newRunId_ = newRunId()): Promise<{ runId: string; result: Promise<unknown> }> {
    const steps = (await this.#client.listWorkflowSteps(runId)) ?? [];
    const first = steps.find((s) => (parseStepName(s.name)?.step ?? 0) >= fromStep);
    const status = await this.#client.getWorkflow(runId);
    if (status === undefined || status.workflowName !== WORKFLOW) throw new UsageError(`No durable run '${runId}' in this database`);
    const startStep = first?.functionID ?? (steps.length === 0 ? 0 : Math.max(...steps.map((s) => s.functionID)) + 1);
    // On this process's own queue: no other controller takes the new run.
    const handle = await DBOS.forkWorkflow(runId, startStep, { newWorkflowID: newRunId_, applicationVersion: APP_VERSION, queueName: this.#queue });
    return { runId: handle.workflowID, result: handle.getResult() };
  }

  /** Runs in this database, newest first. */
  list(limit = 100): Promise<DurableRunInfo[]> {
    return listRuns(this.#client, limit);
  }

  /** A run's status and each step's per-target results. */
  show(runId: string): Promise<{ run: DurableRunInfo; steps: DurableStepInfo[] }> {
    return showRun(this.#client, runId);
  }

  /**
   * Shuts DBOS down within `closeTimeoutMs` (default 30 s). Past it, or when the database fails,
   * a `warn` log event says so and it settles anyway (false): the caller can exit, and a run
   * that had not finished is continued by `resume`.
   */
  async close(): Promise<boolean> {
    // The queue's row goes too (a CLI controller's executor ID, and so its queue, is one run's):
    // a run still queued on it is continued by `resume` from anywhere, or by this executor ID's next start.
    // The executor's lock goes last: until DBOS stopped, this process may still run its runs.
    const outcome = await stopWithin(this.#closeTimeoutMs, [() => DBOS.shutdown(), () => this.#client.deleteQueue(this.#queue), () => this.#client.destroy(), () => this.#lock.close()]);
    environment = undefined;
    if (!outcome.stopped) this.#runner.runtime.events.log('warn', `The durable run database connection did not close cleanly (${outcome.reason}); going on without it`);
    return outcome.stopped;
  }
}

/**
 * Whether `resume` must put the run on `queue` (this process's): unless it finished, or it is this
 * process's already (recovered at open onto `queue`, or running here).
 */
function takesOver(status: { status: string; executorId?: string | undefined; queueName?: string | undefined }, executorId: string, queue: string): boolean {
  switch (status.status) {
    case 'SUCCESS':
    case 'ERROR':
      return false;
    case 'PENDING':
      return status.executorId !== executorId;
    case 'ENQUEUED':
      return status.queueName !== queue;
    default:
      // CANCELLED, MAX_RECOVERY_ATTEMPTS_EXCEEDED.
      return true;
  }
}

/**
 * The executor whose live process would run `status`'s run: the one it is `PENDING` on, or the
 * controller whose queue (`rivet-controller:<id>`) it is `ENQUEUED` on; none for a stopped run.
 */
function ownerOf(status: { status: string; executorId?: string | undefined; queueName?: string | undefined }): string | undefined {
  if (status.status === 'PENDING') return status.executorId;
  const prefix = controllerQueue('');
  if (status.status === 'ENQUEUED' && status.queueName?.startsWith(prefix) === true) return status.queueName.slice(prefix.length);
  return undefined;
}

/**
 * Opens durable runs for this process: launches DBOS on `url` with `executorId`, which also
 * continues this executor ID's unfinished runs.
 */
export function openDurable(options: OpenDurableOptions): Promise<DurableRuns> {
  return DurableRuns.open(options);
}

function info(status: { workflowID: string; input?: unknown[]; status: string; createdAt: number; updatedAt?: number; executorId?: string; forkedFrom?: string }): DurableRunInfo {
  const input = status.input?.[0] as PlanRunInput | undefined;
  return {
    runId: status.workflowID,
    plan: input?.plan ?? '(unknown)',
    status: status.status,
    createdAt: new Date(status.createdAt).toISOString(),
    updatedAt: status.updatedAt === undefined ? null : new Date(status.updatedAt).toISOString(),
    executorId: status.executorId ?? null,
    forkedFrom: status.forkedFrom ?? null,
  };
}

async function listRuns(client: DBOSClient, limit: number): Promise<DurableRunInfo[]> {
  const runs = await client.listWorkflows({ workflowName: WORKFLOW, sortDesc: true, limit });
  return runs.map(info);
}

async function showRun(client: DBOSClient, runId: string): Promise<{ run: DurableRunInfo; steps: DurableStepInfo[] }> {
  const status = await client.getWorkflow(runId);
  if (status === undefined || status.workflowName !== WORKFLOW) throw new UsageError(`No durable run '${runId}' in this database`);
  const steps = new Map<number, DurableStepInfo>();
  for (const s of (await client.listWorkflowSteps(runId)) ?? []) {
    const parsed = parseStepName(s.name);
    if (parsed === undefined || s.error !== null) continue;
    const stored = s.output as StoredResult;
    let entry = steps.get(parsed.step);
    if (entry === undefined) steps.set(parsed.step, (entry = { step: parsed.step, action: parsed.action, object: stored.object, results: [] }));
    entry.results.push({ target: parsed.target, status: stored.value['_error'] === undefined ? 'success' : 'failure', value: stored.value });
  }
  return { run: info(status), steps: [...steps.values()].sort((a, b) => a.step - b.step) };
}

/** Lists and shows runs without launching DBOS (no recovery, no work): `rivet plan runs` / `show-run`. */
export async function withDurableClient<T>(options: DurableOptions, use: (client: { list(limit?: number): Promise<DurableRunInfo[]>; show(runId: string): Promise<{ run: DurableRunInfo; steps: DurableStepInfo[] }> }) => Promise<T>): Promise<T> {
  await assertReachable(options.url, options.urlSource);
  let client: DBOSClient;
  try {
    client = await DBOSClient.create({ systemDatabaseUrl: systemDatabaseUrl(options.url), serializer: serializerFor(options), applicationName: APP });
  } catch (error) {
    throw databaseError('Cannot open the durable run database', error, options.url, options.urlSource);
  }
  try {
    return await use({ list: (limit = 100) => listRuns(client, limit), show: (runId) => showRun(client, runId) });
  } catch (error) {
    // Rivet's own errors (no such run) as they are; the driver's (refused, unknown host, bad password) name the database.
    throw error instanceof RivetError ? error : databaseError('Cannot read the durable run database', error, options.url, options.urlSource);
  } finally {
    await stopWithin(DEFAULT_STOP_TIMEOUT_MS, [() => client.destroy()]);
  }
}
