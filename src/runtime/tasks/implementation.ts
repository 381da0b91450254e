/**
 * Choosing a task's implementation for a target (T-14, T-16, T-17, T-19, T-21).
 *
 * @example
 * ```ts
 * const impl = selectImplementation(task, { name: 'web1', features: ['shell'] });
 * impl.path; impl.inputMethod; impl.files;
 * ```
 * @module
 */
import { extname } from 'node:path';
import { ErrorKind, RivetError } from '../../core/index.ts';
import type { TaskDefinition, TaskFile } from './discovery.ts';
import type { InputMethod } from './metadata.ts';

/** The implementation to run, with everything the transport needs. */
export interface SelectedImplementation {
  /** File name of the executable in the module's `tasks/` directory. */
  name: string;
  path: string;
  inputMethod: InputMethod;
  /** Extra files to upload (implementation `files` first, then top-level, as Bolt does). */
  files: TaskFile[];
  /** True when `files` is non-empty: the executable goes to `<tmp>/<module>/tasks/` and `_installdir` is set (T-19). */
  usesInstallDir: boolean;
  /** The module-relative location of the executable under an install dir: `<module>/tasks/<name>`. */
  installPath: string;
}

/** What implementation selection needs to know about a target. */
export interface TargetFeatures {
  name: string;
  /** Inventory features ∪ transport-provided (`shell`, `powershell`, `puppet-agent`). */
  features: readonly string[];
}

/**
 * The default input method (T-14): `powershell` for `.ps1` on PowerShell targets, else `both`.
 *
 * @example
 * ```ts
 * defaultInputMethod('x.ps1', ['powershell']); // 'powershell'
 * defaultInputMethod('x.ps1', ['shell']); // 'both'
 * ```
 */
export function defaultInputMethod(executable: string, features: readonly string[]): InputMethod {
  return extname(executable).toLowerCase() === '.ps1' && features.includes('powershell') ? 'powershell' : 'both';
}

/**
 * Picks the first implementation whose requirements are all target features and whose remote
 * flag matches `remote` (T-16); computes files and input method.
 *
 * @throws RivetError kind `bolt/no-implementation`: `No suitable implementation of <task> for <target>`.
 * @example
 * ```ts
 * selectImplementation(task, { name: 'win1', features: ['powershell'] }).name; // 'sql_windows.ps1'
 * ```
 */
export function selectImplementation(task: TaskDefinition, target: TargetFeatures, options: { remote?: boolean } = {}): SelectedImplementation {
  const remote = options.remote === true;
  const noImpl = () =>
    new RivetError(ErrorKind.NoImplementation, `No suitable implementation of ${task.name} for ${target.name}`, {
      target: target.name,
      details: { task: task.name, features: [...target.features] },
    });
  const { metadata } = task;
  let name: string;
  let implInput: InputMethod | undefined;
  let implFiles: string[] = [];
  if (metadata.implementations !== undefined) {
    const impl = metadata.implementations.find(
      (i) => i.requirements.every((r) => target.features.includes(r)) && (i.remote ?? metadata.remote ?? false) === remote,
    );
    if (impl === undefined) throw noImpl();
    name = impl.name;
    implInput = impl.input_method;
    implFiles = impl.files ?? [];
  } else {
    if ((metadata.remote ?? false) !== remote) throw noImpl();
    const first = task.executables[0];
    if (first === undefined) throw noImpl();
    name = first.name;
  }
  const exe = task.executables.find((e) => e.name === name);
  if (exe === undefined) throw noImpl();
  const refs = [...implFiles, ...(metadata.files ?? [])];
  const files: TaskFile[] = [];
  const add = (f: TaskFile) => {
    if (!files.some((x) => x.name === f.name)) files.push(f);
  };
  for (const ref of refs) {
    if (ref.endsWith('/')) task.files.filter((f) => f.name.startsWith(ref)).forEach(add);
    else {
      const f = task.files.find((x) => x.name === ref);
      if (f === undefined) throw new RivetError(ErrorKind.Generic, `No file found for reference ${ref}`, { details: { task: task.name } });
      add(f);
    }
  }
  return {
    name,
    path: exe.path,
    inputMethod: implInput ?? metadata.input_method ?? defaultInputMethod(name, target.features),
    files,
    usesInstallDir: files.length > 0,
    installPath: `${task.module}/tasks/${name}`,
  };
}
