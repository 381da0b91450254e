/**
 * Installing modules (I-24): Forge, git, local and npm modules into `.modules`, locked in
 * `rivet-lock.yaml`. See docs/modules.md.
 *
 * @module
 */
export { installModules, MANAGED_DIR, PUPPETFILE, type InstallOptions, type InstallReport } from './install.ts';
export { LOCK_FILE, readLock, type LockedModule } from './lock.ts';
export { moduleInfo, moduleList, type ModuleInfo, type ModuleListEntry } from './show.ts';
export { parsePuppetfile } from './puppetfile.ts';
export { puppetRangeToNpm, satisfiesPuppetRange } from './version-range.ts';
