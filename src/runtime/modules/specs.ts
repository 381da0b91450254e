/**
 * What a project asks to install: module specifications from the project file's `modules:`
 * (Bolt's `lib/bolt/module_installer/specs/*`) or from a `Puppetfile` (see `puppetfile.ts`).
 *
 * @example
 * ```ts
 * const specs = specsFromProject(project);
 * // [{ type: 'forge', slug: 'puppetlabs-stdlib', moduleName: 'stdlib', versionRequirement: '>= 9.0.0', resolve: true, origin: {...} }]
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ErrorKind } from '../../core/errors.ts';
import { YamlSource, type KeyPath } from '../inventory/source.ts';
import type { Project } from '../project.ts';
import { puppetRangeToNpm } from './version-range.ts';

/** Where a spec was written, for errors. */
export interface SpecOrigin {
  file: string;
  line?: number | undefined;
}

export interface ForgeSpec {
  type: 'forge';
  /** `owner-name` */
  slug: string;
  /** The module's directory name (`name`). */
  moduleName: string;
  versionRequirement?: string | undefined;
  resolve: boolean;
  origin: SpecOrigin;
}

export interface GitSpec {
  type: 'git';
  git: string;
  ref: string;
  /** The module name, when given; otherwise read from the module's metadata.json. */
  moduleName?: string | undefined;
  resolve: boolean;
  origin: SpecOrigin;
}

export interface LocalSpec {
  type: 'local';
  moduleName: string;
  /** Absolute path of the module directory. */
  path: string;
  origin: SpecOrigin;
}

export type ModuleSpec = ForgeSpec | GitSpec | LocalSpec;

/** Module directory names (Puppet's). */
export const MODULE_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const FORGE_NAME = /^([a-zA-Z0-9]+)[-/]([a-z][a-z0-9_]*)$/;

/**
 * `owner/name` or `owner-name` as the Forge slug and module name, or undefined when it is not a
 * Forge module name.
 *
 * @example
 * ```ts
 * parseForgeName('puppetlabs/stdlib'); // { slug: 'puppetlabs-stdlib', moduleName: 'stdlib' }
 * ```
 */
export function parseForgeName(name: string): { slug: string; moduleName: string } | undefined {
  const m = FORGE_NAME.exec(name.trim());
  if (m === null) return undefined;
  return { slug: `${m[1]!.toLowerCase()}-${m[2]!}`, moduleName: m[2]! };
}

/** A short description of a spec for messages. */
export function describeSpec(spec: ModuleSpec): string {
  switch (spec.type) {
    case 'forge':
      return `${spec.slug}${spec.versionRequirement === undefined ? '' : ` (${spec.versionRequirement})`}`;
    case 'git':
      return `${spec.moduleName ?? spec.git} (git ${spec.git} ref ${spec.ref})`;
    case 'local':
      return `${spec.moduleName} (local ${spec.path})`;
  }
}

/**
 * The specs in the project file's `modules:` (undefined when the key is absent). Each bad entry
 * is a ConfigError naming the file, line and key (`modules[1].version_requirement`).
 */
export function specsFromProject(project: Pick<Project, 'file' | 'config'>): ModuleSpec[] | undefined {
  const modules = project.config.modules;
  if (modules === undefined || project.file === undefined) return undefined;
  const file = project.file;
  const src = YamlSource.fromText(readFileSync(file, 'utf8'), file, ErrorKind.Project);
  const fail = (path: KeyPath, msg: string): never => {
    throw src.fail(path, msg, ErrorKind.Project);
  };
  return modules.map((entry, i): ModuleSpec => {
    const origin: SpecOrigin = { file, line: src.lineOf(['modules', i]) };
    if (typeof entry === 'string') {
      const parsed = parseForgeName(entry);
      if (parsed === undefined) fail(['modules', i], `'${entry}' is not a Forge module name: use owner/name, such as puppetlabs/stdlib`);
      return { type: 'forge', ...parsed!, resolve: true, origin };
    }
    const m = entry;
    const resolve = m['resolve'];
    if (resolve !== undefined && typeof resolve !== 'boolean') fail(['modules', i, 'resolve'], `must be a boolean, not ${typeof resolve}`);
    if (m['git'] !== undefined) {
      if (typeof m['git'] !== 'string' || m['git'] === '') fail(['modules', i, 'git'], 'must be a git URL');
      if (typeof m['ref'] !== 'string' || m['ref'] === '') fail(['modules', i, 'ref'], "a git module needs a 'ref' (a branch, tag or commit)");
      if (m['version_requirement'] !== undefined) fail(['modules', i, 'version_requirement'], 'a git module takes a ref, not a version_requirement');
      let moduleName: string | undefined;
      if (m['name'] !== undefined) {
        const name = m['name'];
        const short = typeof name === 'string' ? (parseForgeName(name)?.moduleName ?? (MODULE_NAME_PATTERN.test(name) ? name : undefined)) : undefined;
        if (short === undefined) fail(['modules', i, 'name'], `'${String(name)}' is not a module name`);
        moduleName = short;
      }
      return { type: 'git', git: m['git'] as string, ref: m['ref'] as string, moduleName, resolve: resolve !== false, origin };
    }
    const name = m['name'];
    const parsed = typeof name === 'string' ? parseForgeName(name) : undefined;
    if (parsed === undefined) fail(['modules', i, 'name'], `'${String(name)}' is not a Forge module name: use owner/name, such as puppetlabs/stdlib`);
    const requirement = m['version_requirement'];
    if (requirement !== undefined) {
      if (typeof requirement !== 'string' || puppetRangeToNpm(requirement) === undefined) {
        fail(['modules', i, 'version_requirement'], `'${String(requirement)}' is not a version range (examples: 1.2.3, >= 1.0.0 < 2.0.0, 1.x, ~> 1.2)`);
      }
    }
    if (m['ref'] !== undefined) fail(['modules', i, 'ref'], "'ref' needs a 'git' URL");
    return { type: 'forge', ...parsed!, versionRequirement: requirement as string | undefined, resolve: resolve !== false, origin };
  });
}

/** A ConfigError naming a spec's file and line. */
export function specError(spec: ModuleSpec, msg: string): ConfigError {
  return new ConfigError(ErrorKind.Project, msg, { file: spec.origin.file, ...(spec.origin.line === undefined ? {} : { line: spec.origin.line }) });
}
