/**
 * JSON output: Bolt's envelope `{items, target_count, elapsed_time}` (C-09) and the JSONL event
 * stream (`--format jsonl`).
 *
 * @module
 */
import type { RivetEvent } from '../../core/events.ts';
import type { ResultSet } from '../../core/result.ts';
import type { Writer } from './writer.ts';

export function jsonEnvelope(set: ResultSet, elapsedMs: number): string {
  const envelope = (items: unknown[]): string => JSON.stringify({ items, target_count: set.length, elapsed_time: Math.round(elapsedMs / 1000) }, null, 2);
  const items = set.toJSON();
  try {
    return envelope(items);
  } catch {
    // One value JSON cannot hold (too deep, cyclic) fails that target, not the whole report.
    return envelope(items.map((item) => (serializable(item) ? item : { ...item, status: 'failure', value: { _error: unprintable(item.target) } })));
  }
}

/** True when `value` can be written as JSON (a value nested too deep cannot: RangeError). */
function serializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** The error that replaces a result value JSON cannot hold, so the rest of the report survives. */
function unprintable(target: string): Record<string, unknown> {
  return { kind: 'rivet/unprintable-result', msg: `The result of ${target} cannot be written as JSON (nested too deep or cyclic)`, details: {} };
}

/** Writes every event as one JSON line; `fields` (a durable run's `runId`) are added to each. */
export function jsonlRenderer(out: Writer, fields?: Record<string, unknown>): (event: RivetEvent) => void {
  if (fields === undefined) return (event) => out.write(`${JSON.stringify(event)}\n`);
  return (event) => out.write(`${JSON.stringify({ ...event, ...fields })}\n`);
}
