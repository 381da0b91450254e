/**
 * The lock, `rivet-lock.yaml` next to the project file: every installed module with its exact
 * version (Forge), commit (git) or path (local), the sha256 of the Forge tarball, and the sha256
 * of the installed tree (`content`), so another machine installs the same bytes and a re-run
 * sees that nothing needs doing. The text is deterministic: the same modules give the same bytes.
 *
 * @example
 * ```ts
 * const lock = readLock('/p');            // undefined when there is none
 * writeFileSync(lockPath('/p'), formatLock(lock!.modules));
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../../core/errors.ts';
import { YamlSource } from '../inventory/source.ts';
import { INSTALL_ERROR } from './errors.ts';
import { MODULE_NAME_PATTERN } from './specs.ts';

export const LOCK_FILE = 'rivet-lock.yaml';
const LOCK_VERSION = 1;

interface LockedBase {
  /** Directory name in `.modules`. */
  dir: string;
  /** sha256 of the installed tree ({@link treeDigest}). */
  content: string;
}
export interface LockedForge extends LockedBase {
  source: 'forge';
  /** `owner-name` */
  name: string;
  version: string;
  file: string;
  sha256: string;
}
export interface LockedGit extends LockedBase {
  source: 'git';
  /** `owner-name` from metadata.json, else the directory name. */
  name: string;
  git: string;
  ref: string;
  commit: string;
}
export interface LockedLocal extends LockedBase {
  source: 'local';
  name: string;
  /** As written in the Puppetfile, resolved against the project directory. */
  path: string;
}
export type LockedModule = LockedForge | LockedGit | LockedLocal;

export interface Lock {
  path: string;
  text: string;
  modules: LockedModule[];
}

export function lockPath(projectDir: string): string {
  return join(projectDir, LOCK_FILE);
}

/** The lock's text for these modules (sorted by directory). */
export function formatLock(modules: readonly LockedModule[]): string {
  const sorted = [...modules].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const rows = sorted.map((m) => {
    switch (m.source) {
      case 'forge':
        return { name: m.name, dir: m.dir, source: m.source, version: m.version, file: m.file, sha256: m.sha256, content: m.content };
      case 'git':
        return { name: m.name, dir: m.dir, source: m.source, git: m.git, ref: m.ref, commit: m.commit, content: m.content };
      case 'local':
        return { name: m.name, dir: m.dir, source: m.source, path: m.path, content: m.content };
    }
  });
  return `# Written by \`rivet module install\`: the exact modules in .modules. Commit it; do not edit it.\n${stringify({ version: LOCK_VERSION, modules: rows }, { lineWidth: 0 })}`;
}

/** Reads and checks the lock; undefined when the project has none. */
export function readLock(projectDir: string): Lock | undefined {
  const path = lockPath(projectDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(INSTALL_ERROR, `cannot read the lock: ${(error as Error).message}`, { file: path });
  }
  const src = YamlSource.fromText(text, path, INSTALL_ERROR);
  const data = src.data as { version?: unknown; modules?: unknown } | null;
  const fail = (keyPath: (string | number)[], msg: string): never => {
    throw src.fail(keyPath, `${msg} (delete ${LOCK_FILE} and run 'rivet module install' to write it again)`, INSTALL_ERROR);
  };
  if (data === null || typeof data !== 'object' || data.version !== LOCK_VERSION) fail(['version'], `the lock must have version: ${LOCK_VERSION}`);
  if (!Array.isArray(data!.modules)) fail(['modules'], 'the lock must list modules');
  const modules = (data!.modules as Record<string, unknown>[]).map((m, i): LockedModule => {
    const str = (key: string): string => {
      const v = m?.[key];
      if (typeof v !== 'string' || v === '') fail(['modules', i, key], `'${key}' must be a string`);
      return v as string;
    };
    const dir = str('dir');
    if (!MODULE_NAME_PATTERN.test(dir)) fail(['modules', i, 'dir'], `'${dir}' is not a module name`);
    const source = str('source');
    const base = { name: str('name'), dir, content: str('content') };
    if (source === 'forge') return { ...base, source, version: str('version'), file: str('file'), sha256: str('sha256') };
    if (source === 'git') {
      const commit = str('commit');
      if (!/^[0-9a-f]{40}$/.test(commit)) fail(['modules', i, 'commit'], `'${commit}' is not a full 40-character commit id`);
      return { ...base, source, git: str('git'), ref: str('ref'), commit };
    }
    if (source === 'local') return { ...base, source, path: str('path') };
    return fail(['modules', i, 'source'], `unknown source '${source}'`);
  });
  return { path, text, modules };
}

/**
 * The sha256 of a directory tree: every entry's relative path, kind, executable bit and content
 * (a link's target), in sorted order. Timestamps and owners do not count.
 */
export async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(join(dir, path));
      if (info.isDirectory()) {
        hash.update(`d ${path}\0`);
        await walk(path);
      } else if (info.isSymbolicLink()) {
        hash.update(`l ${path}\0${await readlink(join(dir, path))}\0`);
      } else if (info.isFile()) {
        const content = createHash('sha256').update(await readFile(join(dir, path))).digest('hex');
        hash.update(`f ${path}\0${info.mode & 0o111 ? 'x' : '-'}${content}\0`);
      }
    }
  };
  await walk('');
  return hash.digest('hex');
}
