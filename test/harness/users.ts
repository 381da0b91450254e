/**
 * Test users for the SSH (and local run-as) tests. Root only; idempotent; safe when several test
 * files call it at once (a lock directory serialises them).
 *
 * WHAT THIS CHANGES ON THE MACHINE (only when missing; nothing is removed afterwards):
 * - creates users `rivet`, `rivetpw`, `rivetnosudo`, `rivetapp` with `useradd -m -s /bin/sh`
 *   (home `/home/<name>`, login shell `/bin/sh`: no bashrc, so no `pyenv init` lock that would
 *   serialise concurrent sessions);
 * - sets `rivetpw`'s password to `rivet-pw-123`; the others get the password field `*` (no
 *   password login, but not "locked", which sshd without PAM would refuse even for keys);
 * - writes `/etc/sudoers.d/rivet-test` (checked with `visudo -cf` first): `rivet` and `rivetapp`
 *   may sudo to anyone without a password, `rivetpw` with its password, `rivetnosudo` not at all;
 * - creates `/run/sshd` (sshd's privilege separation directory) when missing.
 * Authorized keys are NOT installed in the users' homes: each sshd started by `sshd.ts` reads
 * them from its own `AuthorizedKeysFile` in its temp dir (so each server has its own client key
 * and nothing about keys is left on the machine).
 *
 * @example
 * ```ts
 * if (isRoot()) await ensureTestUsers();
 * ```
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdir, rmdir, stat, writeFile, rename } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TEST_USERS = {
  /** Key login, password-less sudo. */
  main: 'rivet',
  /** Password login (`rivet-pw-123`), sudo asks for that password. */
  password: 'rivetpw',
  /** Key login, no sudo rights. */
  noSudo: 'rivetnosudo',
  /** A run-as target: others may become it; it also has password-less sudo. */
  app: 'rivetapp',
} as const;

export const TEST_PASSWORD = 'rivet-pw-123';

const SUDOERS_PATH = '/etc/sudoers.d/rivet-test';
const SUDOERS = `# Written by Rivet's test harness (test/harness/users.ts). Safe to delete.
Defaults:rivet,rivetpw,rivetapp,rivetnosudo lecture=never
rivet ALL=(ALL:ALL) NOPASSWD: ALL
rivetapp ALL=(ALL:ALL) NOPASSWD: ALL
rivetpw ALL=(ALL:ALL) ALL
`;
const LOCK = '/tmp/rivet-test-users.lock';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

async function userExists(name: string): Promise<boolean> {
  try {
    await run('id', ['-u', name]);
    return true;
  } catch {
    return false;
  }
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than 60 s is left over from a killed run.
      const st = await stat(LOCK).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60_000) {
        await rmdir(LOCK).catch(() => {});
        continue;
      }
      if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(LOCK).catch(() => {});
  }
}

let done: Promise<void> | undefined;

/** Creates the test users and their sudo rules (see the module doc). Root only. */
export function ensureTestUsers(): Promise<void> {
  if (!isRoot()) return Promise.reject(new Error('ensureTestUsers() needs root'));
  done ??= withLock(async () => {
    for (const name of Object.values(TEST_USERS)) {
      if (!(await userExists(name))) {
        try {
          await run('useradd', ['-m', '-s', '/bin/sh', name]);
        } catch (error) {
          if (!(await userExists(name))) throw error;
        }
        if (name === TEST_USERS.password) {
          await new Promise<void>((resolve, reject) => {
            const child = execFile('chpasswd', (err) => (err ? reject(err) : resolve()));
            child.stdin!.end(`${name}:${TEST_PASSWORD}\n`);
          });
        } else {
          await run('usermod', ['-p', '*', name]);
        }
      }
    }
    const current = await import('node:fs/promises').then((fs) => fs.readFile(SUDOERS_PATH, 'utf8')).catch(() => '');
    if (current !== SUDOERS) {
      const tmp = `${SUDOERS_PATH}.tmp-${process.pid}`;
      await writeFile(tmp, SUDOERS, { mode: 0o440 });
      await run('visudo', ['-cf', tmp]);
      await rename(tmp, SUDOERS_PATH); // sudo ignores files with a '.' in their name, so tmp was inert
    }
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  });
  return done;
}

/** A key-login user whose login shell is bash (no sudo rights): for login-shell tests. */
export const BASH_USER = 'rivetbash';

let bashUserDone: Promise<void> | undefined;

/**
 * Creates {@link BASH_USER} (login shell /bin/bash) if missing. Kept out of TEST_USERS and the
 * sudoers file, which other test files rewrite. Root only.
 */
export function ensureBashUser(): Promise<void> {
  if (!isRoot()) return Promise.reject(new Error('ensureBashUser() needs root'));
  bashUserDone ??= withLock(async () => {
    if (await userExists(BASH_USER)) return;
    try {
      await run('useradd', ['-m', '-s', '/bin/bash', BASH_USER]);
    } catch (error) {
      if (!(await userExists(BASH_USER))) throw error;
    }
    await run('usermod', ['-p', '*', BASH_USER]);
  });
  return bashUserDone;
}
