/**
 * Puppet version ranges (`metadata.json` `version_requirement`, SemanticPuppet's `VersionRange`)
 * checked with npm's `semver`: the forms are the same except for spaces after operators
 * (`>= 1.0.0 < 2.0.0`) and Ruby's pessimistic `~>`, which are rewritten first.
 *
 * | Puppet            | npm semver          |
 * | ----------------- | ------------------- |
 * | `1.2.3`           | `1.2.3`             |
 * | `>= 1.0.0 < 2.0.0`| `>=1.0.0 <2.0.0`    |
 * | `1.x`, `1.2.x`    | same                |
 * | `~1.2`, `^1.2`    | same                |
 * | `~> 1.2`          | `>=1.2.0 <2.0.0`    |
 * | `~> 1.2.3`        | `>=1.2.3 <1.3.0`    |
 * | `1.0.0 - 2.0.0`   | same                |
 * | `a || b`          | same                |
 *
 * @example
 * ```ts
 * puppetRangeToNpm('>= 4.13.1 < 10.0.0'); // '>=4.13.1 <10.0.0'
 * satisfiesPuppetRange('1.4.0', '~> 1.2'); // true
 * ```
 * @module
 */
import semver from 'semver';

/** The npm form of a Puppet version range, or undefined when it is not a valid range. */
export function puppetRangeToNpm(range: string): string | undefined {
  const text = range
    .trim()
    // Ruby's pessimistic operator: the last given part may grow.
    .replace(/~>\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/g, (_m, major: string, minor?: string, patch?: string) => {
      if (minor === undefined) return `>=${major}.0.0`;
      if (patch === undefined) return `>=${major}.${minor}.0 <${Number(major) + 1}.0.0`;
      return `>=${major}.${minor}.${patch} <${major}.${Number(minor) + 1}.0`;
    })
    // `>= 1.0.0` -> `>=1.0.0`
    .replace(/(>=|<=|>|<|=|~|\^)\s+/g, '$1');
  if (text === '') return '*';
  return semver.validRange(text) === null ? undefined : text;
}

/** True when `version` is in the Puppet range (an invalid range matches nothing). */
export function satisfiesPuppetRange(version: string, range: string | undefined): boolean {
  if (range === undefined) return true;
  const npm = puppetRangeToNpm(range);
  return npm !== undefined && semver.valid(version) !== null && semver.satisfies(version, npm);
}

/** True when the range pins exactly one version (`1.2.3`, `=1.2.3`). */
export function exactVersion(range: string | undefined): string | undefined {
  if (range === undefined) return undefined;
  const text = range.trim().replace(/^=\s*/, '');
  return semver.valid(text) ?? undefined;
}

/** Versions newest first. */
export function newestFirst(versions: readonly string[]): string[] {
  return versions.filter((v) => semver.valid(v) !== null).sort(semver.rcompare);
}
