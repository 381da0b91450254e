/**
 * Options of the SDK's step functions. Durations are in milliseconds.
 *
 * Bolt's `_catch_errors`, `_run_as`, `_noop`, `_env_vars` and the description become
 * `catchErrors`, `runAs`, `noop`, `envVars` and `description`; `timeout`, `signal`, `stream` and
 * `onFailure` are Rivet's additions.
 *
 * @module
 */

/** What a step does when it fails on some targets. */
export type OnFailure =
  /** Throw a `RunFailure` (Bolt's default, P-11). */
  | 'throw'
  /**
   * Return the ResultSet, remember the failed targets, and leave them out of every later step of
   * this plan; the plan then fails at its end, listing them (bolt#3321).
   */
  | 'continue';

export interface StepOptions {
  /** Text for progress output and logs instead of the default step text (P-13). */
  description?: string;
  /** Return the ResultSet instead of throwing when a target fails (Bolt's `_catch_errors`). */
  catchErrors?: boolean;
  /** `'throw'` (default) or `'continue'` on the targets that succeeded (see {@link OnFailure}). */
  onFailure?: OnFailure;
  /** Run as this user, via sudo (beats the enclosing `runPlan`'s and the target's `run-as`, P-14). */
  runAs?: string;
  /**
   * Stop the step on a target after this many milliseconds (a command's, script's or task's remote
   * process is killed; an upload or download is stopped, leaving nothing half-copied at its
   * destination); the target then fails with `rivet/timeout`.
   */
  timeout?: number;
  /** Aborting it cancels the step (remote processes are killed). */
  signal?: AbortSignal;
  /** Emit each target's output as it arrives (`--stream`). */
  stream?: boolean;
}

export interface CommandOptions extends StepOptions {
  /** Environment variables; arrays and objects are JSON-encoded (P-03). */
  envVars?: Record<string, unknown>;
}

export interface ScriptOptions extends CommandOptions {
  /** Arguments passed to the script. */
  arguments?: readonly string[];
}

export interface TaskOptions extends StepOptions {
  /** Run the task in no-operation mode (tasks that support it). */
  noop?: boolean;
}

export type TransferOptions = StepOptions;

export interface WaitOptions extends Omit<StepOptions, 'runAs' | 'stream' | 'timeout'> {
  /** Give up on a target after this long (default 120 000 ms, Bolt's `wait_time`). */
  waitTime?: number;
  /** Time between attempts (default 1 000 ms, Bolt's `retry_interval`). */
  retryInterval?: number;
}

export interface RunPlanOptions {
  /** Return the error instead of throwing when the sub-plan fails (P-08). */
  catchErrors?: boolean;
  /** Default run-as user for every step of the sub-plan (P-14). */
  runAs?: string;
}

export interface PromptOptions {
  /** Do not echo; the answer comes back as `Sensitive<string>`. */
  sensitive?: boolean;
  /** The answer when there is no terminal (or the user just presses Enter). */
  default?: string;
}
