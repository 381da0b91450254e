/**
 * Starts Debian's PostgreSQL for tests: `initdb` in a temp dir, `pg_ctl start` on a free loopback
 * port (TCP on 127.0.0.1 only, its socket in the temp dir), trust authentication for loopback.
 * {@link PostgresServer.stop} stops it (`pg_ctl stop -m immediate`) and removes the dir.
 *
 * `initdb` refuses to run as root, so under root the cluster belongs to the unprivileged test user
 * `rivet` (made by `users.ts`) and every `pg_ctl` runs through `runuser`.
 *
 * @example
 * ```ts
 * await using pg = await startPostgres();
 * const url = pg.url; // postgres://rivet@127.0.0.1:PORT/postgres
 * ```
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureTestUsers, isRoot, TEST_USERS } from './users.ts';

const run = promisify(execFile);

/** The newest `/usr/lib/postgresql/<version>/bin`, or undefined when Postgres is not installed. */
export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** Why Postgres tests cannot run here, or undefined when they can. */
export function postgresSkipReason(): string | undefined {
  if (postgresBinDir() === undefined) return 'PostgreSQL is not installed (Debian: apt-get install postgresql)';
  return undefined;
}

export interface PostgresServer extends AsyncDisposable {
  readonly port: number;
  /** `postgres://<user>@127.0.0.1:<port>/postgres` (trust authentication, no password). */
  readonly url: string;
  /** `postgres://...` for another database of this server (created with {@link createDatabase}). */
  urlFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** `pg_dump` of a database, as SQL text. */
  dump(database?: string): Promise<string>;
  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend): connections stay open and
   * queries get no answer, as with a database host that hangs. Resolves with the function that
   * thaws it (SIGCONT).
   */
  freeze(): Promise<() => Promise<void>>;
  /** Bytes clients sent that the server has not read yet (queries waiting on a frozen server), from /proc/net/tcp. */
  unreadBytes(): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a fresh cluster; retries on another port if the chosen one was taken meanwhile. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(postgresSkipReason());
  const root = isRoot();
  if (root) await ensureTestUsers();
  const owner = root ? TEST_USERS.main : undefined;
  const as = (cmd: string, args: string[]) => (owner === undefined ? run(cmd, args, { timeout: 120_000 }) : run('runuser', ['-u', owner, '--', cmd, ...args], { timeout: 120_000 }));

  const dir = await mkdtemp(join(tmpdir(), 'rivet-pg-'));
  const data = join(dir, 'data');
  if (owner !== undefined) {
    const { stdout } = await run('id', ['-u', owner]);
    const { stdout: gid } = await run('id', ['-g', owner]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  const user = owner ?? (await run('id', ['-un'])).stdout.trim();
  try {
    await as(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
      try {
        await as(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '120', 'start']);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    const url = (database: string) => `postgres://${user}@127.0.0.1:${port}/${database}`;
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    };
    return {
      port,
      url: url('postgres'),
      urlFor: url,
      async createDatabase(name) {
        await run(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, name]);
      },
      async dump(database = 'postgres') {
        const { stdout } = await run(join(bin, 'pg_dump'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, database], { maxBuffer: 512 * 1024 * 1024 });
        return stdout;
      },
      async freeze() {
        const postmaster = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
        const children = await run('pgrep', ['-P', String(postmaster)]).then(
          (r) => r.stdout.trim().split('\n').filter(Boolean).map(Number),
          () => [] as number[],
        );
        const pids = [postmaster, ...children];
        for (const pid of pids) process.kill(pid, 'SIGSTOP');
        return async () => {
          for (const pid of pids) {
            try {
              process.kill(pid, 'SIGCONT');
            } catch {
              // gone meanwhile
            }
          }
        };
      },
      async unreadBytes() {
        const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
        let total = 0;
        for (const line of (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1)) {
          const fields = line.trim().split(/\s+/);
          // local_address rem_address st tx_queue:rx_queue; 01 = ESTABLISHED, on the server's side.
          if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '01') total += parseInt(fields[4]!.split(':')[1]!, 16);
        }
        return total;
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await writeFile(join(dir, 'failed'), String(error)).catch(() => {});
    await as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
