/**
 * strace, for tests that count the processes a step starts (every execve of a process tree).
 * `.ci/run` installs it; without it those tests are skipped with this reason.
 */
import { execFileSync } from 'node:child_process';

/** Why strace-based tests cannot run here, or undefined when `strace` is installed. */
export function straceSkipReason(): string | undefined {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'strace is not installed (apt-get install strace)';
  }
}
