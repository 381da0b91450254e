/**
 * JSON output: Bolt's envelope `{items, target_count, elapsed_time}` (C-09) and the JSONL event
 * stream (`--format jsonl`).
 *
 * @module
 */
import type { RivetEvent } from '../../core/events.ts';
import type { ResultSet } from '../../core/result.ts';
import { STREAM_BACKLOG_MAX, type Writer } from './writer.ts';

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

/**
 * Writes every event as one JSON line; `fields` (a durable run's `runId`) are added to each.
 * Live output waiting for a slow reader is bounded as in human --stream: dropped past
 * STREAM_BACKLOG_MAX, then a `log` warning says how much of each target's output was not shown.
 */
export function jsonlRenderer(out: Writer, fields?: Record<string, unknown>): (event: RivetEvent) => void {
  const dropped = new Map<string, number>();
  const write = (event: RivetEvent): void => out.write(`${JSON.stringify(fields === undefined ? event : { ...event, ...fields })}\n`);
  return (event) => {
    if (event.type === 'target_output' && (out.backlog?.() ?? 0) > STREAM_BACKLOG_MAX) {
      dropped.set(event.target, (dropped.get(event.target) ?? 0) + Buffer.byteLength(event.text));
      return;
    }
    if ('target' in event && dropped.has(event.target)) {
      const bytes = dropped.get(event.target)!;
      dropped.delete(event.target);
      write({ type: 'log', level: 'warn', text: `${bytes} bytes of live output of ${event.target} not shown: stdout was read slower than the target wrote`, time: event.time });
    }
    write(event);
  };
}
