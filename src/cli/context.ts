import type { Runtime } from '../runtime/runtime.ts';
import type { CliIO } from './render/writer.ts';

/** State shared by the commands of one CLI invocation. */
export interface CliContext {
  io: CliIO;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Set by the command that ran. */
  exitCode: number;
  /** Commands report the runtime they made, so it is closed whatever happens. */
  onRuntime(runtime: Runtime): void;
}
