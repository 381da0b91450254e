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
  return JSON.stringify({ items: set.toJSON(), target_count: set.length, elapsed_time: Math.round(elapsedMs / 1000) }, null, 2);
}

/** Writes every event as one JSON line. */
export function jsonlRenderer(out: Writer): (event: RivetEvent) => void {
  return (event) => out.write(`${JSON.stringify(event)}\n`);
}
