/**
 * Codegen phase 4, emit: the intermediate form ({@link TaskIR}, {@link PlanIR}) as TypeScript
 * lines. Deterministic: tasks and plans are sorted by name, parameters by name, properties keep
 * their declared order; descriptions become TSDoc, defaults `@defaultValue`, and what TypeScript
 * cannot say (bounds, patterns) an `@remarks` with the Puppet type.
 *
 * The output is a module that exports `Tasks` and `Plans` interfaces and augments the SDK's
 * registries with them:
 *
 * ```ts
 * export interface Tasks { 'package': { params: { action: 'install' | ...; name: string }; result: JsonObject } }
 * declare module 'rivetops' { interface TaskRegistry extends Tasks {} }
 * ```
 *
 * @module
 */
import { docComment, indent, propertyName, quoteString } from './format.ts';
import type { ParamIR, PlanIR, RivetTypeName, TaskIR, TsType } from './ir.ts';

/** Lines past this width put each union member on its own line. */
const LINE_WIDTH = 100;

export interface EmitOptions {
  /** Augment `TaskRegistry`/`PlanRegistry` of the 'rivetops' module (default true). */
  augment?: boolean;
  /** The module the SDK is imported from (default 'rivetops'). */
  sdkModule?: string;
  /** What generated the file, for the banner (default `rivet types`). */
  generator?: string;
}

/** Names imported from the SDK module, collected while printing. */
type Imports = Set<RivetTypeName | 'Sensitive' | 'PlanParams' | 'PlanReturn' | 'CallerParams'>;

function needsParens(t: TsType): boolean {
  return t.kind === 'union' || t.kind === 'keyed';
}

/** Joins printed parts on one logical line: the last line of one continues with the next. */
function join(parts: readonly string[][], separator: string, open = '', close = ''): string[] {
  const out: string[] = [open];
  parts.forEach((part, i) => {
    const [first = '', ...rest] = part;
    out[out.length - 1] += (i === 0 ? '' : separator) + first;
    out.push(...rest);
  });
  out[out.length - 1] += close;
  return out;
}

function wrapIn(lines: string[], open: string, close: string): string[] {
  return join([lines], '', open, close);
}

/** Prints a type as lines: the first continues the current line, the others are indented relative to it. */
export function printType(type: TsType, imports: Imports): string[] {
  switch (type.kind) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
    case 'never':
    case 'unknown':
      return [type.kind];
    case 'literal':
      return [typeof type.value === 'string' ? quoteString(type.value) : String(type.value)];
    case 'ref':
      imports.add(type.name);
      return [type.name];
    case 'nonNull':
      return wrapIn(printType(type.type, imports), 'NonNullable<', '>');
    case 'sensitive':
      imports.add('Sensitive');
      return wrapIn(printType(type.type, imports), 'Sensitive<', '>');
    case 'array': {
      const element = printType(type.element, imports);
      return needsParens(type.element) ? wrapIn(element, '(', ')[]') : wrapIn(element, '', '[]');
    }
    case 'tuple': {
      const parts = type.elements.map((e, i) => {
        const p = printType(e, imports);
        if (i < type.required) return p;
        return needsParens(e) ? wrapIn(p, '(', ')?') : wrapIn(p, '', '?');
      });
      if (type.rest !== undefined) {
        const r = printType(type.rest, imports);
        parts.push(needsParens(type.rest) ? wrapIn(r, '...(', ')[]') : wrapIn(r, '...', '[]'));
      }
      return join(parts, ', ', '[', ']');
    }
    case 'record':
      return wrapIn(printType(type.value, imports), 'Record<string, ', '>');
    case 'keyed':
      return wrapIn(printType(type.value, imports), `{ [K in ${type.keys.map(quoteString).join(' | ')}]?: `, ' }');
    case 'object': {
      if (type.properties.length === 0) return type.open ? (imports.add('JsonObject'), ['JsonObject']) : ['Record<string, never>'];
      const body = type.properties.flatMap((p) => [...docComment(p.doc ?? []), ...propertyLines(propertyName(p.name), p.optional, printType(p.type, imports))]);
      return ['{', ...indent(body), '}'];
    }
    case 'union': {
      const parts = type.types.map((t) => printType(t, imports));
      const inline = join(parts, ' | ');
      if (inline.length > 1 || (inline[0] as string).length <= LINE_WIDTH) return inline;
      // Too long for one line: one member per line.
      return ['', ...indent(parts.flatMap(([first = '', ...rest]) => [`| ${first}`, ...indent(rest)]))];
    }
  }
}

/** `name?: type;`, with a multi-line type continuing on the following lines. */
function propertyLines(name: string, optional: boolean, type: string[]): string[] {
  const lines = wrapIn(type, `${name}${optional ? '?' : ''}: `, ';');
  // A union that starts on the next line leaves `name: ` dangling: trim it.
  lines[0] = (lines[0] as string).replace(/\s+$/, '');
  return lines;
}

function paramDoc(p: ParamIR): string[] {
  const doc: string[] = [];
  if (p.description !== undefined) doc.push(p.description, '');
  const remarks: string[] = [];
  if (p.lossy && p.puppetType !== undefined) remarks.push(`Puppet type \`${p.puppetType}\` (checked when the task runs).`);
  if (p.sensitive) remarks.push('Sensitive: redacted in logs and results; may be passed as a `Sensitive` value.');
  if (remarks.length > 0) doc.push(`@remarks ${remarks.join(' ')}`, '');
  if (p.defaultJson !== undefined) doc.push(`@defaultValue \`${p.defaultJson}\``);
  return doc;
}

function paramsLines(task: TaskIR, imports: Imports): string[] {
  if (task.params.kind === 'any') {
    imports.add('JsonValue');
    return ['params: Record<string, JsonValue>;'];
  }
  const params = [...task.params.params].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (params.length === 0) return ['params: Record<string, never>;'];
  const body = params.flatMap((p) => {
    let type = printType(p.type, imports);
    if (p.sensitive && p.type.kind !== 'sensitive') {
      imports.add('Sensitive');
      const inner = printType(p.type, imports);
      type = join([inner, wrapIn(needsParens(p.type) ? wrapIn(inner, '(', ')') : inner, 'Sensitive<', '>')], ' | ');
    }
    return [...docComment(paramDoc(p), 3), ...propertyLines(propertyName(p.name), p.optional, type)];
  });
  return ['params: {', ...indent(body), '};'];
}

function taskDoc(task: TaskIR): string[] {
  const doc: string[] = [];
  if (task.description !== undefined) doc.push(task.description, '');
  const remarks: string[] = [];
  if (task.output !== undefined) remarks.push(`The result value is checked against ${task.output.declared} when the task runs.`);
  if (task.supportsNoop) remarks.push('Supports noop (`{ noop: true }`).');
  if (task.private) remarks.push('Private (not listed by `rivet task show`).');
  if (task.source !== undefined) remarks.push(`Metadata: \`${task.source}\`.`);
  if (remarks.length > 0) doc.push(`@remarks ${remarks.join(' ')}`);
  return doc;
}

function taskLines(task: TaskIR, imports: Imports): string[] {
  let result: string[];
  if (task.output === undefined) {
    imports.add('JsonObject');
    result = ['result: JsonObject;'];
  } else {
    result = propertyLines('result', false, printType(task.output.type, imports));
  }
  return [
    ...docComment(taskDoc(task), 1),
    `${quoteString(task.name)}: {`,
    ...indent([...paramsLines(task, imports), ...result]),
    '};',
  ];
}

function planLines(plan: PlanIR, imports: Imports): string[] {
  if (plan.boltParams !== undefined) {
    imports.add('CallerParams');
    const decl = plan.boltParams.map((p) => `${quoteString(p.name)}: ${p.hasDefault ? `{ type: ${quoteString(p.type)}; default: unknown }` : quoteString(p.type)}`);
    return [
      ...docComment([`Plan \`${plan.name}\`: a Bolt plan; parameters from its Puppet types.`, '', `@remarks Source: \`${plan.source}\`.`], 1),
      `${quoteString(plan.name)}: {`,
      ...indent([`params: CallerParams<{ ${decl.join('; ')} }>;`, 'result: unknown;']),
      '};',
    ];
  }
  imports.add('PlanParams');
  imports.add('PlanReturn');
  const ref = `typeof import(${quoteString(plan.importPath)}).default`;
  return [
    ...docComment([`Plan \`${plan.name}\`: parameters and return value come from its \`definePlan\` declaration.`, '', `@remarks Source: \`${plan.source}\`.`], 1),
    `${quoteString(plan.name)}: {`,
    ...indent([`params: PlanParams<${ref}>;`, `result: PlanReturn<${ref}>;`]),
    '};',
  ];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The lines of the declarations file for these tasks and plans.
 *
 * @example
 * ```ts
 * formatSource(emitDeclarations([task], []));
 * ```
 */
export function emitDeclarations(tasks: readonly TaskIR[], plans: readonly PlanIR[], options: EmitOptions = {}): string[] {
  const sdk = options.sdkModule ?? 'rivetops';
  const generator = options.generator ?? '`rivet types`';
  const imports: Imports = new Set();
  const taskBody = [...tasks].sort(byName).flatMap((t, i) => [...(i > 0 ? [''] : []), ...taskLines(t, imports)]);
  const planBody = [...plans].sort(byName).flatMap((p, i) => [...(i > 0 ? [''] : []), ...planLines(p, imports)]);
  const banner = [
    '// Generated by `rivet types`: do not edit.',
    '/**',
    ` * Task and plan types of this project for \`runTask\`, \`runTaskWith\` and \`runPlan\`, generated by`,
    ` * ${generator} from the metadata on the modulepath and the plan files.`,
    ' *',
    ' * Regenerate with `npx rivet types` after changing task metadata or plans;',
    ' * `npx rivet types --check` fails when this file is stale.',
    ' *',
    ' * @module',
    ' */',
  ];
  const importLine = imports.size === 0 ? [] : [`import type { ${[...imports].sort().join(', ')} } from ${quoteString(sdk)};`];
  const lines = [
    ...banner,
    ...importLine,
    '',
    '/** Every task on the modulepath: name -> parameters callers pass, and the result value. */',
    ...(taskBody.length === 0 ? ['export interface Tasks {}'] : ['export interface Tasks {', ...indent(taskBody), '}']),
    '',
    '/** Every plan of the project and its modules: name -> parameters and return value. */',
    ...(planBody.length === 0 ? ['export interface Plans {}'] : ['export interface Plans {', ...indent(planBody), '}']),
  ];
  if (options.augment !== false) {
    lines.push('', `declare module ${quoteString(sdk)} {`, ...indent(['interface TaskRegistry extends Tasks {}', 'interface PlanRegistry extends Plans {}']), '}');
  }
  return lines;
}
