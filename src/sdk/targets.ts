/**
 * Targets and inventory from plans (P-22..P-25). Changes are in memory, for this run only.
 *
 * @example
 * ```ts
 * const web = getTargets('web');
 * setVar(web[0]!, 'role', 'primary');
 * addFacts(web[0]!, { os: { family: 'Debian' } });
 * addToGroup(web, 'canary');
 * ```
 * @module
 */
import type { Target } from '../core/target.ts';
import { currentContext } from './context.ts';
import type { TargetSpec } from './puppet.ts';

/** Every target a spec names (groups, names, aliases, globs, URIs), each once (P-22). */
export function getTargets(spec: TargetSpec): Target[] {
  return currentContext('getTargets').getTargets(spec);
}
/** Exactly one target; fails when the spec names none or several (P-23). */
export function getTarget(spec: TargetSpec): Target {
  return currentContext('getTarget').getTarget(spec);
}
/** Bolt's `Target.new(uri | {uri, name, config, vars, facts, ...})` (P-24). */
export function createTarget(data: string | Record<string, unknown>): Target {
  return currentContext('createTarget').addTarget(data);
}
export function setVar(target: string | Target, key: string, value: unknown): Target {
  return currentContext('setVar').setVar(target, key, value);
}
export function vars(target: string | Target): Record<string, unknown> {
  return currentContext('vars').vars(target);
}
export function facts(target: string | Target): Record<string, unknown> {
  return currentContext('facts').facts(target);
}
/** Deep-merges facts into the target's (P-25). */
export function addFacts(target: string | Target, newFacts: Record<string, unknown>): Target {
  return currentContext('addFacts').addFacts(target, newFacts);
}
export function setFeature(target: string | Target, feature: string, value = true): Target {
  return currentContext('setFeature').setFeature(target, feature, value);
}
export function setConfig(target: string | Target, keyOrPath: string | readonly string[], value: unknown): Target {
  return currentContext('setConfig').setConfig(target, keyOrPath, value);
}
export function addToGroup(targets: TargetSpec, group: string): Target[] {
  return currentContext('addToGroup').addToGroup(targets, group);
}
export function removeFromGroup(target: TargetSpec, group: string): Target {
  return currentContext('removeFromGroup').removeFromGroup(target, group);
}
