/**
 * `--rerun failure|success|all` (Bolt's `--rerun`, I-18): every ad-hoc run and plan run records
 * each target's status in `<project>/.rivet/rerun.json` (Bolt's `.rerun.json` shape,
 * `[{"target": "web1", "status": "success"}]`), and `--rerun` targets the chosen set of that
 * last run. A plan run records the ResultSet it returns (or that its RunFailure carries) and, as
 * Bolt's `Rerun#update`, removes the record when it ends with anything else.
 * `--no-save-rerun` (or `save-rerun: false` in the project file) leaves the file as is.
 * Target names are stored without URI passwords.
 *
 * @example
 * ```ts
 * await saveRerun(project.dir, set);
 * const names = await rerunTargets(project.dir, 'failure'); // ['web2']
 * ```
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorKind, UsageError, isRivetError } from '../core/errors.ts';
import { ResultSet } from '../core/result.ts';
import { isRunFailure } from '../sdk/errors.ts';

export type RerunFilter = 'all' | 'failure' | 'success';
export const RERUN_FILTERS: readonly RerunFilter[] = ['failure', 'success', 'all'];

/** Where a project's last run is recorded. */
export function rerunPath(projectDir: string): string {
  return join(projectDir, '.rivet', 'rerun.json');
}

/** The target names of the last run with the chosen status. */
export async function rerunTargets(projectDir: string, filter: RerunFilter): Promise<string[]> {
  const path = rerunPath(projectDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`--rerun ${filter}: there is no record of a last run (${path}); each command, script, task, file and plan run records its results there unless --no-save-rerun`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--rerun ${filter}: ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(data) || !data.every((r: unknown) => isEntry(r))) {
    throw new UsageError(`--rerun ${filter}: missing data in ${path} (expected [{"target": "<name>", "status": "success|failure"}, ...])`);
  }
  const names = (data as { target: string; status: string }[]).filter((r) => filter === 'all' || r.status === filter).map((r) => r.target);
  if (names.length === 0) throw new UsageError(`--rerun ${filter}: the last run (${path}) had no target with status ${filter === 'all' ? 'success or failure' : filter}`);
  return names;
}

function isEntry(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { target, status } = value as Record<string, unknown>;
  return typeof target === 'string' && target !== '' && typeof status === 'string';
}

/** Records each target's status; a failure to write is returned as a warning, never thrown. */
export async function saveRerun(projectDir: string, set: ResultSet): Promise<string | undefined> {
  // toJSON names each target without the password of its URI.
  return writeRerun(projectDir, set.toJSON());
}

async function writeRerun(projectDir: string, results: readonly { target: string; status: string }[]): Promise<string | undefined> {
  const path = rerunPath(projectDir);
  const data = results.map((r) => ({ target: r.target, status: r.status }));
  try {
    await mkdir(join(projectDir, '.rivet'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(data)}\n`);
    await rename(tmp, path);
    return undefined;
  } catch (error) {
    return `Failed to save the results for --rerun to ${path}: ${(error as Error).message}`;
  }
}

/**
 * What a plan run leaves for `--rerun` (Bolt's `Rerun#update` on a plan's result): the ResultSet
 * the plan returned or its RunFailure carries is recorded; any other end removes the record, so
 * `--rerun` never picks targets from an older run. `journaled` says the outcome came back from a
 * durable run's journal, where a ResultSet is its JSON (`[{target, action, status, ...}]`) and a
 * RunFailure a `bolt/run-failure` error with that JSON as `details.result_set`. A failure to write
 * is returned as a warning.
 */
export async function savePlanRerun(projectDir: string, outcome: unknown, journaled = false): Promise<string | undefined> {
  const set = outcome instanceof ResultSet ? outcome : isRunFailure(outcome) ? outcome.resultSet : undefined;
  if (set !== undefined) return saveRerun(projectDir, set);
  const data = journaled ? journaledResults(outcome) : undefined;
  if (data !== undefined) return writeRerun(projectDir, data);
  const path = rerunPath(projectDir);
  try {
    await rm(path, { force: true });
    return undefined;
  } catch (error) {
    return `Failed to remove the results for --rerun at ${path}: ${(error as Error).message}`;
  }
}

/** The results of a journaled ResultSet or RunFailure (see {@link savePlanRerun}). */
function journaledResults(outcome: unknown): { target: string; status: string }[] | undefined {
  const value = isRivetError(outcome) && outcome.kind === ErrorKind.RunFailure ? outcome.details['result_set'] : outcome;
  const isResult = (r: unknown): r is { target: string; status: string } => {
    if (typeof r !== 'object' || r === null) return false;
    const { target, action, status } = r as Record<string, unknown>;
    return typeof target === 'string' && typeof action === 'string' && (status === 'success' || status === 'failure');
  };
  return Array.isArray(value) && value.every(isResult) ? value : undefined;
}
