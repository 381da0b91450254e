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
