/**
 * Choosing Forge versions: every range that asks for a module (from the project file, from a
 * git module's metadata.json, from each chosen release's metadata `dependencies`) must hold.
 * A depth-first search with backtracking tries the newest version that fits first (or the locked
 * version, when `rivet module add` keeps what is installed), as Bolt's resolver
 * (puppetfile-resolver) does. When nothing fits, the error names every requirer and its range.
 *
 * @example
 * ```ts
 * const chosen = await resolveForge([{ slug: 'puppetlabs-stdlib', range: '>= 9.0.0', by: 'bolt-project.yaml:4' }], { forge, fixed: new Map() });
 * chosen.get('puppetlabs-stdlib')?.version; // '9.4.1'
 * ```
 * @module
 */
import { isRivetError } from '../../core/errors.ts';
import { RESOLVER_ERROR, resolverError } from './errors.ts';
import type { ForgeClient, ForgeRelease } from './forge.ts';
import { newestFirst, satisfiesPuppetRange } from './version-range.ts';

export interface Requirement {
  slug: string;
  range: string | undefined;
  /** Who asks: `bolt-project.yaml:4`, `puppetlabs-apache 12.0.0`, `git module acme-tools`. */
  by: string;
}

export interface ResolveOptions {
  forge: Pick<ForgeClient, 'releases'>;
  /** Modules whose version is already fixed (git, local, `resolve: false`): slug → version. */
  fixed: ReadonlyMap<string, { version: string | undefined; by: string }>;
  /** Preferred versions (the lock's), tried first. */
  prefer?: ReadonlyMap<string, string> | undefined;
  /** When false, dependencies of releases are not followed. */
  followDependencies?: boolean;
}

const MAX_STEPS = 20_000;

function describe(reqs: readonly Requirement[]): string {
  return reqs.map((r) => `${r.by} requires ${r.range ?? 'any version'}`).join('; ');
}

/** The chosen release of every Forge module the requirements need. */
export async function resolveForge(roots: readonly Requirement[], options: ResolveOptions): Promise<Map<string, ForgeRelease>> {
  let steps = 0;
  let failure: { slug: string; reqs: Requirement[]; why: string } | undefined;
  const follow = options.followDependencies !== false;

  const fixedCheck = (req: Requirement): void => {
    const fixed = options.fixed.get(req.slug);
    if (fixed === undefined) return;
    if (fixed.version !== undefined && !satisfiesPuppetRange(fixed.version, req.range)) {
      throw resolverError(
        `cannot resolve module dependencies: ${req.slug} is ${fixed.version} from ${fixed.by}, but ${req.by} requires ${req.range}`,
        { module: req.slug, requirers: [{ by: fixed.by, version: fixed.version }, { by: req.by, range: req.range }] },
      );
    }
  };

  const solve = async (pending: readonly string[], chosen: ReadonlyMap<string, ForgeRelease>, reqs: ReadonlyMap<string, Requirement[]>): Promise<Map<string, ForgeRelease> | undefined> => {
    if (++steps > MAX_STEPS) throw resolverError(`cannot resolve module dependencies: gave up after ${MAX_STEPS} steps`, {});
    const [slug, ...rest] = pending;
    if (slug === undefined) return new Map(chosen);
    if (chosen.has(slug) || options.fixed.has(slug)) return solve(rest, chosen, reqs);
    const wanted = reqs.get(slug) ?? [];
    const releases = await options.forge.releases(slug).catch((error: unknown) => {
      // Say who asked for a module the Forge does not have.
      if (isRivetError(error) && error.kind === RESOLVER_ERROR && wanted.length > 0) {
        throw resolverError(`${error.message} (required by ${wanted.map((r) => r.by).join(', ')})`, { ...error.details, requiredBy: wanted.map((r) => r.by) });
      }
      throw error;
    });
    const byVersion = new Map(releases.map((r) => [r.version, r]));
    let versions = newestFirst([...byVersion.keys()]).filter((v) => wanted.every((r) => satisfiesPuppetRange(v, r.range)));
    const preferred = options.prefer?.get(slug);
    if (preferred !== undefined && versions.includes(preferred)) versions = [preferred, ...versions.filter((v) => v !== preferred)];
    if (versions.length === 0) {
      const available = newestFirst([...byVersion.keys()]);
      const why =
        wanted.length > 1
          ? `no version of ${slug} satisfies all of: ${describe(wanted)}`
          : `no version of ${slug} matches ${wanted[0]?.range ?? 'any version'} (required by ${wanted[0]?.by ?? 'the project'}); versions on the Forge: ${available.slice(0, 10).join(', ') || 'none'}`;
      if (failure === undefined || wanted.length > failure.reqs.length) failure = { slug, reqs: wanted, why };
      return undefined;
    }
    for (const version of versions) {
      const release = byVersion.get(version)!;
      const by = `${slug} ${version}`;
      const nextReqs = new Map(reqs);
      const nextPending = [...rest];
      let ok = true;
      for (const dep of follow ? release.dependencies : []) {
        const req: Requirement = { slug: dep.slug, range: dep.versionRequirement, by };
        fixedCheck(req);
        nextReqs.set(dep.slug, [...(nextReqs.get(dep.slug) ?? []), req]);
        const already = chosen.get(dep.slug);
        if (already !== undefined && !satisfiesPuppetRange(already.version, dep.versionRequirement)) {
          const all = nextReqs.get(dep.slug)!;
          const why = `no version of ${dep.slug} satisfies all of: ${describe(all)}`;
          if (failure === undefined || all.length >= failure.reqs.length) failure = { slug: dep.slug, reqs: all, why };
          ok = false;
          break;
        }
        if (already === undefined && !nextPending.includes(dep.slug)) nextPending.push(dep.slug);
      }
      if (!ok) continue;
      const result = await solve(nextPending, new Map(chosen).set(slug, release), nextReqs);
      if (result !== undefined) return result;
    }
    return undefined;
  };

  const reqs = new Map<string, Requirement[]>();
  for (const root of roots) {
    fixedCheck(root);
    reqs.set(root.slug, [...(reqs.get(root.slug) ?? []), root]);
  }
  // Dependencies of fixed modules are requirements too.
  const pending = [...new Set(roots.map((r) => r.slug))];
  const result = await solve(pending, new Map(), reqs);
  if (result === undefined) {
    throw resolverError(`cannot resolve module dependencies: ${failure?.why ?? 'no combination of versions fits'}`, {
      module: failure?.slug,
      requirers: (failure?.reqs ?? []).map((r) => ({ by: r.by, range: r.range ?? null })),
    });
  }
  return result;
}
