/**
 * The names every Rivet process shares in DBOS's system database: the application, its version
 * (recovery and queues need them equal), the workflows and the workers' queue.
 *
 * @module
 */
export const APP = 'rivet';
export const APP_VERSION = 'rivet-durable-1';
/**
 * The DBOS application version of `rivet worker` processes and of the batches they take. It
 * differs from controllers' on purpose: DBOS puts recovered, resumed and forked workflows on its
 * internal queue unless told otherwise, and every process of the same version takes from it; with
 * their own version a worker never takes a plan run, nor a controller a batch. (Rivet itself puts
 * plan runs on their controller's own queue, {@link controllerQueue}.)
 */
export const WORKER_APP_VERSION = 'rivet-durable-1-worker';
/** A durable plan run (the controller). */
export const PLAN_WORKFLOW = 'rivet.plan';
/** One batch of one plan step's targets, run by a `rivet worker`. */
export const BATCH_WORKFLOW = 'rivet.batch';
/** The queue `rivet worker` processes take batches from. */
export const WORKER_QUEUE = 'rivet-workers';
/**
 * The queue of one controller process (executor ID `executorId`): it listens to this queue only
 * (besides DBOS's internal one, which Rivet no longer uses), and puts the runs it resumes,
 * retries or recovers there, so no other controller on the same database takes them.
 *
 * @example
 * ```ts
 * controllerQueue('rivet-controller-r20261201T143000-1a2b3c4d'); // 'rivet-controller:rivet-controller-r20261201T143000-1a2b3c4d'
 * ```
 */
export function controllerQueue(executorId: string): string {
  return `rivet-controller:${executorId}`;
}
