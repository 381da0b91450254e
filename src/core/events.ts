/**
 * The structured event stream of a run: what the CLI's progress display, `--format jsonl` and API
 * subscribers consume. Every event has a `type` and an ISO `time`.
 *
 * @example
 * ```ts
 * runtime.events.on((event) => { if (event.type === 'target_finish') console.log(event.result.status); });
 * ```
 * @module
 */
import type { ResultData } from './result.ts';
import { safeName, type Target } from './target.ts';
import { redactUriPasswords, scrubStrings, uriPasswordRedactorFor } from './uri-passwords.ts';

interface Base {
  time: string;
}

export type RivetEvent =
  | (Base & { type: 'step_start'; stepId: number; action: string; object: string | null; description: string; targets: string[] })
  | (Base & { type: 'step_finish'; stepId: number; action: string; object: string | null; description: string; durationMs: number; failures: number; count: number })
  | (Base & { type: 'target_start'; stepId: number; target: string })
  | (Base & { type: 'target_output'; stepId: number; target: string; stream: 'stdout' | 'stderr'; text: string })
  | (Base & { type: 'target_finish'; stepId: number; target: string; durationMs: number; result: ResultData })
  | (Base & { type: 'plan_start'; plan: string; params: Record<string, unknown> })
  | (Base & { type: 'plan_finish'; plan: string; durationMs: number; status: 'success' | 'failure' })
  | (Base & { type: 'rollout_start'; rolloutId: number; description: string; targets: string[]; batches: string[][]; failureBudget: number })
  | (Base & { type: 'batch_start'; rolloutId: number; description: string; batch: number; batches: number; targets: string[] })
  | (Base & BatchFinish)
  | (Base & RolloutFinish)
  | (Base & { type: 'message'; level: 'message' | 'verbose'; text: string })
  /** Bolt's `disable_default_output`/`enable_default_output` around a `without_default_logging` block (P-21). */
  | (Base & { type: 'default_output'; enabled: boolean })
  | (Base & { type: 'log'; level: LogLevel; text: string });

/** One batch of a `rollout()` is done: its failed targets, the rollout's failures so far, the health check. */
export interface BatchFinish {
  type: 'batch_finish';
  rolloutId: number;
  description: string;
  /** 1-based. */
  batch: number;
  batches: number;
  durationMs: number;
  count: number;
  failed: string[];
  /** Failed targets of the whole rollout so far. */
  failures: number;
  /** How many targets may fail before the rollout stops. */
  failureBudget: number;
  /** The health check's verdict; null without one. */
  healthy: boolean | null;
}

/** Why a rollout stopped early. */
export type RolloutStopReason = 'failure_budget' | 'health_check';

export interface RolloutFinish {
  type: 'rollout_finish';
  rolloutId: number;
  description: string;
  durationMs: number;
  status: 'success' | 'stopped';
  /** Set when stopped. */
  reason: RolloutStopReason | null;
  message: string;
  succeeded: number;
  failed: string[];
  /** Targets no batch reached. */
  untouched: string[];
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** True when `level` is at or above `threshold`. */
export function logLevelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

export type RivetEventType = RivetEvent['type'];

/** Every event type, once: a compile error when the union gains or loses a type it does not list. */
const EVERY_EVENT_TYPE = {
  step_start: true,
  step_finish: true,
  target_start: true,
  target_output: true,
  target_finish: true,
  plan_start: true,
  plan_finish: true,
  rollout_start: true,
  batch_start: true,
  batch_finish: true,
  rollout_finish: true,
  message: true,
  default_output: true,
  log: true,
} as const satisfies Record<RivetEventType, true>;

/**
 * The `type` of every {@link RivetEvent} (each documented in docs/plans.md, "The `--format jsonl`
 * event stream").
 *
 * @example
 * ```ts
 * RIVET_EVENT_TYPES.includes('step_start'); // true
 * ```
 */
export const RIVET_EVENT_TYPES = Object.keys(EVERY_EVENT_TYPE) as readonly RivetEventType[];
/** An event without its timestamp, as emitters pass it. */
export type EventInput = RivetEvent extends infer E ? (E extends RivetEvent ? Omit<E, 'time'> : never) : never;

export type EventListener = (event: RivetEvent) => void;

/** A minimal, synchronous event bus; listeners that throw are isolated from the run. */
/**
 * Subscribers get every event with URI passwords removed (`scheme://user:pw@` anywhere, and the
 * names of targets written as `user:pw@host`, see {@link EventBus.protectTarget}).
 */
export class EventBus {
  readonly #listeners = new Set<EventListener>();
  /** Target names holding a password, and the same name without it. */
  readonly #names = new Map<string, string>();
  #redact: (text: string) => string = redactUriPasswords;

  /** Removes the target's password from its name wherever it appears in later events. */
  protectTarget(target: Pick<Target, 'name'>): void {
    const safe = safeName(target);
    if (safe !== target.name && !this.#names.has(target.name)) {
      this.#names.set(target.name, safe);
      this.#redact = uriPasswordRedactorFor(this.#names.keys());
    }
  }

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Emits a `log` event. */
  log(level: LogLevel, text: string): void {
    this.emit({ type: 'log', level, text });
  }

  emit(event: EventInput): void {
    const full = scrubStrings({ ...event, time: new Date().toISOString() } as RivetEvent, this.#redact);
    for (const listener of this.#listeners) {
      try {
        listener(full);
      } catch {
        // A broken listener must not break the run.
      }
    }
  }
}
