/**
 * The plan file:line of an SDK call, from the call's stack: the first frame outside Rivet's own
 * `src/` (and outside `node_modules` and Node's internals). tsx and vitest install source maps,
 * so lines are the `.ts` lines the author wrote (Bolt #2057: `details.file`/`line`).
 *
 * @example
 * ```ts
 * const where = callerLocation(); // { file: '/srv/site/plans/deploy.ts', line: 12, column: 9 }
 * ```
 * @module
 */
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../core/errors.ts';

const SRC_DIR = fileURLToPath(new URL('..', import.meta.url));
/**
 * The build's frames are source-mapped back to `src/`: running from `dist/`, `src/` next to it is
 * Rivet's own code too (else the SDK's own frame would pass for the plan's file:line).
 */
const MAPPED_SRC_DIR = /[\\/]dist[\\/]$/.test(SRC_DIR) ? `${SRC_DIR.slice(0, -'dist/'.length)}src${SRC_DIR.slice(-1)}` : SRC_DIR;

const FRAME = /^\s*at (?:.*?\()?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/;

/** Parses one V8 stack line into a location (undefined for native or unparsable frames). */
export function parseFrame(line: string): SourceLocation | undefined {
  const match = FRAME.exec(line);
  if (!match) return undefined;
  let file = match[1]!;
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return { file, line: Number(match[2]), column: Number(match[3]) };
}

/** True for frames of Rivet itself, dependencies and Node. */
export function internalFrame(file: string): boolean {
  return file.startsWith(SRC_DIR) || file.startsWith(MAPPED_SRC_DIR) || file.startsWith('node:') || file.includes('/node_modules/') || !file.includes('/');
}

/** Where the user's code called into Rivet, or undefined when no frame qualifies. */
export function callerLocation(stack: string | undefined = new Error().stack): SourceLocation | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const location = parseFrame(line);
    if (location && !internalFrame(location.file)) return location;
  }
  return undefined;
}

/** `file:line` for messages. */
export function formatLocation(location: SourceLocation | undefined): string {
  return location === undefined ? '' : `${location.file}:${location.line}`;
}
