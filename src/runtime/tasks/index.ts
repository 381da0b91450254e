/**
 * Bolt tasks without touching targets: metadata, discovery, implementation choice, parameter
 * preparation and encoding, output parsing and redaction.
 *
 * @example
 * ```ts
 * import { loadTask, selectImplementation, prepareTaskParams, taskInput, taskResultValue } from './index.ts';
 * const task = await loadTask('demo::echo', ['modules']);
 * const impl = selectImplementation(task, { name: 'web1', features: ['shell'] });
 * const { params } = prepareTaskParams(task, { message: 'hi' });
 * const input = taskInput(params, impl.inputMethod);
 * // ... a transport runs impl.path with input.stdin / input.env ...
 * const value = taskResultValue({ stdout, stderr, exitCode, task: task.name });
 * ```
 * @module
 */
export * from './validate.ts';
export * from './metadata.ts';
export * from './discovery.ts';
export * from './implementation.ts';
export * from './input.ts';
export * from './output.ts';
export * from './params.ts';
export * from './redact.ts';
