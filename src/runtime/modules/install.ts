/**
 * `rivet module install` and `rivet module add`: from the project's specs (or its Puppetfile) to
 * `.modules/` and `rivet-lock.yaml`.
 *
 * 1. With a lock that still satisfies the specs (and no `--force`), the lock is the plan: exact
 *    versions, commits and checksums. Otherwise the specs are resolved (Forge API, `git
 *    ls-remote`) into a new plan.
 * 2. Modules whose installed tree already has the locked digest are kept. When every module is
 *    kept, nothing is extra and the lock text is unchanged, the install is up to date: no network,
 *    no writes.
 * 3. Otherwise a complete new `.modules` is built in a staging directory inside the project
 *    (`.rivet-modules-XXXXXX`, same filesystem), then swapped in with renames, together with the
 *    new lock (and, for `add`, the project file). Any failure leaves `.modules`, the lock and the
 *    project file as they were.
 *
 * @example
 * ```ts
 * const report = await installModules({ project, signal });
 * report.upToDate; // true on a second run
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve as resolvePath } from 'node:path';
import { parseDocument, isSeq } from 'yaml';
import { ConfigError, ErrorKind, RivetError } from '../../core/errors.ts';
import { hasUriPassword, splitAuthority } from '../../core/uri-passwords.ts';
import type { Project } from '../project.ts';
import { installError, resolverError } from './errors.ts';
import { ForgeClient, forgeOptionsFrom, type ForgeRelease } from './forge.ts';
import { checkoutGitCommit, resolveGitRef, safeUrl } from './git.ts';
import { formatLock, LOCK_FILE, lockPath, readLock, treeDigest, type Lock, type LockedModule } from './lock.ts';
import { parsePuppetfile } from './puppetfile.ts';
import { resolveForge, type Requirement } from './resolver.ts';
import { describeSpec, parseForgeName, specError, specsFromProject, type ModuleSpec } from './specs.ts';
import { unpackModuleTarball } from './tarball.ts';
import { exactVersion, newestFirst, satisfiesPuppetRange } from './version-range.ts';

export const MANAGED_DIR = '.modules';
export const PUPPETFILE = 'Puppetfile';
const STAGE_PREFIX = '.rivet-modules-';

export interface InstallOptions {
  project: Pick<Project, 'dir' | 'file' | 'config'>;
  /** Resolve again even when the lock satisfies the specs (`--force`). */
  force?: boolean;
  /** `--no-resolve`: install the Puppetfile as written, without following dependencies. */
  resolve?: boolean;
  /** `rivet module add NAME`: add this Forge module to the project file's `modules`. */
  add?: string;
  signal?: AbortSignal;
  /** Progress lines for people. */
  onProgress?: (line: string) => void;
}

export interface InstallReport {
  modulesDir: string;
  lockPath: string;
  modules: LockedModule[];
  /** Nothing needed doing: no network, no writes. */
  upToDate: boolean;
  /** `add` of a module the project file already has. */
  alreadyAdded?: boolean;
  /** `install` in a project whose file lists no modules and that has no Puppetfile: nothing done (Bolt's "Nothing to do."). */
  noDependencies?: boolean;
  /** Directories installed or replaced, and removed. */
  changed: string[];
  removed: string[];
  warnings: string[];
}

interface Planned {
  locked: LockedModule;
  /** Set when the plan came from the lock (content must match), unset when freshly resolved. */
  fromLock: boolean;
  /** A staged tree already made while resolving (git). */
  staged?: string;
  release?: ForgeRelease;
}

/** The specs to install and where they come from. */
function loadSpecs(options: InstallOptions, warnings: string[]): { specs: ModuleSpec[]; resolve: boolean; forge?: string | undefined } | 'no-dependencies' {
  const { project } = options;
  const puppetfile = join(project.dir, PUPPETFILE);
  const fromPuppetfile = () => {
    const parsed = parsePuppetfile(readFileSync(puppetfile, 'utf8'), puppetfile, project.dir);
    warnings.push(...parsed.warnings);
    return { specs: parsed.specs, resolve: false, forge: parsed.forge };
  };
  if (options.resolve === false) {
    if (!existsSync(puppetfile)) throw new ConfigError(ErrorKind.Project, `--no-resolve installs the modules of the Puppetfile, and there is none at ${puppetfile}`, { file: puppetfile });
    return fromPuppetfile();
  }
  const specs = specsFromProject(project);
  if (specs !== undefined) return { specs, resolve: true };
  if (options.add === undefined && existsSync(puppetfile)) {
    warnings.push(`the project file has no 'modules' key: installing the modules of ${puppetfile} as written (no dependency resolution)`);
    return fromPuppetfile();
  }
  if (options.add !== undefined) return { specs: [], resolve: true };
  // Bolt 3.30 (lib/bolt/application.rb install_modules): a project file without modules is nothing to do, not an error.
  if (project.file !== undefined) return 'no-dependencies';
  throw new ConfigError(ErrorKind.Project, `the project has no modules to install: list them under 'modules' in ${project.file ?? 'rivet-project.yaml'}, or run 'rivet module add owner/name'`, project.file === undefined ? {} : { file: project.file });
}

/** True when the lock entry is what the spec asks for. */
function entrySatisfies(spec: ModuleSpec, entry: LockedModule, projectDir: string): boolean {
  switch (spec.type) {
    case 'forge':
      return entry.source === 'forge' && entry.name === spec.slug && satisfiesPuppetRange(entry.version, spec.versionRequirement);
    case 'git':
      return entry.source === 'git' && entry.git === spec.git && entry.ref === spec.ref && (spec.moduleName === undefined || entry.dir === spec.moduleName);
    case 'local':
      return entry.source === 'local' && resolvePath(projectDir, entry.path) === spec.path && entry.dir === spec.moduleName;
  }
}

function unsatisfied(specs: readonly ModuleSpec[], lock: Lock, projectDir: string): ModuleSpec[] {
  return specs.filter((spec) => !lock.modules.some((entry) => entrySatisfies(spec, entry, projectDir)));
}

async function readMetadata(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    const data = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as unknown;
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

/** Resolves specs into a plan; git modules are checked out into `stageModules` on the way. */
async function resolvePlan(specs: readonly ModuleSpec[], follow: boolean, ctx: { forge: ForgeClient; stageModules: string; projectDir: string; proxy: string | undefined; signal: AbortSignal | undefined; prefer: Map<string, string>; progress: (l: string) => void }): Promise<Planned[]> {
  const planned: Planned[] = [];
  const fixed = new Map<string, { version: string | undefined; by: string }>();
  const roots: Requirement[] = [];
  const where = (spec: ModuleSpec): string => `${relative(ctx.projectDir, spec.origin.file) || spec.origin.file}${spec.origin.line === undefined ? '' : `:${spec.origin.line}`}`;
  for (const spec of specs) {
    if (spec.type === 'git') {
      // A password, or any user name over http(s) (where it is usually a token: https://TOKEN@host).
      if (hasUriPassword(spec.git) || (/^https?:\/\//i.test(spec.git) && splitAuthority(spec.git).userinfo !== undefined)) {
        throw specError(spec, `the git URL ${safeUrl(spec.git)} has a password or token in it: use a credential helper or an SSH key (Rivet writes git URLs to ${LOCK_FILE} and never writes passwords to disk)`);
      }
      ctx.progress(`Resolving git module ${safeUrl(spec.git)} ${spec.ref}`);
      const commit = await resolveGitRef(spec.git, spec.ref, { proxy: ctx.proxy, signal: ctx.signal });
      const tmp = join(ctx.stageModules, `.git-${planned.length}`);
      await checkoutGitCommit(spec.git, commit, tmp, { proxy: ctx.proxy, signal: ctx.signal });
      const metadata = await readMetadata(tmp);
      const fullName = typeof metadata?.['name'] === 'string' ? parseForgeName(metadata['name']) : undefined;
      const dir = spec.moduleName ?? fullName?.moduleName;
      if (dir === undefined) throw installError(`git module ${safeUrl(spec.git)} has no metadata.json naming it: give it a 'name' in the project file`, { git: safeUrl(spec.git) });
      const name = fullName?.slug ?? dir;
      fixed.set(name, { version: typeof metadata?.['version'] === 'string' ? metadata['version'] : undefined, by: `git module ${name} (${where(spec)})` });
      if (spec.resolve && follow) {
        for (const dep of Array.isArray(metadata?.['dependencies']) ? (metadata['dependencies'] as Record<string, unknown>[]) : []) {
          const parsed = typeof dep?.['name'] === 'string' ? parseForgeName(dep['name']) : undefined;
          if (parsed !== undefined) roots.push({ slug: parsed.slug, range: typeof dep['version_requirement'] === 'string' ? dep['version_requirement'] : undefined, by: `git module ${name}` });
        }
      }
      planned.push({ locked: { source: 'git', name, dir, git: spec.git, ref: spec.ref, commit, content: '' }, fromLock: false, staged: tmp });
    } else if (spec.type === 'local') {
      if (!(await isDir(spec.path))) throw installError(`local module '${spec.moduleName}': ${spec.path} is not a directory (${where(spec)})`, { path: spec.path });
      fixed.set(spec.moduleName, { version: undefined, by: `local module ${spec.moduleName}` });
      planned.push({ locked: { source: 'local', name: spec.moduleName, dir: spec.moduleName, path: relative(ctx.projectDir, spec.path) || '.', content: '' }, fromLock: false });
    } else if (!spec.resolve || !follow) {
      ctx.progress(`Resolving ${describeSpec(spec)}`);
      const releases = await ctx.forge.releases(spec.slug);
      const exact = exactVersion(spec.versionRequirement);
      const fitting = releases.filter((r) => (exact === undefined ? satisfiesPuppetRange(r.version, spec.versionRequirement) : r.version === exact));
      const newest = newestFirst(fitting.map((r) => r.version))[0];
      const release = fitting.find((r) => r.version === newest);
      if (release === undefined) throw resolverError(`no version of ${spec.slug} matches ${spec.versionRequirement ?? 'any version'} (${where(spec)}); versions on the Forge: ${releases.map((r) => r.version).slice(0, 10).join(', ') || 'none'}`, { module: spec.slug });
      fixed.set(spec.slug, { version: release.version, by: `${where(spec)}` });
      planned.push(forgePlanned(spec.slug, release));
    } else {
      roots.push({ slug: spec.slug, range: spec.versionRequirement, by: where(spec) });
    }
  }
  if (roots.length > 0) {
    ctx.progress('Resolving module dependencies');
    const chosen = await resolveForge(roots, { forge: ctx.forge, fixed, prefer: ctx.prefer, followDependencies: follow });
    for (const [slug, release] of chosen) planned.push(forgePlanned(slug, release));
  }
  const dirs = new Map<string, string>();
  for (const p of planned) {
    const other = dirs.get(p.locked.dir);
    if (other !== undefined && other !== p.locked.name) throw resolverError(`two modules would install into .modules/${p.locked.dir}: ${other} and ${p.locked.name}`, { dir: p.locked.dir });
    if (other !== undefined) throw resolverError(`module ${p.locked.name} is listed twice`, { module: p.locked.name });
    dirs.set(p.locked.dir, p.locked.name);
  }
  return planned;
}

function forgePlanned(slug: string, release: ForgeRelease): Planned {
  const dir = parseForgeName(slug)!.moduleName;
  return { locked: { source: 'forge', name: slug, dir, version: release.version, file: release.fileUri, sha256: release.sha256 ?? '', content: '' }, fromLock: false, release };
}

/** Adds `name` to the project file's `modules` (comments and layout kept). */
function projectFileWithModule(file: string, name: string): string {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const modules = doc.get('modules');
  if (isSeq(modules)) modules.add(doc.createNode(name));
  else doc.set('modules', doc.createNode([name]));
  return doc.toString();
}

/** Installs the project's modules; see the module doc. */
export async function installModules(options: InstallOptions): Promise<InstallReport> {
  const { project } = options;
  const progress = options.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  const modulesDir = join(project.dir, MANAGED_DIR);
  const lock = readLock(project.dir);
  const loaded = loadSpecs(options, warnings);
  if (loaded === 'no-dependencies') return { modulesDir, lockPath: lockPath(project.dir), modules: [], upToDate: true, noDependencies: true, changed: [], removed: [], warnings };
  let { specs, resolve, forge: puppetfileForge } = loaded;

  let newProjectText: string | undefined;
  if (options.add !== undefined) {
    const parsed = parseForgeName(options.add);
    if (parsed === undefined) throw new RivetError(ErrorKind.Usage, `'${options.add}' is not a Forge module name: use owner/name, such as puppetlabs/stdlib`);
    if (project.file === undefined) throw new ConfigError(ErrorKind.Project, `'rivet module add' needs a project file (rivet-project.yaml) in ${project.dir}: run 'rivet init' first`, {});
    if (specs.some((s) => s.type === 'forge' && s.slug === parsed.slug)) {
      return { modulesDir, lockPath: lockPath(project.dir), modules: lock?.modules ?? [], upToDate: true, alreadyAdded: true, changed: [], removed: [], warnings };
    }
    specs = [...specs, { type: 'forge', ...parsed, resolve: true, origin: { file: project.file } }];
    newProjectText = projectFileWithModule(project.file, `${parsed.slug.split('-')[0]}/${parsed.moduleName}`);
  }

  const moduleInstall = project.config['module-install'] as Record<string, unknown> | undefined;
  const forgeOptions = forgeOptionsFrom(moduleInstall);
  const forge = new ForgeClient({ ...forgeOptions, baseUrl: forgeOptions.baseUrl ?? puppetfileForge, signal: options.signal });
  const proxy = typeof moduleInstall?.['proxy'] === 'string' ? moduleInstall['proxy'] : undefined;

  let planned: Planned[] | undefined;
  if (lock !== undefined && options.force !== true && options.add === undefined) {
    const missing = unsatisfied(specs, lock, project.dir);
    // A Puppetfile installed as written is its own authority: when it changed, it is read again.
    const puppetfileChanged = !resolve && (missing.length > 0 || lock.modules.length !== specs.length);
    if (!puppetfileChanged && missing.length > 0) {
      throw resolverError(
        `${lock.path} does not satisfy ${missing.map(describeSpec).join(', ')}: run 'rivet module install --force' to resolve the modules again and rewrite the lock`,
        { lock: lock.path, specs: missing.map(describeSpec) },
      );
    }
    if (!puppetfileChanged) {
      planned = lock.modules.map((locked) => ({ locked, fromLock: true }));
      // Fast path: every module installed with its locked digest, nothing else in .modules.
      const present = (await isDir(modulesDir)) ? (await readdir(modulesDir)).filter((n) => !n.startsWith('.')) : [];
      const kept = await Promise.all(planned.map((p) => isKept(p.locked, modulesDir, project.dir)));
      if (kept.every((k) => k) && present.every((n) => planned!.some((p) => p.locked.dir === n))) {
        return { modulesDir, lockPath: lock.path, modules: lock.modules, upToDate: true, changed: [], removed: [], warnings };
      }
    }
  }

  const stage = await mkdtemp(join(project.dir, STAGE_PREFIX));
  const stageModules = join(stage, 'modules');
  await mkdir(stageModules);
  try {
    if (planned === undefined) {
      const prefer = new Map<string, string>();
      if (options.force !== true) for (const m of lock?.modules ?? []) if (m.source === 'forge') prefer.set(m.name, m.version);
      planned = (await resolvePlan(specs, resolve, { forge, stageModules, projectDir: project.dir, proxy, signal: options.signal, prefer, progress })).map((p) => {
        // A module resolved to what the lock already has is kept as installed when its tree matches.
        const same = lock?.modules.find((m) => sameSource(m, p.locked));
        return same === undefined ? p : { ...p, locked: same, fromLock: true };
      });
    }
    const changed: string[] = [];
    const installed: LockedModule[] = [];
    for (const p of planned) {
      options.signal?.throwIfAborted();
      const dest = join(stageModules, p.locked.dir);
      const current = join(modulesDir, p.locked.dir);
      if (p.fromLock && (await isKept(p.locked, modulesDir, project.dir))) {
        await cp(current, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        installed.push(p.locked);
        continue;
      }
      const locked = await fetchModule(p, dest, { forge, proxy, signal: options.signal, projectDir: project.dir, progress });
      const content = await treeDigest(dest);
      if (p.fromLock && locked.source !== 'local' && content !== p.locked.content) {
        throw installError(`${p.locked.name} installed from the lock does not have the locked content (sha256 ${content}, lock says ${p.locked.content}): refusing to install it`, { module: p.locked.name });
      }
      installed.push({ ...locked, content });
      changed.push(p.locked.dir);
    }
    const newLockText = formatLock(installed);
    const present = (await isDir(modulesDir)) ? (await readdir(modulesDir)).filter((n) => !n.startsWith('.')) : [];
    const removed = present.filter((n) => !installed.some((m) => m.dir === n));
    if (changed.length === 0 && removed.length === 0 && lock?.text === newLockText && newProjectText === undefined) {
      return { modulesDir, lockPath: lockPath(project.dir), modules: installed, upToDate: true, changed, removed, warnings };
    }
    for (const entry of await readdir(stageModules)) if (entry.startsWith('.git-')) await rm(join(stageModules, entry), { recursive: true, force: true });
    await writeFile(join(stage, 'lock'), newLockText);
    if (newProjectText !== undefined) await writeFile(join(stage, 'project'), newProjectText);
    await swapIn({ stage, modulesDir, lockFile: lockPath(project.dir), projectFile: newProjectText === undefined ? undefined : project.file });
    return { modulesDir, lockPath: lockPath(project.dir), modules: installed, upToDate: false, changed, removed, warnings };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function sameSource(a: LockedModule, b: LockedModule): boolean {
  if (a.dir !== b.dir || a.name !== b.name) return false;
  if (a.source === 'forge' && b.source === 'forge') return a.version === b.version && a.file === b.file;
  if (a.source === 'git' && b.source === 'git') return a.git === b.git && a.ref === b.ref && a.commit === b.commit;
  if (a.source === 'local' && b.source === 'local') return a.path === b.path;
  return false;
}

/**
 * True when `.modules/<dir>` holds exactly the locked tree (and, for a local module, its source
 * still has that content: a changed local module is copied again).
 */
async function isKept(locked: LockedModule, modulesDir: string, projectDir: string): Promise<boolean> {
  const current = join(modulesDir, locked.dir);
  if (!(await isDir(current)) || (await treeDigest(current)) !== locked.content) return false;
  if (locked.source !== 'local') return true;
  const source = resolvePath(projectDir, locked.path);
  return (await isDir(source)) && (await treeDigest(source)) === locked.content;
}

async function fetchModule(p: Planned, dest: string, ctx: { forge: ForgeClient; proxy: string | undefined; signal: AbortSignal | undefined; projectDir: string; progress: (l: string) => void }): Promise<LockedModule> {
  const locked = p.locked;
  switch (locked.source) {
    case 'forge': {
      ctx.progress(`Installing ${locked.name} ${locked.version}`);
      const release: ForgeRelease = p.release ?? { slug: `${locked.name}-${locked.version}`, version: locked.version, fileUri: locked.file, sha256: locked.sha256, md5: undefined, dependencies: [] };
      const tarball = await ctx.forge.download(release, p.fromLock ? locked.sha256 : undefined);
      const sha256 = createHash('sha256').update(tarball).digest('hex');
      await unpackModuleTarball(tarball, dest, `${release.slug}.tar.gz`);
      return { ...locked, sha256 };
    }
    case 'git':
      ctx.progress(`Installing ${locked.name} from ${safeUrl(locked.git)} at ${locked.commit.slice(0, 12)}`);
      if (p.staged !== undefined) await rename(p.staged, dest);
      else await checkoutGitCommit(locked.git, locked.commit, dest, { proxy: ctx.proxy, signal: ctx.signal });
      return locked;
    case 'local': {
      const source = resolvePath(ctx.projectDir, locked.path);
      ctx.progress(`Copying local module ${locked.dir} from ${source}`);
      if (!(await isDir(source))) throw installError(`local module '${locked.dir}': ${source} is not a directory`, { path: source });
      await cp(source, dest, { recursive: true, verbatimSymlinks: true });
      return locked;
    }
  }
}

/**
 * Moves the staged `.modules`, lock and project file into place with renames; if any rename
 * fails, the ones done are undone.
 */
async function swapIn(paths: { stage: string; modulesDir: string; lockFile: string; projectFile: string | undefined }): Promise<void> {
  const undo: (() => Promise<void>)[] = [];
  const replace = async (from: string, to: string, backup: string): Promise<void> => {
    if (existsSync(to)) {
      await rename(to, backup);
      undo.push(async () => {
        await rm(to, { recursive: true, force: true });
        await rename(backup, to);
      });
    } else {
      undo.push(() => rm(to, { recursive: true, force: true }));
    }
    await rename(from, to);
  };
  try {
    await replace(join(paths.stage, 'modules'), paths.modulesDir, join(paths.stage, 'old-modules'));
    await replace(join(paths.stage, 'lock'), paths.lockFile, join(paths.stage, 'old-lock'));
    if (paths.projectFile !== undefined) await replace(join(paths.stage, 'project'), paths.projectFile, join(paths.stage, 'old-project'));
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw installError(`cannot move the installed modules into place: ${(error as Error).message}`, {}, error);
  }
}
