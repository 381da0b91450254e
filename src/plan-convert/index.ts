/**
 * Bolt plans to TypeScript (`rivet plan convert`, and `rivet plan run` of a `.pp` or `.yaml`
 * plan): a Puppet-language plan is parsed (`src/puppet-lang`) and translated construct by
 * construct; a YAML plan is checked with Bolt's rules, written as the Puppet plan Bolt's own
 * converter would write, and translated the same way. Imports `core` and `puppet-lang` only; the
 * runtime loads it lazily, when a Bolt plan is first loaded.
 *
 * @example
 * ```ts
 * const { code, todos } = await convertPlanFile('modules/mymod/plans/deploy.pp');
 * for (const t of todos) console.error(`${t.file}:${t.line}: ${t.message}`);
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { basename, sep } from 'node:path';
import { RivetError } from '../core/errors.ts';
import { parsePuppet, PuppetSyntaxError } from '../puppet-lang/index.ts';
import { translatePlan, type Todo, type Translation } from './translate.ts';
import { readYamlPlan } from './yaml-plan.ts';
import { yamlPlanToPuppet } from './yaml-to-puppet.ts';

export type { Todo, Translation } from './translate.ts';
export { readYamlPlan, type YamlPlan, type YamlStep } from './yaml-plan.ts';

export interface ConvertOptions {
  /** The plan's name (default: from the `plan` definition, or a YAML plan's path). */
  name?: string | undefined;
  /** Where generated code imports the SDK from (default `'rivetops'`). */
  sdk?: string | undefined;
  /** The file name shown in messages and TODOs (default: the path as given). */
  displayFile?: string | undefined;
}

/** A plan's name from its path: `<module>/plans/a/b.yaml` is `module::a::b`, `plans/init.pp` the module. */
export function planNameFromPath(file: string): string {
  const parts = file.split(sep);
  const at = parts.lastIndexOf('plans');
  const stem = basename(file).replace(/\.(pp|ya?ml|ts|mts)$/, '');
  if (at <= 0) return stem;
  const module = parts[at - 1]!;
  const segments = [...parts.slice(at + 1, -1), stem];
  return segments.length === 1 && segments[0] === 'init' ? module : [module, ...segments].join('::');
}

/** Translates plan source (`.pp` or `.yaml` by the file's extension). */
export function convertPlanSource(source: string, file: string, options: ConvertOptions = {}): Translation {
  const shown = options.displayFile ?? file;
  if (/\.ya?ml$/.test(file)) {
    const name = options.name ?? planNameFromPath(file);
    const plan = readYamlPlan(name, source, shown);
    const puppet = yamlPlanToPuppet(plan);
    let parsed;
    try {
      parsed = parsePuppet(puppet.source, shown);
    } catch (error) {
      if (error instanceof PuppetSyntaxError) {
        const line = puppet.yamlLine(error.line);
        const step = puppet.stepAt(error.line);
        const where = step ? `step ${step.name !== undefined ? JSON.stringify(step.name) : `number ${step.number}`}` : 'the plan';
        throw new RivetError('bolt/invalid-plan', `${shown}:${line}: Parse error in ${where}: ${error.message.replace(/^.*?syntax error: /, '')}`, {
          issueCode: 'INVALID_PLAN',
          details: { file: shown, line },
          location: { file: shown, line },
        });
      }
      throw error;
    }
    return translatePlan(parsed.program, parsed.comments, {
      source: puppet.source,
      file: shown,
      sdk: options.sdk,
      name,
      reportLine: puppet.yamlLine,
      header: `Converted from the YAML plan ${basename(shown)} by rivet plan convert.`,
    });
  }
  const { program, comments } = parsePuppet(source, shown);
  const plan = program.body.find((e) => e.kind === 'PlanDefinition');
  if (plan === undefined) {
    throw new RivetError('bolt/invalid-plan', `${shown}: no plan definition found (a Bolt plan file holds 'plan <name>(...) { ... }')`, { issueCode: 'INVALID_PLAN', details: { file: shown } });
  }
  return translatePlan(program, comments, { source, file: shown, sdk: options.sdk, name: options.name });
}

/** Reads and translates a plan file. */
export async function convertPlanFile(file: string, options: ConvertOptions = {}): Promise<Translation> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new RivetError('bolt/file-error', `Cannot read the plan file ${file}: ${(error as Error).message}`, { details: { file } });
  }
  return convertPlanSource(source, file, options);
}

/** One parameter of a Bolt plan, as `rivet types` declares it. */
export interface BoltPlanParam {
  name: string;
  /** The Puppet type (`Any` when none is written). */
  type: string;
  hasDefault: boolean;
}

/** The parameters of a `.pp` or `.yaml` plan file, without translating its body. */
export async function boltPlanParams(file: string): Promise<BoltPlanParam[]> {
  const source = await readFile(file, 'utf8');
  if (/\.ya?ml$/.test(file)) {
    return readYamlPlan(planNameFromPath(file), source, file).parameters.map((p) => ({ name: p.name, type: p.type ?? 'Any', hasDefault: p.hasDefault }));
  }
  const plan = parsePuppet(source, file).program.body.find((e) => e.kind === 'PlanDefinition');
  if (plan === undefined || plan.kind !== 'PlanDefinition') throw new RivetError('bolt/invalid-plan', `${file}: no plan definition found`, { details: { file } });
  return plan.params.map((p) => ({ name: p.name, type: p.typeSource?.replace(/\s+/g, ' ').trim() ?? 'Any', hasDefault: p.defaultValue !== undefined }));
}

/** The TODO report: one `file:line: message` line per construct left untranslated. */
export function todoReport(todos: readonly Todo[]): string {
  return todos.map((t) => `${t.file}:${t.line}: TODO ${t.message}`).join('\n');
}

