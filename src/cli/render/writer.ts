/**
 * Most bytes of `--stream` output waiting for a slow reader of stdout: past it live output is
 * dropped (counted, and said with a marker line once the reader catches up), so a pipe read
 * slower than the targets write cannot grow the controller's memory. Results keep their output
 * (up to max-output) either way.
 */
export const STREAM_BACKLOG_MAX = 8 * 1024 * 1024;

/** Where the CLI writes: process streams in production, buffers in tests. */
export interface Writer {
  write(text: string): void;
  /** True when this is a terminal (live progress, colors). */
  readonly isTTY?: boolean | undefined;
  /** Bytes written but not yet taken by the reader (a slow pipe); absent when unknown. */
  backlog?: (() => number) | undefined;
}

export interface CliIO {
  out: Writer;
  err: Writer;
  /** Reads all of stdin (for `-` arguments). */
  readStdin(): Promise<string>;
  /** Whether stdin is a terminal (prompts). */
  stdinIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}
