/**
 * `rivet module show`: the modules on the modulepath (Bolt's `list_modules`, grouped by
 * directory) and one module's details (Bolt's `show_module`: name, metadata, path, tasks, plans),
 * plus where it was installed from when the lock knows it.
 *
 * @example
 * ```ts
 * const groups = await moduleList(project);      // { '/p/.modules': [{ name: 'puppetlabs/stdlib', version: '9.4.1', ... }] }
 * const info = await moduleInfo(project, 'stdlib');
 * ```
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RivetError } from '../../core/errors.ts';
import type { Project } from '../project.ts';
import { discoverPlans } from '../plans/discovery.ts';
import { readLock, type LockedModule } from './lock.ts';

const MODULE_NAME = /^[a-z][a-z0-9_]*$/;

export interface ModuleListEntry {
  name: string;
  version: string | null;
  internal_module_group?: string;
}

function metadataOf(dir: string): Record<string, unknown> {
  try {
    const data = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as unknown;
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function modulesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => MODULE_NAME.test(n))
      .filter((n) => statSync(join(dir, n)).isDirectory())
      .sort();
  } catch {
    return [];
  }
}

function forgeName(dir: string, name: string): string {
  const full = metadataOf(dir)['name'];
  return typeof full === 'string' ? full.replace('-', '/') : name;
}

/** The modules of each modulepath directory, in modulepath order (built-in modules last). */
export function moduleList(project: Pick<Project, 'dir' | 'modulepath'>, builtinDir: string): Record<string, ModuleListEntry[]> {
  const out: Record<string, ModuleListEntry[]> = {};
  const managed = join(project.dir, '.modules');
  for (const dir of [...project.modulepath, builtinDir]) {
    out[dir] = modulesIn(dir).map((name) => {
      const version = metadataOf(join(dir, name))['version'];
      const entry: ModuleListEntry = { name: forgeName(join(dir, name), name), version: typeof version === 'string' ? version : null };
      if (dir === managed) entry.internal_module_group = 'Project Dependencies';
      if (dir === builtinDir) entry.internal_module_group = 'Packaged Modules';
      return entry;
    });
  }
  return out;
}

export interface ModuleInfo {
  name: string;
  metadata: Record<string, unknown>;
  path: string;
  tasks: string[];
  plans: string[];
  /** Where `rivet module install` got it, when it is in the lock. */
  source?: LockedModule;
}

/** One module by `name`, `owner/name` or `owner-name`; `bolt/unknown-module` when it is not on the modulepath. */
export function moduleInfo(project: Pick<Project, 'dir' | 'modulepath' | 'name'>, builtinDir: string, name: string): ModuleInfo {
  const short = name.split(/[/-]/).pop() ?? name;
  for (const dir of [...project.modulepath, builtinDir]) {
    const path = join(dir, short);
    if (!modulesIn(dir).includes(short)) continue;
    const full = forgeName(path, short);
    if (full !== short && name !== short && full !== name.replace('-', '/')) continue;
    const tasks = [...new Set(readdirOr(join(path, 'tasks')).map((f) => f.replace(/\.[^.]*$/, '')).filter((b) => MODULE_NAME.test(b)))]
      .map((b) => (b === 'init' ? short : `${short}::${b}`))
      .sort();
    const plans = discoverPlans({ projectDir: project.dir, modulepath: [dir] })
      .filter((p) => p.module === short)
      .map((p) => p.name);
    const info: ModuleInfo = { name: full, metadata: metadataOf(path), path, tasks, plans };
    const locked = dir === join(project.dir, '.modules') ? readLock(project.dir)?.modules.find((m) => m.dir === short) : undefined;
    if (locked !== undefined) info.source = locked;
    return info;
  }
  throw new RivetError('bolt/unknown-module', `Could not find module '${name}' on the modulepath.`, { details: { name } });
}

function readdirOr(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
