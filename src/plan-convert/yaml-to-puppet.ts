/**
 * A YAML plan as Puppet plan source, the way Bolt's own `bolt plan convert` writes it
 * (`lib/bolt/pal/yaml_plan/transpiler.rb` and each step's `transpile`): one plan function call
 * per step, `$<name> = ` for named steps, the `return` last. The source then goes through the same
 * parser and translator as a `.pp` plan, so YAML and Puppet plans share one set of semantics.
 *
 * Each line of the generated source remembers the YAML line it came from, so that errors and TODO
 * entries name the YAML file's line.
 *
 * @example
 * ```ts
 * const { source, yamlLine } = yamlPlanToPuppet(readYamlPlan(name, text, file));
 * ```
 * @module
 */
import { Evaluable, stepOptionKeys, type YamlPlan, type YamlStep, type YamlValue } from './yaml-plan.ts';

export interface PuppetSource {
  source: string;
  /** The YAML line of a line (1-based) of `source`. */
  yamlLine(line: number): number;
  /** The step a line of `source` belongs to, if any. */
  stepAt(line: number): YamlStep | undefined;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function doubleQuote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r')}"`;
}

/** Bolt's `Util.to_code`: a YAML value as Puppet code. */
export function toCode(value: YamlValue): string {
  if (value instanceof Evaluable) {
    if (value.style === 'double') return doubleQuote(value.text);
    if (value.style === 'bare' && !value.text.startsWith('$')) return quote(value.text);
    const code = value.text.trim();
    // A literal block with several lines is a block of code: its value is its last expression.
    return code.includes('\n') ? `with() || {\n${code}\n}` : code;
  }
  if (value === null) return 'undef';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(toCode).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${quote(k)} => ${toCode(v)}`)
    .join(', ')}}`;
}

function options(step: YamlStep, extra: Record<string, YamlValue> = {}): Record<string, YamlValue> {
  const opts: Record<string, YamlValue> = { ...extra };
  for (const key of stepOptionKeys(step.kind)) if (Object.hasOwn(step.body, key)) opts[`_${key}`] = step.body[key]!;
  return opts;
}

/** The plan function call of a step (Bolt's `format_args` + `function`), or its code for `eval`. */
function stepCode(step: YamlStep): string {
  const b = step.body;
  const args: YamlValue[] = [];
  const withDescription = (): void => {
    if (b['description'] !== undefined) args.push(b['description']);
  };
  const withOptions = (opts: Record<string, YamlValue>): void => {
    if (Object.keys(opts).length > 0) args.push(opts);
  };
  let fn: string;
  switch (step.kind) {
    case 'command':
      fn = 'run_command';
      args.push(b['command']!, b['targets']!);
      withDescription();
      withOptions(options(step));
      break;
    case 'script': {
      fn = 'run_script';
      const extra: Record<string, YamlValue> = {};
      if (Array.isArray(b['arguments']) && b['arguments'].length > 0) extra['arguments'] = b['arguments'];
      const pwsh = b['pwsh_params'];
      if (pwsh && typeof pwsh === 'object' && Object.keys(pwsh).length > 0) extra['pwsh_params'] = pwsh;
      args.push(b['script']!, b['targets']!);
      withDescription();
      withOptions({ ...options(step), ...extra });
      break;
    }
    case 'task':
      fn = 'run_task';
      args.push(b['task']!, b['targets']!);
      withDescription();
      withOptions({ ...((b['parameters'] as Record<string, YamlValue> | null) ?? {}), ...options(step) });
      break;
    case 'plan':
      fn = 'run_plan';
      args.push(b['plan']!);
      if (b['targets'] !== undefined && b['targets'] !== null) args.push(b['targets']);
      withOptions({ ...((b['parameters'] as Record<string, YamlValue> | null) ?? {}), ...options(step) });
      break;
    case 'upload':
      fn = 'upload_file';
      args.push(b['upload']!, b['destination']!, b['targets']!);
      withDescription();
      withOptions(options(step));
      break;
    case 'download':
      fn = 'download_file';
      args.push(b['download']!, b['destination']!, b['targets']!);
      withDescription();
      withOptions(options(step));
      break;
    case 'message':
      fn = 'out::message';
      args.push(b['message']!);
      break;
    case 'verbose':
      fn = 'out::verbose';
      args.push(b['verbose']!);
      break;
    case 'resources':
      // Needs a catalog compiler: kept as an apply block, which the translator reports.
      return `apply(${toCode(b['targets']!)}) {\n# resources: ${JSON.stringify(b['resources'])}\n}`;
    case 'eval': {
      const code = b['eval'];
      if (code instanceof Evaluable && code.style === 'code' && step.name === undefined) return code.text.trim() || 'undef';
      return toCode(code ?? null);
    }
  }
  return `${fn}(${args.map(toCode).join(', ')})`;
}

/** The Puppet source of a YAML plan. */
export function yamlPlanToPuppet(plan: YamlPlan): PuppetSource {
  const lines: string[] = [];
  const map: number[] = [];
  const steps: (YamlStep | undefined)[] = [];
  const push = (text: string, yamlLine: number, step?: YamlStep): void => {
    for (const line of text.split('\n')) {
      lines.push(line);
      map.push(yamlLine);
      steps.push(step);
    }
  };
  if (plan.description !== undefined) push(plan.description.trim().split('\n').map((l) => `# ${l}`).join('\n'), 1);
  if (plan.private === true) push('# @api private', 1);
  for (const p of plan.parameters) if (p.description !== undefined) push(`# @param ${p.name} ${p.description.replace(/\n/g, ' ')}`, p.line);
  push(`plan ${plan.name}(`, 1);
  plan.parameters.forEach((p, i) => {
    const type = p.type !== undefined ? `${p.type} ` : '';
    const value = p.hasDefault ? ` = ${toCode(p.default ?? null)}` : '';
    push(`  ${type}$${p.name}${value}${i + 1 < plan.parameters.length ? ',' : ''}`, p.line);
  });
  push(') {', 1);
  for (const step of plan.steps) {
    if (step.body['description'] !== undefined && (step.kind === 'message' || step.kind === 'verbose' || step.kind === 'eval')) {
      push(`# ${String(step.body['description'] instanceof Evaluable ? step.body['description'].text : step.body['description'])}`, step.line, step);
    }
    const code = stepCode(step);
    push(step.name !== undefined ? `$${step.name} = ${code}` : code, step.line, step);
  }
  if (plan.return !== undefined) push(`return ${toCode(plan.return)}`, plan.returnLine ?? 1);
  push('}', lines.length > 0 ? map[map.length - 1]! : 1);
  return {
    source: `${lines.join('\n')}\n`,
    yamlLine: (line) => map[Math.min(Math.max(line, 1), map.length) - 1] ?? 1,
    stepAt: (line) => steps[line - 1],
  };
}
