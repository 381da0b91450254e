/**
 * Bolt's YAML plans (P-43, `lib/bolt/pal/yaml_plan*.rb` in Bolt 3.30): reading a `plans/*.yaml`
 * file into a checked {@link YamlPlan}, with the same rules and messages as Bolt's loader.
 *
 * As in Bolt, a scalar's YAML style says what it is: a double-quoted string is a Puppet string
 * with interpolation, a literal block (`|`) is Puppet code, a plain string is Puppet code when it
 * starts with `$` and text otherwise, and a single-quoted or folded string is text.
 *
 * @example
 * ```ts
 * const plan = readYamlPlan('mymod::deploy', source, '/srv/mymod/plans/deploy.yaml');
 * plan.steps[0]?.kind; // 'command'
 * ```
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Node } from 'yaml';
import { RivetError } from '../core/errors.ts';

/** A YAML string that is Puppet code: `double` (a Puppet double-quoted string), `code` (a literal block) or `bare` (plain). */
export class Evaluable {
  constructor(
    readonly style: 'double' | 'code' | 'bare',
    readonly text: string,
    readonly line: number,
  ) {}
  /** True when this is Puppet code rather than text (a bare string not starting with `$` is text). */
  get isCode(): boolean {
    return this.style !== 'bare' || this.text.startsWith('$');
  }
}

export type YamlValue = null | boolean | number | string | Evaluable | YamlValue[] | { [key: string]: YamlValue };

export interface YamlParameter {
  name: string;
  type: string | undefined;
  /** Present when the parameter has a default (a plain value: defaults are never code). */
  default?: YamlValue;
  hasDefault: boolean;
  description: string | undefined;
  line: number;
}

export const STEP_KINDS = ['command', 'download', 'eval', 'message', 'verbose', 'plan', 'resources', 'script', 'task', 'upload'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface YamlStep {
  kind: StepKind;
  /** 1-based position in `steps`. */
  number: number;
  line: number;
  name: string | undefined;
  body: Record<string, YamlValue>;
  /** Line of each key of the step (for error messages). */
  keyLines: Record<string, number>;
}

export interface YamlPlan {
  name: string;
  file: string;
  description: string | undefined;
  private: boolean | undefined;
  parameters: YamlParameter[];
  steps: YamlStep[];
  /** The `return` value, when there is one. */
  return: YamlValue | undefined;
  returnLine: number | undefined;
}

const PLAN_KEYS = new Set(['parameters', 'private', 'steps', 'return', 'version', 'description']);
const PARAMETER_KEYS = new Set(['type', 'default', 'description']);
const VAR_NAME = /^[a-z_][a-z0-9_]*$/;
const COMMON_KEYS = ['name', 'description', 'targets'];

/** Per step kind (Bolt's `Step::<Kind>`): required keys, option keys (`_key` metaparameters), other keys. */
const STEP_RULES: Record<StepKind, { required: string[]; options: string[]; extra: string[] }> = {
  command: { required: ['command', 'targets'], options: ['catch_errors', 'env_vars', 'run_as'], extra: [] },
  script: { required: ['script', 'targets'], options: ['catch_errors', 'env_vars', 'run_as'], extra: ['arguments', 'pwsh_params'] },
  task: { required: ['targets', 'task'], options: ['catch_errors', 'noop', 'run_as'], extra: ['parameters'] },
  plan: { required: ['plan'], options: ['catch_errors', 'run_as'], extra: ['parameters'] },
  upload: { required: ['destination', 'targets', 'upload'], options: ['catch_errors', 'run_as'], extra: [] },
  download: { required: ['download', 'destination', 'targets'], options: ['catch_errors', 'run_as'], extra: [] },
  message: { required: ['message'], options: [], extra: [] },
  verbose: { required: ['verbose'], options: [], extra: [] },
  eval: { required: ['eval'], options: [], extra: [] },
  resources: { required: ['resources', 'targets'], options: ['catch_errors', 'description', 'noop', 'run_as'], extra: [] },
};

/** The option keys of a step kind (passed as `_key` metaparameters). */
export function stepOptionKeys(kind: StepKind): readonly string[] {
  return STEP_RULES[kind].options;
}

function invalid(file: string, line: number | undefined, msg: string): RivetError {
  return new RivetError('bolt/invalid-plan', msg, { issueCode: 'INVALID_PLAN', details: { file, ...(line !== undefined ? { line } : {}) } });
}

/** Reads and checks a YAML plan; a RivetError (`bolt/invalid-plan`) naming the file and line otherwise. */
export function readYamlPlan(name: string, source: string, file: string): YamlPlan {
  const lines = new LineCounter();
  // YAML 1.2's core schema, plus the yes/no/on/off booleans of Psych (Bolt's YAML 1.1 parser,
  // which does not read `y`/`n` as booleans).
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: false, keepSourceTokens: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const line = error.linePos?.[0]?.line;
    throw invalid(file, line, `${file}${line ? `:${line}` : ''}: ${error.message.split('\n')[0]}`);
  }
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const convert = (node: unknown): YamlValue => {
    if (node === null || node === undefined) return null;
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value !== 'string') return value === undefined ? null : (value as YamlValue);
      if (node.type === Scalar.PLAIN && /^(yes|on)$/i.test(value)) return true;
      if (node.type === Scalar.PLAIN && /^(no|off)$/i.test(value)) return false;
      switch (node.type) {
        case Scalar.QUOTE_SINGLE:
        case Scalar.BLOCK_FOLDED:
          return value;
        case Scalar.QUOTE_DOUBLE:
          return new Evaluable('double', value, lineOf(node));
        case Scalar.BLOCK_LITERAL:
          return new Evaluable('code', value, lineOf(node));
        default:
          return new Evaluable('bare', value, lineOf(node));
      }
    }
    if (isSeq(node)) return node.items.map(convert);
    if (isMap(node)) {
      const out: Record<string, YamlValue> = {};
      for (const pair of node.items) out[keyText(pair.key)] = convert(pair.value);
      return out;
    }
    throw invalid(file, lineOf(node as Node), `${file}:${lineOf(node as Node)}: YAML aliases and tags are not supported in plans`);
  };
  const root = doc.contents;
  if (!isMap(root)) throw invalid(file, undefined, `The data loaded from ${file} does not contain an object`);
  const top = new Map<string, { node: Node | null; line: number }>();
  for (const pair of root.items) top.set(keyText(pair.key), { node: pair.value as Node | null, line: lineOf(pair.key as Node) });

  const where = (line: number | undefined): string => `${file}${line ? `:${line}` : ''}`;
  const illegal = [...top.keys()].filter((k) => !PLAN_KEYS.has(k));
  if (illegal.length > 0) throw invalid(file, top.get(illegal[0]!)!.line, `${where(top.get(illegal[0]!)!.line)}: Plan contains illegal key(s) ${JSON.stringify(illegal)}`);

  const description = top.has('description') ? textOf(convert(top.get('description')!.node)) : undefined;
  const priv = top.has('private') ? convert(top.get('private')!.node) : undefined;
  if (priv !== undefined && priv !== null && typeof priv !== 'boolean') {
    throw invalid(file, top.get('private')!.line, `${where(top.get('private')!.line)}: Plan ${name} key 'private' must be a boolean, received: ${JSON.stringify(textOf(priv))}`);
  }

  const parameters: YamlParameter[] = [];
  const paramsNode = top.get('parameters');
  if (paramsNode && paramsNode.node !== null && !isMap(paramsNode.node)) throw invalid(file, paramsNode.line, `${where(paramsNode.line)}: Plan parameters must be a Hash`);
  if (paramsNode && isMap(paramsNode.node)) {
    for (const pair of paramsNode.node.items) {
      const pname = keyText(pair.key);
      const line = lineOf(pair.key as Node);
      if (!VAR_NAME.test(pname)) throw invalid(file, line, `${where(line)}: Invalid parameter name ${JSON.stringify(pname)}`);
      const def = pair.value === null || (isScalar(pair.value) && pair.value.value === null) ? {} : textOf(convert(pair.value));
      if (typeof def !== 'object' || def === null || Array.isArray(def)) throw invalid(file, line, `${where(line)}: Plan parameter ${JSON.stringify(pname)} must be a Hash with type, default and description`);
      const bad = Object.keys(def).filter((k) => !PARAMETER_KEYS.has(k));
      if (bad.length > 0) throw invalid(file, line, `${where(line)}: Plan parameter ${JSON.stringify(pname)} contains illegal key(s) ${JSON.stringify(bad)}`);
      const record = def as Record<string, YamlValue>;
      if (record['type'] !== undefined && typeof record['type'] !== 'string') throw invalid(file, line, `${where(line)}: Plan parameter ${JSON.stringify(pname)}: type must be a string`);
      parameters.push({
        name: pname,
        type: record['type'] as string | undefined,
        hasDefault: Object.hasOwn(record, 'default'),
        ...(Object.hasOwn(record, 'default') ? { default: record['default']! } : {}),
        description: typeof record['description'] === 'string' ? record['description'] : undefined,
        line,
      });
    }
  }

  const stepsNode = top.get('steps');
  if (!stepsNode || !isSeq(stepsNode.node)) throw invalid(file, stepsNode?.line, `${where(stepsNode?.line)}: Plan must specify an array of steps`);
  const used = new Set(parameters.map((p) => p.name));
  const steps = stepsNode.node.items.map((item, index) => {
    const number = index + 1;
    const line = lineOf(item as Node);
    if (!isMap(item)) throw invalid(file, line, `${where(line)}: Parse error in step number ${number}: Plan step must be an object with valid step keys.`);
    const body: Record<string, YamlValue> = {};
    const keyLines: Record<string, number> = {};
    for (const pair of item.items) {
      const key = keyText(pair.key);
      keyLines[key] = lineOf(pair.key as Node);
      body[key] = convert(pair.value);
    }
    if (body['name'] !== undefined) body['name'] = textOf(body['name']);
    const stepName = typeof body['name'] === 'string' ? body['name'] : undefined;
    const fail = (msg: string, at = line): never => {
      const id = body['name'] !== undefined ? JSON.stringify(body['name']) : `number ${number}`;
      throw invalid(file, at, `${where(at)}: Parse error in step ${id}: ${msg}`);
    };
    const kinds = STEP_KINDS.filter((k) => Object.hasOwn(body, k));
    if (kinds.length === 0) fail('No valid action detected');
    if (kinds.length > 1) fail(`Multiple action keys detected: ${JSON.stringify(kinds)}`);
    const kind = kinds[0]!;
    const rules = STEP_RULES[kind];
    const allowed = new Set([...rules.required, ...rules.options, ...rules.extra, ...COMMON_KEYS]);
    const illegalKeys = Object.keys(body).filter((k) => !allowed.has(k));
    if (illegalKeys.length > 0) fail(`The ${JSON.stringify(kind)} step does not support: ${JSON.stringify(illegalKeys)} key(s)`, keyLines[illegalKeys[0]!]);
    const missing = rules.required.filter((k) => !Object.hasOwn(body, k));
    if (missing.length > 0) fail(`The ${JSON.stringify(kind)} step requires: ${JSON.stringify(missing)} key(s)`);
    if (Object.hasOwn(body, 'parameters')) {
      const params = body['parameters'];
      if (typeof params !== 'object' || params === null || Array.isArray(params) || params instanceof Evaluable) fail('Parameters key must be a hash', keyLines['parameters']);
      const dups = Object.keys(params as object)
        .filter((k) => k.startsWith('_'))
        .map((k) => k.slice(1))
        .filter((k) => Object.hasOwn(body, k));
      if (dups.length > 0) fail(`Cannot specify metaparameters when using top-level keys with same name: ${dups.join(', ')}`, keyLines['parameters']);
    }
    const envVars = body['env_vars'];
    if (envVars !== undefined && (envVars === null || Array.isArray(envVars) || typeof envVars !== 'object')) {
      fail('env_vars key must be a hash or evaluable string', keyLines['env_vars']);
    }
    if (kind === 'script') {
      const args = body['arguments'];
      if (args !== undefined && args !== null && !Array.isArray(args)) fail('arguments key must be an array', keyLines['arguments']);
      const pwsh = body['pwsh_params'];
      if (pwsh !== undefined && pwsh !== null && (typeof pwsh !== 'object' || Array.isArray(pwsh) || pwsh instanceof Evaluable)) fail('pwsh_params key must be a hash', keyLines['pwsh_params']);
    }
    if (Object.hasOwn(body, 'name') && (typeof body['name'] !== 'string' || !VAR_NAME.test(body['name']))) fail(`Invalid step name: ${JSON.stringify(body['name'])}`, keyLines['name']);
    if (stepName !== undefined) {
      if (used.has(stepName)) fail(`Duplicate step name or parameter detected: ${JSON.stringify(stepName)}`, keyLines['name']);
      used.add(stepName);
    }
    if (kind === 'resources') checkResources(body['resources'] ?? null, fail);
    return { kind, number, line, name: stepName, body, keyLines } satisfies YamlStep;
  });

  const ret = top.get('return');
  return {
    name,
    file,
    description: typeof description === 'string' ? description : undefined,
    private: typeof priv === 'boolean' ? priv : undefined,
    parameters,
    steps,
    return: ret ? convert(ret.node) : undefined,
    returnLine: ret?.line,
  };
}

function checkResources(resources: YamlValue, fail: (msg: string) => never): void {
  if (!Array.isArray(resources)) fail('resources key must be an array of resource declarations');
  for (const resource of resources as YamlValue[]) {
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource) || resource instanceof Evaluable) fail('Resource declaration must be a hash');
    const r = resource as Record<string, YamlValue>;
    if (r['type'] !== undefined || r['title'] !== undefined) {
      if (r['type'] === undefined) fail('Resource declaration must include type key if title key is set');
      if (r['title'] === undefined) fail('Resource declaration must include title key if type key is set');
    } else {
      const typeKeys = Object.keys(r).filter((k) => k !== 'parameters');
      if (typeKeys.length === 0) fail('Resource declaration is missing a type');
      if (typeKeys.length > 1) fail(`Resource declaration has ambiguous type: could be ${typeKeys.join(' or ')}`);
    }
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Bolt's `stringify`: evaluable strings back to their text (keys, names and top-level values are never code). */
export function textOf(value: YamlValue): YamlValue {
  if (value instanceof Evaluable) return value.text;
  if (Array.isArray(value)) return value.map(textOf);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, textOf(v)]));
  return value;
}
