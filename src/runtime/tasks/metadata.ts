/**
 * Task metadata (`<module>/tasks/<name>.json`): read, check every field, and report problems as
 * {@link ConfigError}s naming the file and the field (T-10..T-23).
 *
 * @example
 * ```ts
 * const { metadata, warnings } = parseTaskMetadata('{"parameters":{"port":{"type":"Integer"}}}', 'deploy.json');
 * metadata.parameters?.['port']?.parsedType; // { kind: 'Integer', min: undefined, max: undefined }
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../core/index.ts';
import { PuppetTypeError, formatType, parseType, type ParseTypeOptions } from '../../core/puppet-types/index.ts';
import { PARAM_NAME, explainMismatch, parseOutputDecl, type ParamSpec, type TaskOutputDecl } from './validate.ts';

/** Error kinds of task loading (Puppet's). */
export const TaskErrorKind = {
  UnparseableMetadata: 'puppet.tasks/unparseable-metadata',
  UnreadableMetadata: 'puppet.tasks/unreadable-metadata',
  InvalidMetadata: 'puppet.tasks/invalid-metadata',
  InvalidFile: 'puppet.tasks/invalid-file',
  NoImplementation: 'puppet.tasks/no-implementation',
  MultipleImplementations: 'puppet.tasks/multiple-implementations',
  MissingImplementation: 'puppet.tasks/missing-implementation',
  UnknownTask: 'bolt/unknown-task',
} as const;

/** How parameters reach the task (T-14). `both` = stdin and environment. */
export type InputMethod = 'stdin' | 'environment' | 'powershell' | 'both';
export const INPUT_METHODS: readonly InputMethod[] = ['stdin', 'environment', 'powershell', 'both'];

/** Bolt's known top-level metadata keys; others are warned about (T-10). */
export const METADATA_KEYS = [
  'description', 'extensions', 'files', 'implementations', 'input_method', 'parameters', 'private',
  'puppet_task_version', 'remote', 'supports_noop',
] as const;

/** Mount points a `files` entry may name (T-18). */
export const FILE_MOUNTS = ['files', 'lib', 'scripts', 'tasks'] as const;

/** One entry of `implementations` (T-16). */
export interface Implementation {
  name: string;
  requirements: string[];
  input_method?: InputMethod;
  files?: string[];
  remote?: boolean;
}

/** Checked metadata. Parameters carry their parsed type in `parsedType`. */
export interface TaskMetadata {
  description?: string;
  puppet_task_version?: number;
  /** `undefined`: any parameters accepted; `{}`: none (T-13). */
  parameters?: Record<string, ParamSpec>;
  input_method?: InputMethod;
  supports_noop?: boolean;
  implementations?: Implementation[];
  files?: string[];
  private?: boolean;
  remote?: boolean;
  extensions?: Record<string, unknown>;
  /** `extensions.rivet.output`: what the task's result value must be (Rivet only; Bolt ignores extensions). */
  output?: TaskOutputDecl;
}

/** A warning with Bolt's id (suppressible by `disable-warnings`). */
export interface TaskWarning {
  id: string;
  msg: string;
}

export interface ParsedMetadata {
  metadata: TaskMetadata;
  /** The JSON as written (for `task show`). */
  raw: Record<string, unknown>;
  warnings: TaskWarning[];
}

export interface MetadataOptions extends ParseTypeOptions {
  /** The task's name, for warnings. */
  taskName?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Checks a `files` entry's syntax (T-18): `<module>/<mount>/<path>`, mount in files|lib|scripts|
 * tasks, `/` separators, no `..` or `.` segments. Returns the problem, or undefined.
 *
 * @example
 * ```ts
 * checkFileReference('demo/files/../x'); // 'File pathnames cannot include relative paths'
 * ```
 */
export function checkFileReference(ref: string): string | undefined {
  if (ref.includes('\\')) return `file references use '/' as separator: ${ref}`;
  if (ref.startsWith('/')) return `file references must start with a module name, not '/': ${ref}`;
  const [module, mount, ...rest] = ref.split('/');
  if (!module || !/^[a-z][a-z0-9_]*$/.test(module)) return `file reference '${ref}' must start with a module name`;
  if (mount === undefined || !(FILE_MOUNTS as readonly string[]).includes(mount)) {
    return `Files must be saved in module directories that Puppet makes available via mount points: ${FILE_MOUNTS.join(', ')}`;
  }
  const segments = rest.join('/').split('/');
  if (segments.some((s) => s === '..' || s === '.')) return 'File pathnames cannot include relative paths';
  if (rest.join('/').replace(/\/$/, '').includes('//')) return `file reference '${ref}' has an empty path segment`;
  return undefined;
}

/**
 * Parses and checks metadata text. An empty (or all-whitespace) file is `{}` (T-07).
 *
 * @throws ConfigError kind `puppet.tasks/unparseable-metadata` for bad JSON, or
 *   `puppet.tasks/invalid-metadata` naming the field, e.g.
 *   `modules/demo/tasks/deploy.json: parameters.port.type: unknown type 'Integr' at column 1 (did you mean 'Integer'?)`.
 * @example
 * ```ts
 * parseTaskMetadata('', 'x.json').metadata; // {}
 * ```
 */
export function parseTaskMetadata(text: string, file: string, options: MetadataOptions = {}): ParsedMetadata {
  let raw: unknown;
  if (text.trim() === '') raw = {};
  else {
    try {
      raw = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (error) {
      throw new ConfigError(TaskErrorKind.UnparseableMetadata, `unparseable JSON: ${(error as Error).message}`, { file });
    }
  }
  const fail = (key: string | undefined, msg: string, kind: string = TaskErrorKind.InvalidMetadata): never => {
    throw new ConfigError(kind, msg, key === undefined ? { file } : { file, key });
  };
  if (!isRecord(raw)) fail(undefined, `task metadata must be a JSON object, got ${jsonType(raw)}`);
  const data = raw as Record<string, unknown>;
  const metadata: TaskMetadata = {};
  const warnings: TaskWarning[] = [];

  const unknown = Object.keys(data).filter((k) => !(METADATA_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    const who = options.taskName ?? file;
    warnings.push({
      id: 'unknown_task_metadata_keys',
      msg: `Metadata for task '${who}' contains unknown keys: ${unknown.join(', ')}. This could be a typo in the task metadata or might result in incorrect behavior.`,
    });
  }

  const bool = (key: string, value: unknown, where = key): boolean | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') fail(where, `expects a Boolean, got ${jsonType(value)}`);
    return value as boolean;
  };
  const inputMethod = (value: unknown, where: string): InputMethod | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !(INPUT_METHODS as readonly string[]).includes(value)) {
      fail(where, `expects one of ${INPUT_METHODS.join(', ')}, got ${jsonType(value)}`);
    }
    return value as InputMethod;
  };
  const files = (value: unknown, where: string): string[] | undefined => {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) fail(where, `The 'files' task metadata expects an array, got ${jsonType(value)}`);
    return (value as unknown[]).map((ref, i) => {
      if (typeof ref !== 'string') fail(`${where}[${i}]`, `expects a String, got ${jsonType(ref)}`);
      const problem = checkFileReference(ref as string);
      if (problem !== undefined) fail(`${where}[${i}]`, problem);
      return ref as string;
    });
  };

  if (data['description'] !== undefined && data['description'] !== null) {
    if (typeof data['description'] !== 'string') fail('description', `expects a String, got ${jsonType(data['description'])}`);
    metadata.description = data['description'] as string;
  }
  const version = data['puppet_task_version'];
  if (version !== undefined && version !== null) {
    if (typeof version !== 'number' || !Number.isInteger(version)) fail('puppet_task_version', `expects an Integer, got ${jsonType(version)}`);
    if (version !== 1) warnings.push({ id: 'puppet_task_version', msg: `${file}: puppet_task_version ${version} is not supported; only 1 is` });
    metadata.puppet_task_version = version as number;
  }
  const im = inputMethod(data['input_method'], 'input_method');
  if (im !== undefined) metadata.input_method = im;
  for (const key of ['supports_noop', 'private', 'remote'] as const) {
    const b = bool(key, data[key]);
    if (b !== undefined) metadata[key] = b;
  }
  const topFiles = files(data['files'], 'files');
  if (topFiles !== undefined) metadata.files = topFiles;
  const ext = data['extensions'];
  if (ext !== undefined && ext !== null) {
    if (!isRecord(ext)) fail('extensions', `expects an object, got ${jsonType(ext)}`);
    metadata.extensions = ext as Record<string, unknown>;
    const rivet = (ext as Record<string, unknown>)['rivet'];
    const output = isRecord(rivet) ? rivet['output'] : undefined;
    if (output !== undefined && output !== null) {
      const decl = parseOutputDecl(output, options);
      if (typeof decl === 'string') fail('extensions.rivet.output', decl);
      metadata.output = decl as TaskOutputDecl;
    }
  }

  const params = data['parameters'];
  if (params !== undefined && params !== null) {
    if (!isRecord(params)) fail('parameters', `expects an object of parameter name => {type, description, sensitive, default}, got ${jsonType(params)}`);
    const out: Record<string, ParamSpec> = {};
    for (const [name, spec] of Object.entries(params as Record<string, unknown>)) {
      const where = `parameters.${name}`;
      if (!PARAM_NAME.test(name)) {
        fail(where, `invalid parameter name '${name}': names must start with a lowercase letter and contain only lowercase letters, digits and underscores`);
      }
      const s = spec === null ? {} : spec;
      if (!isRecord(s)) fail(where, `expects an object with type, description, sensitive, default; got ${jsonType(spec)}`);
      const r = s as Record<string, unknown>;
      const extra = Object.keys(r).filter((k) => !['type', 'description', 'sensitive', 'default'].includes(k));
      if (extra.length > 0) {
        warnings.push({ id: 'unknown_task_parameter_keys', msg: `${file}: ${where} contains unknown keys: ${extra.join(', ')}` });
      }
      const p: ParamSpec = {};
      if (r['type'] !== undefined && r['type'] !== null) {
        if (typeof r['type'] !== 'string') fail(`${where}.type`, `expects a type string like "String[1]", got ${jsonType(r['type'])}`);
        try {
          p.parsedType = parseType(r['type'] as string, options);
        } catch (error) {
          if (error instanceof PuppetTypeError) fail(`${where}.type`, error.reason);
          throw error;
        }
        p.type = r['type'] as string;
      }
      if (r['description'] !== undefined && r['description'] !== null) {
        if (typeof r['description'] !== 'string') fail(`${where}.description`, `expects a String, got ${jsonType(r['description'])}`);
        p.description = r['description'] as string;
      }
      const sensitive = bool('sensitive', r['sensitive'], `${where}.sensitive`);
      if (sensitive !== undefined) p.sensitive = sensitive;
      if (Object.hasOwn(r, 'default')) {
        p.default = r['default'];
        if (p.parsedType !== undefined) {
          const why = explainMismatch(p.parsedType, r['default'], p.sensitive === true);
          if (why !== undefined) fail(`${where}.default`, `${why} (the default must match the type ${formatType(p.parsedType)})`);
        }
      }
      out[name] = p;
    }
    metadata.parameters = out;
  }

  const impls = data['implementations'];
  if (impls !== undefined && impls !== null) {
    const who = options.taskName ?? file;
    if (!Array.isArray(impls)) fail('implementations', `Task metadata for task ${who} does not specify implementations as an array`);
    metadata.implementations = (impls as unknown[]).map((impl, i) => {
      const where = `implementations[${i}]`;
      if (!isRecord(impl)) fail(where, `expects an object with name and requirements, got ${jsonType(impl)}`);
      const r = impl as Record<string, unknown>;
      if (typeof r['name'] !== 'string' || r['name'] === '') fail(`${where}.name`, `expects the file name of an executable in the tasks directory, got ${jsonType(r['name'])}`);
      const reqs = r['requirements'];
      if (reqs !== undefined && reqs !== null && !(Array.isArray(reqs) && reqs.every((x) => typeof x === 'string'))) {
        fail(`${where}.requirements`, `Task metadata for task ${who} does not specify requirements as an array`);
      }
      const out: Implementation = { name: r['name'] as string, requirements: (reqs as string[] | null | undefined) ?? [] };
      const m = inputMethod(r['input_method'], `${where}.input_method`);
      if (m !== undefined) out.input_method = m;
      const f = files(r['files'], `${where}.files`);
      if (f !== undefined) out.files = f;
      const remote = bool('remote', r['remote'], `${where}.remote`);
      if (remote !== undefined) out.remote = remote;
      return out;
    });
  }

  return { metadata, raw: data, warnings };
}

/**
 * Reads and checks a metadata file.
 *
 * @throws ConfigError kind `puppet.tasks/unreadable-metadata` when the file cannot be read, or any
 *   error of {@link parseTaskMetadata}.
 * @example
 * ```ts
 * const { metadata } = await readTaskMetadata('modules/demo/tasks/deploy.json', { taskName: 'demo::deploy' });
 * ```
 */
export async function readTaskMetadata(file: string, options: MetadataOptions & { displayPath?: string } = {}): Promise<ParsedMetadata> {
  const shown = options.displayPath ?? file;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(TaskErrorKind.UnreadableMetadata, `Error reading metadata: ${(error as Error).message}`, { file: shown });
  }
  return parseTaskMetadata(text, shown, options);
}
