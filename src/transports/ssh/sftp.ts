/**
 * Recursive file and directory copies over one SFTP session: `mkdir -p` on the remote side,
 * modes preserved, big files with `fastPut`/`fastGet` (many requests in flight), several files of
 * a directory at once.
 *
 * @example
 * ```ts
 * await sftpPut(sftp, './site', '/srv/www/site', signal);
 * await sftpGet(sftp, '/etc/hosts', './hosts', signal);
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readlink, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';

/** Files transferred at once within a directory copy (requests pipeline over one channel). */
const PARALLEL_FILES = 8;

function promisify<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

const sstat = (sftp: SFTPWrapper, path: string): Promise<Stats> => promisify<Stats>((cb) => sftp.stat(path, cb));
const NO_SUCH_FILE = 2;

async function sstatOrUndefined(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  try {
    return await sstat(sftp, path);
  } catch (error) {
    if ((error as { code?: number }).code === NO_SUCH_FILE) return undefined;
    throw error;
  }
}

/** `mkdir -p` on the remote. */
export async function sftpMkdirP(sftp: SFTPWrapper, dir: string): Promise<void> {
  const st = await sstatOrUndefined(sftp, dir);
  if (st) {
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
    return;
  }
  const parent = posix.dirname(dir);
  if (parent !== dir) await sftpMkdirP(sftp, parent);
  try {
    await promisify<void>((cb) => sftp.mkdir(dir, cb));
  } catch (error) {
    // Raced with another mkdir: fine if it is a directory now.
    const again = await sstatOrUndefined(sftp, dir);
    if (!again?.isDirectory()) throw error;
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (i < items.length && failure === undefined) {
      const item = items[i++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

function hasPosixRename(sftp: SFTPWrapper): boolean {
  const ext = (sftp as unknown as { _extensions?: Record<string, string> })._extensions;
  return ext?.['posix-rename@openssh.com'] !== undefined;
}

/**
 * Writes `local` to `remote`. With OpenSSH's posix-rename extension the file is written to a
 * temp name next to it and renamed over the target, so readers (and a script being replaced
 * while it runs) never see a half-written file; otherwise it is written in place.
 */
async function putFile(sftp: SFTPWrapper, local: string, remote: string, mode: number, signal: AbortSignal): Promise<void> {
  checkAbort(signal);
  const atomic = hasPosixRename(sftp);
  const dest = atomic ? posix.join(posix.dirname(remote), `.rivet-upload-${randomBytes(6).toString('hex')}`) : remote;
  try {
    await promisify<void>((cb) => sftp.fastPut(local, dest, { mode: mode & 0o7777 }, (err) => cb(err)));
    // open() applied the server's umask and kept an existing file's mode: set it exactly.
    await promisify<void>((cb) => sftp.chmod(dest, mode & 0o7777, cb));
    if (atomic) await promisify<void>((cb) => sftp.ext_openssh_rename(dest, remote, cb));
  } catch (error) {
    if (atomic) sftp.unlink(dest, () => {});
    throw error;
  }
}

/**
 * Makes the private directory `dir` (mode 700, as `mkdir -m 700`): its parent must exist, and so
 * must not `dir` (a fresh random name: an existing one is not ours).
 */
async function sftpMkdirPrivate(sftp: SFTPWrapper, dir: string): Promise<void> {
  await promisify<void>((cb) => sftp.mkdir(dir, { mode: 0o700 }, cb));
  // The server's umask applies to mkdir: set the mode exactly.
  await promisify<void>((cb) => sftp.chmod(dir, 0o700, cb));
}

/**
 * Copies a local file or directory (recursively) to `remote`, creating parents; with
 * `privateParent`, `remote`'s parent is a new private directory (see {@link sftpMkdirPrivate}).
 */
export async function sftpPut(sftp: SFTPWrapper, local: string, remote: string, signal: AbortSignal, options: { privateParent?: boolean | undefined } = {}): Promise<void> {
  const st = await stat(local);
  if (options.privateParent) await sftpMkdirPrivate(sftp, posix.dirname(remote));
  if (!st.isDirectory()) {
    await sftpMkdirP(sftp, posix.dirname(remote));
    await putFile(sftp, local, remote, st.mode, signal);
    return;
  }
  const files: { local: string; remote: string; mode: number }[] = [];
  const dirs: { remote: string; mode: number }[] = [];
  const links: { remote: string; target: string }[] = [];
  const walk = async (l: string, r: string, mode: number): Promise<void> => {
    checkAbort(signal);
    dirs.push({ remote: r, mode });
    for (const entry of await readdir(l, { withFileTypes: true })) {
      const lp = join(l, entry.name);
      const rp = posix.join(r, entry.name);
      // Symlinks stay symlinks (never followed out of the tree; dangling ones too), as the tar
      // path (run-as, no SFTP) and the local transport keep them.
      const est = await lstat(lp);
      if (est.isSymbolicLink()) links.push({ remote: rp, target: await readlink(lp) });
      else if (est.isDirectory()) await walk(lp, rp, est.mode);
      else if (est.isFile()) files.push({ local: lp, remote: rp, mode: est.mode });
    }
  };
  await walk(local, remote, st.mode);
  await sftpMkdirP(sftp, remote);
  for (const d of dirs.slice(1)) {
    checkAbort(signal);
    await sftpMkdirP(sftp, d.remote);
  }
  await forEachLimited(files, PARALLEL_FILES, (f) => putFile(sftp, f.local, f.remote, f.mode, signal));
  for (const link of links) {
    checkAbort(signal);
    // ssh2 swaps the arguments for OpenSSH servers, whose SSH_FXP_SYMLINK has them reversed.
    await promisify<void>((cb) => sftp.symlink(link.target, link.remote, cb));
  }
  // Directory modes last (a read-only directory would refuse its files).
  for (const d of dirs.reverse()) {
    await promisify<void>((cb) => sftp.chmod(d.remote, d.mode & 0o7777, cb));
  }
}

async function getFile(sftp: SFTPWrapper, remote: string, local: string, mode: number, signal: AbortSignal): Promise<void> {
  checkAbort(signal);
  await promisify<void>((cb) => sftp.fastGet(remote, local, (err) => cb(err)));
  await chmod(local, mode & 0o7777);
}

/** Copies a remote file or directory (recursively) to `local`, replacing it. */
export async function sftpGet(sftp: SFTPWrapper, remote: string, local: string, signal: AbortSignal): Promise<void> {
  const st = await sstat(sftp, remote);
  const existing = await lstat(local).catch(() => undefined);
  if (existing) await rm(local, { recursive: true, force: true });
  await mkdir(dirname(local), { recursive: true });
  if (!st.isDirectory()) {
    await getFile(sftp, remote, local, st.mode, signal);
    return;
  }
  const files: { remote: string; local: string; mode: number }[] = [];
  const dirs: { local: string; mode: number }[] = [];
  const walk = async (r: string, l: string, mode: number): Promise<void> => {
    checkAbort(signal);
    dirs.push({ local: l, mode });
    await mkdir(l, { recursive: true });
    const list = await promisify<{ filename: string; attrs: Stats }[]>((cb) => sftp.readdir(r, cb));
    for (const entry of list) {
      if (entry.filename === '.' || entry.filename === '..') continue;
      const rp = posix.join(r, entry.filename);
      const lp = join(l, entry.filename);
      let attrs = entry.attrs;
      if (attrs.isSymbolicLink()) attrs = await sstat(sftp, rp); // follow, as scp -r does
      if (attrs.isDirectory()) await walk(rp, lp, attrs.mode);
      else if (attrs.isFile()) files.push({ remote: rp, local: lp, mode: attrs.mode });
    }
  };
  await walk(remote, local, st.mode);
  await forEachLimited(files, PARALLEL_FILES, (f) => getFile(sftp, f.remote, f.local, f.mode, signal));
  for (const d of dirs.reverse()) await chmod(d.local, d.mode & 0o7777);
}
