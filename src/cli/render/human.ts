/**
 * Human output (C-12): Bolt's wording, results printed as each target finishes, a live progress
 * line on a terminal, `--stream` lines prefixed with the target, and a summary.
 *
 * @module
 */
import { logLevelEnabled, type LogLevel, type RivetEvent } from '../../core/events.ts';
import type { ResultData, ResultSet } from '../../core/result.ts';
import { safeUri } from '../../core/uri-passwords.ts';
import { STREAM_BACKLOG_MAX, type Writer } from './writer.ts';

export interface HumanOptions {
  out: Writer;
  err: Writer;
  color: boolean;
  /** Print `Started on ...` lines (Bolt's verbose default for ad-hoc commands). */
  verbose: boolean;
  /** Print output lines as they arrive, prefixed `[target] out:`; results then leave the output out. */
  stream: boolean;
  /** Show the live progress line (stderr is a terminal). */
  progress: boolean;
  /** Lowest log level printed (default warn). */
  logLevel?: LogLevel | undefined;
  /**
   * Plan mode (C-12): `Starting:`/`Finished:` lines for plans and steps; per-target results and
   * `out.verbose` messages only when `verbose`.
   */
  plan?: boolean | undefined;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** `value` as indented JSON, or a note when JSON cannot hold it (nested too deep, cyclic). */
function printableJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return '(this value cannot be printed as JSON: it is nested too deep or cyclic)';
  }
}

/** Longest piece of an unterminated line `--stream` holds back before printing it. */
const STREAM_LINE_MAX = 64 * 1024;


export class HumanRenderer {
  readonly #o: HumanOptions;
  #total = 0;
  /** Depth of `without_default_logging` blocks (Bolt nests them with a counter too). */
  #quietDepth = 0;
  #done = 0;
  #failed = 0;
  #running = 0;
  #timer: NodeJS.Timeout | undefined;
  #frame = 0;
  #progressShown = false;
  #started = performance.now();
  readonly #partial = new Map<string, string>();
  /** Bytes of live output dropped per target and stream while stdout was backed up. */
  readonly #dropped = new Map<string, number>();

  constructor(options: HumanOptions) {
    this.#o = options;
  }

  paint(text: string, color: 'green' | 'red' | 'yellow' | 'dim' | 'bold'): string {
    if (!this.#o.color) return text;
    const codes = { green: 32, red: 31, yellow: 33, dim: 2, bold: 1 } as const;
    return `\x1b[${codes[color]}m${text}\x1b[0m`;
  }

  /** Feeds one event of the run. */
  onEvent(event: RivetEvent): void {
    if (this.#o.plan && this.#planEvent(event)) return;
    switch (event.type) {
      case 'step_start':
        this.#total += event.targets.length;
        this.#startProgress();
        break;
      case 'target_start':
        this.#running++;
        if (this.#o.verbose) this.#line(this.#o.out, `Started on ${event.target}...`);
        break;
      case 'target_output':
        if (this.#o.stream) this.#streamOutput(event.target, event.stream, event.text);
        break;
      case 'target_finish':
        this.#running = Math.max(0, this.#running - 1);
        this.#done++;
        if (event.result.status === 'failure') this.#failed++;
        this.#flushStream(event.target);
        this.#line(this.#o.out, this.formatResult(event.result));
        break;
      case 'step_finish':
        break;
      case 'message':
        this.#line(this.#o.out, event.text);
        break;
      case 'log':
        if (logLevelEnabled(event.level, this.#o.logLevel ?? 'warn')) this.#line(this.#o.err, `${this.paint(event.level.toUpperCase(), event.level === 'warn' ? 'yellow' : event.level === 'error' || event.level === 'fatal' ? 'red' : 'dim')}: ${event.text}`);
        break;
      default:
        break;
    }
  }

  /** Plan-mode lines; true when the event was handled. */
  #planEvent(event: RivetEvent): boolean {
    // Inside without_default_logging (P-21), Bolt's human outputter prints no step or plan lines.
    const quiet = this.#quietDepth > 0;
    switch (event.type) {
      case 'default_output':
        this.#quietDepth = Math.max(0, this.#quietDepth + (event.enabled ? -1 : 1));
        return true;
      case 'plan_start':
        if (!quiet) this.#line(this.#o.out, `Starting: plan ${event.plan}`);
        return true;
      case 'plan_finish':
        if (!quiet) this.#line(this.#o.out, `Finished: plan ${event.plan} in ${seconds(event.durationMs)}`);
        return true;
      case 'step_start': {
        this.#total += event.targets.length;
        this.#startProgress();
        const on = event.targets.length > 5 ? `${event.targets.length} targets` : event.targets.join(', ');
        if (!quiet) this.#line(this.#o.out, `Starting: ${stepText(event)} on ${on}`);
        return true;
      }
      case 'step_finish': {
        if (quiet) return true;
        const failures = event.failures === 0 ? '' : this.paint(` with ${event.failures} failure${event.failures === 1 ? '' : 's'}`, 'red');
        this.#line(this.#o.out, `Finished: ${stepText(event)}${failures} in ${seconds(event.durationMs)}`);
        return true;
      }
      case 'target_start':
        this.#running++;
        return true;
      case 'target_finish':
        this.#running = Math.max(0, this.#running - 1);
        this.#done++;
        if (event.result.status === 'failure') this.#failed++;
        this.#flushStream(event.target);
        // Bolt prints no node_result inside without_default_logging either (human.rb `enabled?`).
        if (this.#o.verbose && !quiet) this.#line(this.#o.out, this.formatResult(event.result));
        return true;
      case 'message':
        if (event.level === 'message' || this.#o.verbose) this.#line(this.#o.out, event.text);
        return true;
      case 'rollout_start':
      case 'batch_start':
      case 'batch_finish':
      case 'rollout_finish':
        this.#rolloutEvent(event);
        return true;
      default:
        return false;
    }
  }

  /** Per-batch progress of `rollout()`. */
  #rolloutEvent(event: Extract<RivetEvent, { type: 'rollout_start' | 'batch_start' | 'batch_finish' | 'rollout_finish' }>): void {
    const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
    switch (event.type) {
      case 'rollout_start':
        this.#line(this.#o.out, `Starting: ${event.description} on ${plural(event.targets.length, 'target')} in ${plural(event.batches.length, 'batch', 'batches')} (failure budget: ${event.failureBudget})`);
        break;
      case 'batch_start': {
        const on = event.targets.length > 5 ? plural(event.targets.length, 'target') : event.targets.join(', ');
        this.#line(this.#o.out, `Starting: batch ${event.batch}/${event.batches} of ${event.description} on ${on}`);
        break;
      }
      case 'batch_finish': {
        const failures = event.failed.length === 0 ? '' : this.paint(` with ${plural(event.failed.length, 'failure')}`, 'red');
        const health = event.healthy === false ? this.paint(', health check failed', 'red') : event.healthy ? ', healthy' : '';
        const budget = `failures so far: ${event.failures}, budget: ${event.failureBudget}`;
        this.#line(this.#o.out, `Finished: batch ${event.batch}/${event.batches} of ${event.description}${failures} in ${seconds(event.durationMs)} (${budget}${health})`);
        break;
      }
      case 'rollout_finish':
        if (event.status === 'success') {
          this.#line(this.#o.out, `Finished: ${event.message} in ${seconds(event.durationMs)}`);
        } else {
          this.#line(this.#o.out, this.paint(`Stopped: ${event.message}`, 'red'));
          if (event.untouched.length > 0) this.#line(this.#o.out, this.paint(`Never touched (${event.untouched.length}): ${event.untouched.join(', ')}`, 'yellow'));
        }
        break;
    }
  }

  /** One target's result, as Bolt prints it. */
  formatResult(result: ResultData): string {
    const ok = result.status === 'success';
    const head = ok ? this.paint(`Finished on ${result.target}:`, 'green') : this.paint(`Failed on ${result.target}:`, 'red');
    const lines: string[] = [];
    const value = { ...result.value } as Record<string, unknown>;
    const error = value['_error'] as { msg?: string } | undefined;
    delete value['_error'];
    if (error?.msg) lines.push(error.msg);
    // With --stream the output was printed as it came: the result does not repeat it (unlike Bolt).
    const streamed = this.#o.stream;
    if (result.action === 'command' || result.action === 'script') {
      const merged = String(value['merged_output'] ?? '');
      if (merged.trim() !== '' && !streamed) lines.push(merged.replace(/\n$/, ''));
    } else {
      const output = value['_output'];
      delete value['_output'];
      if (typeof output === 'string' && output.trim() !== '' && !streamed) lines.push(output.replace(/\n$/, ''));
      if (Object.keys(value).length > 0 && result.action !== 'upload' && result.action !== 'download') lines.push(printableJson(value));
      if (lines.length === 0 && ok) lines.push(`${result.action === 'task' ? 'Task' : 'Step'} completed successfully with no result`);
    }
    return [head, ...lines.map((l) => indent(l, 2))].join('\n');
  }

  /** The closing summary (Successful on / Failed on / Ran on). */
  summary(set: ResultSet, elapsedMs: number): void {
    this.#stopProgress();
    // Names as shown everywhere else: without a URI password, whatever characters it holds.
    const ok = set.okSet.names.map((name) => safeUri(name));
    const failed = set.errorSet.names.map((name) => safeUri(name));
    const n = (count: number): string => `${count} target${count === 1 ? '' : 's'}`;
    if (ok.length) this.#line(this.#o.out, this.paint(`Successful on ${n(ok.length)}: ${ok.join(',')}`, 'green'));
    if (failed.length) this.#line(this.#o.out, this.paint(`Failed on ${n(failed.length)}: ${failed.join(',')}`, 'red'));
    this.#line(this.#o.out, `Ran on ${n(set.length)} in ${(elapsedMs / 1000).toFixed(2)} sec`);
  }

  /** Stops the progress line (also on Ctrl-C). */
  stop(): void {
    this.#stopProgress();
  }

  #streamOutput(target: string, stream: 'stdout' | 'stderr', text: string): void {
    const key = `${target}\0${stream}`;
    if ((this.#o.out.backlog?.() ?? 0) > STREAM_BACKLOG_MAX) {
      this.#dropped.set(key, (this.#dropped.get(key) ?? 0) + Buffer.byteLength(text) + Buffer.byteLength(this.#partial.get(key) ?? ''));
      this.#partial.delete(key);
      return;
    }
    this.#reportDropped(target, stream);
    const lines = text.split('\n');
    lines[0] = (this.#partial.get(key) ?? '') + (lines[0] ?? '');
    let rest = lines.pop() ?? '';
    // A line without end is printed in pieces of STREAM_LINE_MAX, so it is never held (or
    // re-scanned) whole: streaming stays linear in time and bounded in memory.
    while (rest.length >= STREAM_LINE_MAX) {
      // Never between the two halves of a surrogate pair (an emoji): each would print as U+FFFD.
      const cut = isHighSurrogate(rest.charCodeAt(STREAM_LINE_MAX - 1)) ? STREAM_LINE_MAX - 1 : STREAM_LINE_MAX;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.#partial.set(key, rest);
    const tag = stream === 'stdout' ? 'out' : 'err';
    for (const line of lines) this.#line(this.#o.out, `${this.paint(`[${target}]`, 'dim')} ${tag}: ${line}`);
  }

  /** The marker line for live output dropped while stdout was backed up, if any. */
  #reportDropped(target: string, stream: 'stdout' | 'stderr'): void {
    const key = `${target}\0${stream}`;
    const dropped = this.#dropped.get(key);
    if (dropped === undefined) return;
    this.#dropped.delete(key);
    const tag = stream === 'stdout' ? 'out' : 'err';
    this.#line(this.#o.out, `${this.paint(`[${target}]`, 'dim')} ${tag}: [rivet: ${dropped} bytes of live output not shown: stdout was read slower than the target wrote]`);
  }

  #flushStream(target: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      this.#reportDropped(target, stream);
      const key = `${target}\0${stream}`;
      const rest = this.#partial.get(key);
      if (rest) this.#line(this.#o.out, `${this.paint(`[${target}]`, 'dim')} ${stream === 'stdout' ? 'out' : 'err'}: ${rest}`);
      this.#partial.delete(key);
    }
  }

  #line(writer: Writer, text: string): void {
    this.#clearProgress();
    writer.write(`${text}\n`);
    this.#drawProgress();
  }

  #startProgress(): void {
    if (!this.#o.progress || this.#timer) return;
    this.#started = performance.now();
    this.#timer = setInterval(() => {
      this.#frame++;
      this.#clearProgress();
      this.#drawProgress();
    }, 100);
    this.#timer.unref();
  }

  #stopProgress(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#clearProgress();
  }

  #clearProgress(): void {
    if (this.#progressShown) {
      this.#o.err.write('\r\x1b[K');
      this.#progressShown = false;
    }
  }

  #drawProgress(): void {
    if (!this.#timer) return;
    const spin = SPINNER[this.#frame % SPINNER.length];
    const secs = ((performance.now() - this.#started) / 1000).toFixed(1);
    const failed = this.#failed ? this.paint(`, ${this.#failed} failed`, 'red') : '';
    this.#o.err.write(`${spin} ${this.#done}/${this.#total} done${failed}, ${this.#running} running (${secs} s)`);
    this.#progressShown = true;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} sec`;
}

/** Bolt's step wording: `command 'uptime'`, `task package`, or the step's own description. */
function stepText(event: { action: string; object: string | null; description: string }): string {
  const fallback = event.object === null ? event.action : `${event.action} ${event.object}`;
  if (event.description !== fallback) return event.description;
  if (event.object === null) return event.action.replace(/_/g, ' ');
  if (event.action === 'command') return `command '${event.object}'`;
  if (event.action === 'upload' || event.action === 'download') return `file ${event.action} ${event.object}`;
  return fallback;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}
