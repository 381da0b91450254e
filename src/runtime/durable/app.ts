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
 * internal queue, which every process of the same version takes from; with their own version a
 * worker never takes a plan run (a resumed or retried one), nor a controller a batch.
 */
export const WORKER_APP_VERSION = 'rivet-durable-1-worker';
/** A durable plan run (the controller). */
export const PLAN_WORKFLOW = 'rivet.plan';
/** One batch of one plan step's targets, run by a `rivet worker`. */
export const BATCH_WORKFLOW = 'rivet.batch';
/** The queue `rivet worker` processes take batches from. */
export const WORKER_QUEUE = 'rivet-workers';
