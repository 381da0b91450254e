/**
 * The runtime's lazily loaded modules: the runtime's `import()`s live in this small module (see
 * `src/cli/lazy.ts` for why: tsx rewrites, with a source map of the whole file, every module that
 * contains a dynamic import).
 *
 * @example
 * ```ts
 * const { runTaskStep } = await loadTaskStep();
 * ```
 * @module
 */

/** The task step (parameter and output validation): loaded on the first task. */
export const loadTaskStep = () => import('./steps/task.ts');
/** Task discovery (metadata checks, the Puppet type parser): loaded with the first task. */
export const loadTaskDiscovery = () => import('./tasks/discovery.ts');
/** The SSH transport: loaded on the first SSH connect. */
export const loadSshTransport = () => import('../transports/ssh/index.ts');
/** The WinRM transport: loaded on the first WinRM connect. */
export const loadWinrmTransport = () => import('../transports/winrm/index.ts');
/** SSH in worker threads (`--threads`). */
export const loadThreadedTransport = () => import('../transports/threads/index.ts');
/** Bolt plans (`.pp`, `.yaml`) and their translator. */
export const loadBoltPlans = () => import('./plans/bolt-plans.ts');
/** tar, for tasks with `files` (their bundle). */
export const loadTar = () => import('tar');
/** Plan preview (`--preview`). */
export const loadPreview = () => import('./plans/preview.ts');
/** Plan recording and replay (`--record`, `--replay`). */
export const loadRecording = () => import('./plans/recording.ts');
