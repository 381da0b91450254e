/**
 * Git modules through the real `git` binary: a ref (branch, tag or commit) is resolved to a commit
 * with `git ls-remote` (the lock records the commit), then only that commit is fetched
 * (`--depth 1`), falling back to a full fetch when the server refuses to serve a commit by id.
 * The checkout keeps no `.git` directory: `.modules` is managed, and the lock names the commit.
 *
 * @example
 * ```ts
 * const commit = await resolveGitRef('https://github.com/puppetlabs/puppetlabs-stdlib', 'main', { signal });
 * await checkoutGitCommit('https://github.com/puppetlabs/puppetlabs-stdlib', commit, '/p/stage/stdlib', { signal });
 * ```
 * @module
 */
import { execFile } from 'node:child_process';
import { readdir, readlink, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { safeUri, splitAuthority } from '../../core/uri-passwords.ts';
import { installError, resolverError } from './errors.ts';

export interface GitOptions {
  /** `module-install.proxy`: given to git as http(s)_proxy. */
  proxy?: string | undefined;
  signal?: AbortSignal | undefined;
}

const GIT_TIMEOUT_MS = 10 * 60_000;
const MAX_GIT_OUTPUT = 16 * 1024 * 1024;
const FULL_SHA = /^[0-9a-f]{40}$/;

/** A URL without its password, for messages; over http(s) without the user name too (often a token). */
export function safeUrl(url: string): string {
  const { scheme, userinfo, hostPort, tail } = splitAuthority(url);
  if (userinfo === undefined || scheme === '') return url;
  return /^https?:/i.test(scheme) ? `${scheme}${hostPort}${tail}` : safeUri(url);
}

function git(args: readonly string[], options: GitOptions, cwd?: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' };
  if (options.proxy !== undefined) {
    env['http_proxy'] = options.proxy;
    env['https_proxy'] = options.proxy;
  }
  return new Promise((done, fail) => {
    execFile('git', [...args], { cwd, env, timeout: GIT_TIMEOUT_MS, maxBuffer: MAX_GIT_OUTPUT, signal: options.signal, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return done(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return fail(installError('git is not installed: Rivet needs the git command to install git modules', {}));
      const err = new Error(stderr.trim().split('\n').filter((l) => l !== '').slice(-3).join('; ') || error.message);
      fail(err);
    });
  });
}

/** The commit `ref` names in the repository at `url`; a ref that does not exist is a resolver error. */
export async function resolveGitRef(url: string, ref: string, options: GitOptions): Promise<string> {
  if (FULL_SHA.test(ref)) return ref;
  let out: string;
  try {
    out = await git(['ls-remote', '--', url, ref, `refs/tags/${ref}^{}`], options);
  } catch (error) {
    throw installError(`cannot read the git repository ${safeUrl(url)}: ${(error as Error).message}`, { git: safeUrl(url) }, error);
  }
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha !== undefined && name !== undefined) refs.set(name, sha);
  }
  const sha = refs.get(`refs/tags/${ref}^{}`) ?? refs.get(`refs/heads/${ref}`) ?? refs.get(`refs/tags/${ref}`) ?? refs.get(ref);
  if (sha !== undefined) return sha;
  throw resolverError(`git ref '${ref}' does not exist in ${safeUrl(url)} (not a branch or tag; give a full 40-character commit id for a commit)`, { git: safeUrl(url), ref });
}

/** Puts the files of `commit` from `url` into `dest` (which must not exist), without `.git`. */
export async function checkoutGitCommit(url: string, commit: string, dest: string, options: GitOptions): Promise<void> {
  // The commit comes from the lock file too: only a full commit id reaches git's arguments.
  if (!FULL_SHA.test(commit)) throw installError(`'${commit}' is not a full 40-character commit id (${safeUrl(url)})`, { git: safeUrl(url), commit });
  try {
    await git(['init', '-q', dest], options);
    await git(['remote', 'add', '--', 'origin', url], options, dest);
    try {
      await git(['fetch', '-q', '--depth', '1', 'origin', commit], options, dest);
    } catch {
      // The server does not serve commits by id: fetch everything, then pick the commit.
      await git(['fetch', '-q', '--tags', 'origin', '+refs/heads/*:refs/remotes/origin/*'], options, dest);
    }
    await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', commit], options, dest);
    const head = (await git(['rev-parse', 'HEAD'], options, dest)).trim();
    if (head !== commit) throw new Error(`checked out ${head}, not ${commit}`);
  } catch (error) {
    if (error instanceof Error && 'kind' in error) throw error;
    throw installError(`cannot check out commit ${commit} of ${safeUrl(url)}: ${(error as Error).message}`, { git: safeUrl(url), commit }, error);
  }
  await rm(join(dest, '.git'), { recursive: true, force: true });
  await refuseLinksOutOfTree(dest, url);
}

/**
 * A checked-out module may keep symbolic links inside its own tree only (as a Forge tarball):
 * a link to an absolute path or out of the module would let a task or `upload_file` read the
 * controller's files.
 */
async function refuseLinksOutOfTree(root: string, url: string): Promise<void> {
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const link = join(entry.parentPath, entry.name);
    const target = await readlink(link);
    const resolved = resolve(dirname(link), target);
    if (isAbsolute(target) || (resolved !== root && !resolved.startsWith(`${root}${sep}`))) {
      throw installError(`the git module ${safeUrl(url)} has a symbolic link out of its tree: ${relative(root, link)} -> ${target}`, { git: safeUrl(url), path: relative(root, link) });
    }
  }
}
