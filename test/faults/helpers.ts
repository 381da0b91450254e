/**
 * Helpers for the fault suite: the real `rivet` binary as a child process, with its peak RSS; a
 * TCP proxy that can silently stop passing data.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rivet.mjs');

export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the rivet process, in KiB (GNU time's %M). */
  maxRssKiB: number;
}

/**
 * Runs `node bin/rivet.mjs ...args` under `/usr/bin/time -f %M` (GNU time), so the peak RSS of the
 * controller process is measured by the kernel (getrusage), not sampled. stdout is collected up to
 * `keepStdout` characters (the rest is counted in `stdoutBytes`).
 */
export function rivetWithRss(args: string[], cwd: string, keepStdout = 64 * 1024 * 1024): Promise<BinRun & { stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'RIVET_MAXRSS=%M', process.execPath, BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdoutBytes += Buffer.byteLength(text);
      if (stdout.length < keepStdout) stdout += text;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /RIVET_MAXRSS=(\d+)/.exec(stderr);
      resolve({ code, stdout, stdoutBytes, stderr: stderr.replace(/RIVET_MAXRSS=\d+\n?/, ''), maxRssKiB: m ? Number(m[1]) : Number.NaN });
    });
  });
}

/**
 * Like {@link rivetWithRss}, with the binary's stdout going straight to a file (as `> file` in a
 * shell): returns the file's size instead of the text.
 */
export function rivetWithRssToFile(args: string[], cwd: string, file: string): Promise<{ code: number | null; stderr: string; maxRssKiB: number; stdoutBytes: number }> {
  const fd = openSync(file, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'RIVET_MAXRSS=%M', process.execPath, BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', fd, 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(fd);
      const m = /RIVET_MAXRSS=(\d+)/.exec(stderr);
      resolve({ code, stderr: stderr.replace(/RIVET_MAXRSS=\d+\n?/, ''), maxRssKiB: m ? Number(m[1]) : Number.NaN, stdoutBytes: statSync(file).size });
    });
  });
}

/**
 * Like {@link rivetWithRss}, with stdout going into a pipe that nobody reads until the file
 * `holdUntil` exists (the target creates it once it has written everything), then is read to its
 * end: a reader slower than a flooding target however loaded the machine is (a reader that only
 * reads slowly can keep up with a controller starved of CPU). The reader is a shell (`cat` into a
 * file), so nothing of the stream is lost at exit. Gives the last 1 MiB of stdout, the byte count
 * and every line saying live output was not shown (in `markers`).
 */
export async function rivetWithRssSlowReader(args: string[], cwd: string, holdUntil: string): Promise<BinRun & { stdoutBytes: number; markers: string[] }> {
  const out = join(cwd, `slow-reader-${process.pid}-${Date.now()}.out`);
  const err = `${out}.err`;
  const status = `${out}.code`;
  const script = '{ "$@" 2>"$ERR"; echo $? >"$CODE"; } | { while [ ! -e "$DONE" ]; do sleep 0.05; done; cat >"$OUT"; }';
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script, 'sh', '/usr/bin/time', '-f', 'RIVET_MAXRSS=%M', process.execPath, BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ERR: err, CODE: status, DONE: holdUntil, OUT: out },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  const text = readFileSync(out, 'utf8');
  const stderr = readFileSync(err, 'utf8');
  const markers = text.split('\n').filter((line) => line.length < 1000 && / bytes of live output .*not shown/.test(line));
  const m = /RIVET_MAXRSS=(\d+)/.exec(stderr);
  const code = Number(readFileSync(status, 'utf8').trim());
  return { code, stdout: text.slice(-1024 * 1024), stdoutBytes: statSync(out).size, markers, stderr: stderr.replace(/RIVET_MAXRSS=\d+\n?/, ''), maxRssKiB: m ? Number(m[1]) : Number.NaN };
}

/**
 * A TCP proxy to a loopback port that forwards both ways until {@link DroppingProxy.blackhole}:
 * then nothing passes, in either direction, and no side is closed (no FIN, no RST: a FIN from a
 * client is never answered, its side stays half open).
 */
export class DroppingProxy {
  readonly #server: Server;
  readonly #sockets: Socket[] = [];
  #dropping = false;

  constructor(upstreamPort: number) {
    this.#server = createServer({ allowHalfOpen: true }, (client) => {
      const upstream = netConnect({ port: upstreamPort, host: '127.0.0.1', allowHalfOpen: true });
      this.#sockets.push(client, upstream);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        from.on('data', (chunk: Buffer) => {
          if (!this.#dropping) to.write(chunk);
        });
        from.on('error', () => {});
      }
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve((this.#server.address() as { port: number }).port)));
  }

  /** From now on nothing passes, in either direction; no FIN, no RST. */
  blackhole(): void {
    this.#dropping = true;
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
