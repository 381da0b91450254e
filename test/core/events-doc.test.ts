/**
 * The `--format jsonl` stream is documented event by event (docs/plans.md, "The `--format jsonl`
 * event stream"): a new type in the RivetEvent union must get a row there, and a row must not
 * describe a type the code does not emit.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RIVET_EVENT_TYPES } from '../../src/core/events.ts';

/** Lines written by the CLI itself, not events of the runtime's bus. */
const CLI_LINES = ['durable_run', 'plan_result'];

async function documentedTypes(): Promise<string[]> {
  const doc = await readFile(new URL('../../docs/plans.md', import.meta.url), 'utf8');
  const section = doc.split('\n## The `--format jsonl` event stream\n')[1]?.split('\n## ')[0];
  expect(section, 'docs/plans.md has the jsonl event section').toBeDefined();
  // The first cell of each row after the header (`type`) and its |---| line.
  return [...section!.split('\n|---')[1]!.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]!);
}

describe('the --format jsonl event table', () => {
  it('documents every event type of the union, once', async () => {
    const documented = await documentedTypes();
    for (const type of RIVET_EVENT_TYPES) expect(documented.filter((row) => row === type), `row for '${type}'`).toHaveLength(1);
  });

  it('documents no type the code does not emit', async () => {
    const known = new Set<string>([...RIVET_EVENT_TYPES, ...CLI_LINES]);
    expect((await documentedTypes()).filter((type) => !known.has(type))).toEqual([]);
  });
});
