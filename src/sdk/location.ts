/**
 * The plan file:line of an SDK call, from the call's stack: the first frame outside Rivet's own
 * `dist/` and `src/` (and outside `node_modules` and Node's internals). tsx and vitest install source maps,
 * so lines are the `.ts` lines the author wrote (Bolt #2057: `details.file`/`line`).
 *
 * @example
 * ```ts
 * const where = callerLocation(); // { file: '/srv/site/plans/deploy.ts', line: 12, column: 9 }
 * ```
 * @module
 */
import { findSourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../core/errors.ts';

/**
 * Rivet's own code: the package's `dist/` (what runs) and `src/` (where dist's source maps point
 * when a loader such as tsx, or `--enable-source-maps`, maps stack frames).
 */
const OWN_DIRS = ['../../dist/', '../../src/'].map((dir) => fileURLToPath(new URL(dir, import.meta.url)));

/** `at fn (file:line:col)` or `at file:line:col`; the path may contain spaces (`/srv/My Site/plans/x.ts`). */
const FRAME = /^\s*at (?:.*?\()?((?:file:\/\/)?[^()]+?):(\d+):(\d+)\)?\s*$/;

/** A generated plan file's lines mapped back to the plan file it was translated from. */
interface LineMap {
  file: string;
  /** `lines[n - 1]`: the original line of generated line `n` (0: none). */
  lines: readonly number[];
}

const translated = new Map<string, LineMap>();

/**
 * Registers a plan file generated from another (a Bolt `.pp` or `.yaml` plan translated to
 * TypeScript): stack frames in `generated` are reported at the original file and line.
 *
 * @example
 * ```ts
 * registerTranslatedPlan('/tmp/rivet-plans-0/ab12.mts', 'plans/deploy.pp', translation.lines);
 * callerLocation(); // { file: 'plans/deploy.pp', line: 7 } for a call on a line translating line 7
 * ```
 */
export function registerTranslatedPlan(generated: string, original: string, lines: readonly number[]): void {
  translated.set(generated, { file: original, lines });
}

/** A location in a translated plan, as the line of the file it was translated from. */
function mapBack(location: SourceLocation): SourceLocation {
  const map = translated.get(location.file);
  if (map === undefined) return location;
  const line = map.lines[location.line - 1];
  return line === undefined || line === 0 ? { file: map.file, line: 1 } : { file: map.file, line };
}

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
  return OWN_DIRS.some((dir) => file.startsWith(dir)) || file.startsWith('node:') || file.includes('/node_modules/') || !file.includes('/');
}

/**
 * Where the user's code called into Rivet, or undefined when no frame qualifies. Without a
 * `stack`, the caller's own stack: read as call sites where Node formats stacks itself, so that
 * only the one frame reported goes through its source map (formatting `new Error().stack` under
 * tsx maps every frame, parsing the source map of each Rivet file on the stack: that was most of
 * the CPU of a step's bookkeeping).
 */
export function callerLocation(stack?: string): SourceLocation | undefined {
  if (stack === undefined) {
    const sites = callSites();
    if (sites !== undefined) return locationFromSites(sites);
    stack = new Error().stack;
    if (stack === undefined) return undefined;
  }
  for (const line of stack.split('\n').slice(1)) {
    const location = parseFrame(line);
    if (location && !internalFrame(location.file)) return mapBack(location);
  }
  return undefined;
}

/**
 * The stack of {@link callerLocation}'s caller as V8 call sites (the same frames `new Error()`
 * there would show), or undefined when another tool formats stacks (vitest, source-map-support
 * replace `Error.prepareStackTrace` and map lines their own way: their text is used as is).
 * Node's own formatter (none, or Node 20's `ErrorPrepareStackTrace`, which maps through source
 * maps when tsx or `--enable-source-maps` turns them on) is the case this reads call sites for.
 */
function callSites(): NodeJS.CallSite[] | undefined {
  const own = Error.prepareStackTrace;
  if (own !== undefined && own.name !== 'ErrorPrepareStackTrace') return undefined;
  const holder: { stack?: unknown } = {};
  Error.prepareStackTrace = (_error, sites) => sites;
  try {
    Error.captureStackTrace(holder, callSites);
    // V8 builds the value when `stack` is first read: read it while the override is in place.
    const sites = holder.stack;
    return Array.isArray(sites) ? (sites as NodeJS.CallSite[]) : undefined;
  } finally {
    if (own === undefined) Reflect.deleteProperty(Error, 'prepareStackTrace');
    else Error.prepareStackTrace = own;
  }
}

/** The first frame outside Rivet, dependencies and Node, mapped through its source map when Node maps stacks. */
function locationFromSites(sites: readonly NodeJS.CallSite[]): SourceLocation | undefined {
  for (const site of sites) {
    const name = site.getFileName() ?? site.getScriptNameOrSourceURL();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!name || line === null || column === null) continue;
    const location = parseFrame(`    at ${name}:${line}:${column}`);
    if (location === undefined || internalFrame(location.file)) continue;
    const mapped = process.sourceMapsEnabled ? sourceMapped(name, line, column) : location;
    if (mapped === undefined || internalFrame(mapped.file)) continue;
    return mapBack(mapped);
  }
  return undefined;
}

/** `file:line:column` through the file's source map, as Node's own stack formatting maps it. */
function sourceMapped(name: string, line: number, column: number): SourceLocation | undefined {
  const entry = findSourceMap(name)?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return parseFrame(`    at ${name}:${line}:${column}`);
  return parseFrame(`    at ${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
}

/**
 * A stack as the plan author needs it: the message lines and the frames of their own code, without
 * Rivet's, dependencies' (commander, tsx) and Node's.
 *
 * @example
 * ```ts
 * userStack(error.stack); // 'Error: boom\n    at Object.run (/site/plans/deploy.ts:12:11)'
 * ```
 */
export function userStack(stack: string): string {
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
  if (firstFrame < 0) return stack;
  const frames = lines.slice(firstFrame).flatMap((l) => {
    const location = parseFrame(l);
    if (location === undefined || internalFrame(location.file)) return [];
    const original = mapBack(location);
    return original === location ? [l] : [`    at ${original.file}:${original.line}`];
  });
  return [...lines.slice(0, firstFrame), ...frames].join('\n');
}

/** `file:line` for messages. */
export function formatLocation(location: SourceLocation | undefined): string {
  return location === undefined ? '' : `${location.file}:${location.line}`;
}
