/**
 * The exec protocol Rivet speaks with a POSIX shell on a target. One exec request (one SSH
 * channel, or one local child process) does the whole job.
 *
 * The command line is a fixed bootstrap that holds no data at all: no env values, no passwords,
 * no parameters. So nothing secret is ever in a process list. The bootstrap reads a line count N
 * from stdin, then N lines of shell script, and evals them. The one exception is a script with no
 * data in it (a command without env values, stdin or run-as: {@link ExecProtocol.canCarry}): it
 * travels on the command line itself ({@link ExecProtocol.inlineCommandLine}), which shows only
 * the user's command, as the body's own `sh -c` does anyway; it saves sending stdin at all. A
 * script with data goes on stdin, which the SSH transport sends right behind the exec request
 * (see `SshPrimitives`): either way a step on an open connection is 2 round trips. Whatever
 * stdin holds after the script is the command's own stdin. The script exports the env, makes the private temp dir, writes the
 * executable, runs the command as a background job it waits for (so a TERM is handled at once:
 * the trap kills the whole process group, cleans the temp dir and exits 143), and removes the temp
 * dir.
 *
 * Before anything else the bootstrap reports its process group id on stderr
 * (`<token>_PGID:<id>`, read from `/proc/$$/stat`, else `ps`). A timeout or cancel then stops the
 * work without channel signals, which OpenSSH refuses for root sessions ("session signalling
 * requires privilege separation"): a second exec on the same connection sends TERM, then KILL, to
 * that group and removes the temp dir ({@link ExecProtocol.killScript}).
 *
 * With run-as, the bootstrap runs under `sudo -S -p <unique prompt>`. Rivet writes the sudo
 * password only when that prompt appears on stderr, and writes the script only after the
 * bootstrap's ready marker appears on stderr. The password therefore goes to sudo and to nothing
 * else, and never touches disk or a command line (X-03, without Bolt's #1129).
 *
 * The command itself runs in its own shell, as `<shell> -c '<command>' <name>`, so the shell reports
 * errors against the command (`sh: 1: x: not found`), never against the bootstrap's eval. That
 * shell's command line shows the user's command (as sshd's `$SHELL -c` does for Bolt); env values,
 * task parameters and passwords stay off every command line. Which
 * shell follows Bolt (`lib/bolt/shell/bash.rb` `execute`): Bolt hands a plain command to the exec
 * request, so over SSH the login shell runs it (sshd's `$SHELL -c`); with run-as (`sudo ... sh -c`)
 * or env vars (`/usr/bin/env ... sh -c`), and always on the local transport (Ruby's `popen3`),
 * it is `sh`. Rivet's own transfer and setup code always runs in `/bin/sh`.
 *
 * Setup failures (temp dir, write, chmod) are reported as a marker line on stderr and exit code
 * 125, which the connection turns into `puppetlabs.tasks/task_file_error` with Bolt's issue codes.
 *
 * @example
 * ```ts
 * const p = new ExecProtocol();
 * const line = p.commandLine(undefined);      // what goes on the exec request
 * const stdin = p.header({ env: { A: 'x' }, body: 'echo "$A"' }); // what goes first on stdin
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { shellJoin, shellQuote } from '../../core/shell.ts';
import { isEnvName } from './quote.ts';
import type { RunAs } from '../transport.ts';
import { UsageError } from '../../core/errors.ts';

/** Largest script carried on the exec request's command line (well below Linux's 128 KiB per argument). */
const INLINE_COMMAND_LIMIT = 32 * 1024;

/** Exit code the bootstrap uses for its own setup failures (never a command's). */
export const SETUP_FAILURE_EXIT = 125;

export interface ScriptParts {
  /** Exported for the body only. */
  env?: Readonly<Record<string, string>> | undefined;
  /** Runs in the main shell before the body (may call `__rivet_fail CODE "message"`). */
  setup?: string | Buffer | undefined;
  /** The command, run as a waited-for background job with the remaining stdin. */
  body: string;
  /**
   * What runs the body: `sh` (`/bin/sh`), or `login` (the login shell, `$SHELL`, as sshd would).
   * Default `sh`.
   */
  shell?: BodyShell | undefined;
  /** Runs after the body, and on TERM/HUP/INT. */
  teardown?: string | undefined;
  /** `cd` to the home directory first (Bolt does so for run-as). */
  cdHome?: boolean | undefined;
}

/** The shell that runs a script's body: `/bin/sh`, or the login user's shell (`$SHELL`). */
export type BodyShell = 'sh' | 'login';

/**
 * `exec <shell> -c '<body>' <name>`: the body as its own `-c` command, with `$0` the shell's bare
 * name, exactly as sshd (`bash -c`) or `sh -c` would run it.
 */
function shellInvocation(body: string, shell: BodyShell): string {
  if (shell === 'sh') return `exec /bin/sh -c ${shellQuote(body)} sh`;
  return `__rivet_sh=\${SHELL:-/bin/sh}; exec "$__rivet_sh" -c ${shellQuote(body)} "\${__rivet_sh##*/}"`;
}

export class ExecProtocol {
  /** Random per exec, so a command cannot forge Rivet's markers. */
  readonly token: string = `RIVET_${randomBytes(8).toString('hex')}`;

  /** The sudo prompt Rivet waits for. */
  get prompt(): string {
    return `[sudo] rivet ${this.token} password: `;
  }
  /** The line the bootstrap prints on stderr once sudo let it run. */
  get readyMarker(): string {
    return `${this.token}_READY`;
  }
  /** The prefix of the line, first on stderr, that reports the bootstrap's process group id. */
  get pgidPrefix(): string {
    return `${this.token}_PGID:`;
  }
  /** The prefix of a setup-failure line on stderr: `<token>_FAIL:<ISSUE_CODE>:<message>`. */
  get failPrefix(): string {
    return `${this.token}_FAIL:`;
  }

  /** Shell code reporting the process group id on stderr (field 5 of /proc/$$/stat, else `ps`). */
  #pgidReport(): string {
    // Field 5 of /proc/$$/stat, counted after the `)` that ends the command name.
    return (
      `__rivet_g=; if [ -r /proc/$$/stat ]; then IFS= read -r __rivet_g </proc/$$/stat; __rivet_g=\${__rivet_g##*) }; ` +
      `set -- $__rivet_g; __rivet_g=$3; else __rivet_g=$(ps -o pgid= -p $$ 2>/dev/null); fi; ` +
      `printf '%s%s\\n' ${this.pgidPrefix} $__rivet_g >&2; `
    );
  }

  /** The fixed bootstrap; it contains no data, only the token. */
  bootstrap(announce: boolean): string {
    const ready = announce ? `printf '%s\\n' ${this.readyMarker} >&2; ` : '';
    return (
      `${this.#pgidReport()}${ready}__rivet_n=; IFS= read -r __rivet_n || exit ${SETUP_FAILURE_EXIT}; __rivet_s=; ` +
      `while [ "$__rivet_n" -gt 0 ]; do IFS= read -r __rivet_l; __rivet_s="$__rivet_s$__rivet_l\n"; ` +
      `__rivet_n=$((__rivet_n - 1)); done; eval "$__rivet_s"`
    );
  }

  /**
   * The command line that carries the script itself instead of reading it from stdin: only for a
   * script that holds no data (no env values, no file content, no run-as; see
   * {@link ExecProtocol.canCarry}). It travels with the exec request and nothing is sent on stdin
   * but EOF. Such a script shows only what the process list shows anyway: the user's command.
   */
  inlineCommandLine(parts: ScriptParts): string {
    return shellJoin(['/bin/sh', '-c', `${this.#pgidReport()}${this.script(parts).toString('utf8')}`]);
  }

  /** True when `parts` may travel on the command line ({@link ExecProtocol.inlineCommandLine}). */
  static canCarry(parts: ScriptParts): boolean {
    if (Object.keys(parts.env ?? {}).length > 0 || Buffer.isBuffer(parts.setup)) return false;
    const size = parts.body.length + (parts.setup?.length ?? 0) + (parts.teardown?.length ?? 0);
    return size <= INLINE_COMMAND_LIMIT && !`${parts.body}${parts.setup ?? ''}${parts.teardown ?? ''}`.includes('\0');
  }

  /** The command line of the exec request. With run-as, wrapped in sudo (or `run-as-command`). */
  commandLine(runAs: RunAs | undefined): string {
    const boot = ['/bin/sh', '-c', this.bootstrap(runAs !== undefined)];
    if (runAs === undefined) return shellJoin(boot);
    const prefix = runAs.command
      ? [...runAs.command, runAs.user]
      : [runAs.sudoExecutable ?? 'sudo', '-S', '-H', '-u', runAs.user, '-p', this.prompt, '--'];
    return shellJoin([...prefix, ...boot]);
  }

  /** The script the bootstrap evals, framed with its line count: the first bytes of stdin. */
  header(parts: ScriptParts): Buffer {
    const script = this.script(parts);
    let lines = 0;
    for (const byte of script) if (byte === 0x0a) lines++;
    return Buffer.concat([Buffer.from(`${lines}\n`), script]);
  }

  /** The script itself: env, setup, the body as a waited-for job, teardown. */
  script(parts: ScriptParts): Buffer {
    const exports: string[] = [];
    for (const [name, value] of Object.entries(parts.env ?? {})) {
      if (!isEnvName(name)) throw new UsageError(`Invalid environment variable name '${name}'`);
      if (value.includes('\0')) throw new UsageError(`Environment variable '${name}' contains a NUL byte`);
      exports.push(`export ${name}=${shellQuote(value)}`);
    }
    const fail = this.failPrefix;
    const pieces: (string | Buffer)[] = [
      'unset __rivet_n __rivet_l __rivet_s __rivet_g',
      `__rivet_fail() { printf '%s%s:%s\\n' ${shellQuote(fail)} "$1" "$2" >&2; exit ${SETUP_FAILURE_EXIT}; }`,
      `__rivet_cleanup() { :; ${parts.teardown ?? ''}\n}`,
      `trap '__rivet_cleanup; trap "" TERM; kill -TERM 0 2>/dev/null; exit 143' TERM HUP INT`,
    ];
    if (parts.cdHome) pieces.push('cd 2>/dev/null');
    if (parts.setup !== undefined) pieces.push(parts.setup);
    pieces.push(
      'exec 3<&0',
      `(\n${exports.join('\n')}${exports.length ? '\n' : ''}${shellInvocation(parts.body, parts.shell ?? 'sh')}\n) <&3 3<&- &`,
      '__rivet_p=$!',
      'exec 3<&-',
      'wait "$__rivet_p"; __rivet_rc=$?',
      '__rivet_cleanup',
      'exit "$__rivet_rc"',
    );
    return Buffer.concat(pieces.flatMap((p) => [typeof p === 'string' ? Buffer.from(p) : p, Buffer.from('\n')]));
  }
}

/**
 * The script of the kill exec: TERM to process group `pgid`, KILL after `graceMs` if any of it is
 * left, then (once the group is gone) `rm -rf` of `tempDir`. Exits 0 only when the group is gone,
 * so a zero exit is the confirmation that the work was killed.
 *
 * @example
 * ```ts
 * killScript(4242, 2000, '/tmp/rivet.0123abcd'); // run with `/bin/sh -c`
 * ```
 */
export function killScript(pgid: number, graceMs: number, tempDir: string | undefined): string {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new RangeError(`Not a process group to kill: ${pgid}`);
  const ticks = Math.max(1, Math.ceil(graceMs / 100));
  return [
    // Alive: a member that is not a zombie (killed children of a killed parent wait for init to
    // reap them, which a container's init may never do). Without /proc, whatever `kill -0` says.
    `__rivet_alive() { kill -0 -${pgid} 2>/dev/null || return 1; [ -r /proc/self/stat ] || return 0; ` +
      `for __rivet_f in /proc/[0-9]*/stat; do IFS= read -r __rivet_l 2>/dev/null <"$__rivet_f" || continue; __rivet_l=\${__rivet_l##*) }; ` +
      `set -- $__rivet_l; [ "$3" = ${pgid} ] && [ "$1" != Z ] && return 0; done; return 1; }`,
    // Tenths of a second where `sleep` takes fractions (GNU, busybox), whole seconds elsewhere.
    '__rivet_wait() { __rivet_i=0; while __rivet_alive && [ "$__rivet_i" -lt "$1" ]; do sleep 0.1 2>/dev/null || sleep 1; __rivet_i=$((__rivet_i + 1)); done; }',
    `kill -TERM -${pgid} 2>/dev/null`,
    `__rivet_wait ${ticks}`,
    `if __rivet_alive; then kill -KILL -${pgid} 2>/dev/null; __rivet_wait ${ticks}; fi`,
    'if __rivet_alive; then exit 1; fi',
    ...(tempDir === undefined ? [] : [`rm -rf -- ${shellQuote(tempDir)}`]),
    'exit 0',
  ].join('\n');
}

/**
 * The process group id in the bootstrap's report, or undefined when it is not usable (only a plain
 * id above 1 is ever killed: `kill -0` would mean the killer's own group, `-1` every process).
 *
 * @example
 * ```ts
 * parsePgid(' 4242'); // 4242
 * parsePgid('1');     // undefined
 * ```
 */
export function parsePgid(reported: string | undefined): number | undefined {
  const text = reported?.trim() ?? '';
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
  const pgid = Number(text);
  return pgid > 1 ? pgid : undefined;
}

/**
 * Shell code that writes `content` to the file `pathExpr` (a shell expression such as
 * `"$__rivet_d/x"`). Works for any bytes except NUL, which callers check with {@link canInline}.
 */
export function writeFileSnippet(pathExpr: string, content: Buffer, mode: string): Buffer {
  const quoted: Buffer[] = [Buffer.from("printf '%s' '")];
  let start = 0;
  for (let i = 0; i < content.length; i++) {
    if (content[i] === 0x27) {
      quoted.push(content.subarray(start, i), Buffer.from(`'\\''`));
      start = i + 1;
    }
  }
  quoted.push(content.subarray(start), Buffer.from(`' > ${pathExpr} || __rivet_fail WRITE_ERROR "Could not write ${pathExpr.replaceAll('"', '')}"\n`));
  quoted.push(Buffer.from(`chmod ${mode} ${pathExpr} || __rivet_fail CHMOD_ERROR "Could not make ${pathExpr.replaceAll('"', '')} executable"`));
  return Buffer.concat(quoted);
}

/** Largest file Rivet sends inside the script itself (the shell reads the script byte by byte). */
export const INLINE_LIMIT = 256 * 1024;

/** True when the content can travel inside the script (no NUL byte, not too large). */
export function canInline(content: Buffer): boolean {
  return content.length <= INLINE_LIMIT && !content.includes(0);
}
