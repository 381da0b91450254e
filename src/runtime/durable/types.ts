/**
 * The public types of durable runs (see `engine.ts` and docs/durable.md). This file loads nothing:
 * applications and the runtime's index refer to these types without loading DBOS.
 *
 * @module
 */
import type { PlanRunner } from '../plans/run.ts';
import type { AnyPlan } from '../../sdk/plan.ts';

export interface DurableOptions {
  /** Postgres URL of DBOS's system database (created when missing). */
  url: string;
  /** Where `url` came from, named in errors (e.g. `--durable`, `RIVET_DURABLE_URL`). */
  urlSource?: string | undefined;
  /** Encrypts `Sensitive` values in the database (default `RIVET_DURABLE_KEY`); without it they are left out. */
  key?: string | undefined;
  /** Targets per batch when a step runs (default 500; with `workers`, 100). */
  batchSize?: number | undefined;
}

export interface OpenDurableOptions extends DurableOptions {
  /** Runs the plans (its runtime: project, inventory, connections, events). */
  runner: PlanRunner;
  /**
   * This process's stable DBOS executor ID. At start, this process continues the unfinished runs
   * this executor ID had: a restarted process with the same ID resumes its runs on its own. It
   * also names the process's own queue (`rivet-controller:<executorId>`), where the runs it
   * resumes or retries wait for it, so no other controller on the database takes them. One live
   * process per executor ID: while durable runs are open the process holds a Postgres lock on it,
   * and opening with an executor ID another live process holds fails with
   * `rivet/durable-executor-busy`.
   */
  executorId: string;
  /**
   * Run the plan's steps on `rivet worker` processes: each step's targets are enqueued in
   * batches of `batchSize` on the `rivet-workers` queue instead of running in this process.
   */
  workers?: boolean | undefined;
  /**
   * With `workers`: a batch still queued (no worker took it) after `firstMs` (default 15 000) is
   * reported as a `warn` log event, naming it and how to start a worker; again every `everyMs`
   * (default 60 000) while batches wait.
   */
  waitWarnings?: { firstMs?: number; everyMs?: number } | undefined;
  /** Bound of {@link DurableRunsApi.close} in milliseconds (default 30 000). */
  closeTimeoutMs?: number | undefined;
}

/** A run as `rivet plan runs` lists it. */
export interface DurableRunInfo {
  runId: string;
  plan: string;
  /** DBOS's status: PENDING (running, or its controller died), SUCCESS, ERROR, CANCELLED, ENQUEUED, ... */
  status: string;
  createdAt: string;
  updatedAt: string | null;
  executorId: string | null;
  forkedFrom: string | null;
}

/** One plan step of a run, as `rivet plan show-run` shows it. */
export interface DurableStepInfo {
  step: number;
  action: string;
  object: string | null;
  results: { target: string; status: 'success' | 'failure'; value: unknown }[];
}

/** Durable runs of one process (see {@link openDurable} in `index.ts`). */
export interface DurableRunsApi {
  /** Starts a run; `result` settles when the plan finishes (or fails). */
  start(plan: AnyPlan | string, params: Readonly<Record<string, unknown>>, options?: { runId?: string; runAs?: string; name?: string }): Promise<{ runId: string; result: Promise<unknown> }>;
  /** Continues a run in this process; settles with the plan's result. A run whose controller is alive is refused (`rivet/durable-executor-busy`). */
  resume(runId: string): Promise<unknown>;
  /** Runs a run again from plan step `fromStep` (1-based) as a new run, in this process. */
  retry(runId: string, fromStep: number, newRunId?: string): Promise<{ runId: string; result: Promise<unknown> }>;
  /** Runs in the database, newest first. */
  list(limit?: number): Promise<DurableRunInfo[]>;
  /** A run's status and each step's per-target results. */
  show(runId: string): Promise<{ run: DurableRunInfo; steps: DurableStepInfo[] }>;
  /**
   * Shuts DBOS down (after the runs this process started have settled), within `closeTimeoutMs`:
   * true when it closed cleanly; false (and a `warn` log event) when the database did not answer in
   * time or failed.
   */
  close(): Promise<boolean>;
}
