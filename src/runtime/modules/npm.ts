/**
 * Modules installed with npm. A package declares itself a Rivet module with a `rivet` field in
 * its package.json naming its module directory: `"rivet": { "module": "acme_tools" }` (or the
 * short form `"rivet": "acme_tools"`). The directory's name is the module's name (Puppet's rule),
 * and its parent is added to the modulepath, after `.modules`. Only the project's own
 * dependencies (its package.json `dependencies`, `devDependencies`, `optionalDependencies`) in
 * `<project>/node_modules` are looked at: a few small reads, no directory scan.
 *
 * @example
 * ```ts
 * npmModuleDirs('/p'); // { dirs: ['/p/node_modules/rivet-acme-tools'], warnings: [] }
 * ```
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

const MODULE_NAME = /^[a-z][a-z0-9_]*$/;

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The module directory a package.json `rivet` field names, or a reason it is not valid. */
export function rivetModuleField(pkg: Record<string, unknown>): string | { problem: string } | undefined {
  const field = pkg['rivet'];
  if (field === undefined) return undefined;
  const dir = typeof field === 'string' ? field : field !== null && typeof field === 'object' ? (field as Record<string, unknown>)['module'] : undefined;
  if (typeof dir !== 'string' || dir === '') return { problem: "'rivet' must be the module directory (\"rivet\": \"my_module\") or { \"module\": \"my_module\" }" };
  return dir;
}

/** Directories to add to the modulepath for npm-installed Rivet modules, and warnings for bad ones. */
export function npmModuleDirs(projectDir: string): { dirs: string[]; warnings: string[] } {
  const pkg = readJson(join(projectDir, 'package.json'));
  const dirs: string[] = [];
  const warnings: string[] = [];
  if (pkg === undefined) return { dirs, warnings };
  const names = new Set<string>();
  for (const key of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = pkg[key];
    if (deps !== null && typeof deps === 'object') for (const name of Object.keys(deps)) names.add(name);
  }
  for (const name of [...names].sort()) {
    const pkgDir = join(projectDir, 'node_modules', name);
    const depPkg = readJson(join(pkgDir, 'package.json'));
    if (depPkg === undefined) continue;
    const field = rivetModuleField(depPkg);
    if (field === undefined) continue;
    const where = `${join(pkgDir, 'package.json')}: rivet`;
    if (typeof field !== 'string') {
      warnings.push(`${where}: ${field.problem}; the package is not on the modulepath`);
      continue;
    }
    const moduleDir = resolve(pkgDir, field);
    const rel = relative(pkgDir, moduleDir);
    if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) {
      warnings.push(`${where}: '${field}' must be a directory inside the package; the package is not on the modulepath`);
      continue;
    }
    if (!MODULE_NAME.test(basename(moduleDir))) {
      warnings.push(`${where}: the module directory's name '${basename(moduleDir)}' is not a module name (${MODULE_NAME.source}); the package is not on the modulepath`);
      continue;
    }
    let ok = false;
    try {
      ok = statSync(moduleDir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) {
      warnings.push(`${where}: '${field}' is not a directory in the package; the package is not on the modulepath`);
      continue;
    }
    const parent = dirname(moduleDir);
    if (!dirs.includes(parent)) dirs.push(parent);
  }
  return { dirs, warnings };
}
