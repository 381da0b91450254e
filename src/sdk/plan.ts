/**
 * {@link definePlan}: a plan is a description, parameters declared once (Puppet type strings or
 * JSON Schema) and an async `run` whose argument type is inferred from them.
 *
 * The same file runs three ways: `rivet plan run <name>`, `npx tsx plans/x.ts --targets ... k=v`
 * (when the file is the process's entry point, `definePlan` schedules the CLI for it on the next
 * tick), and `runPlan(plan, params)` from another plan or an application (importing never runs).
 *
 * @example
 * ```ts
 * import { definePlan, runCommand } from 'rivetops';
 * export default definePlan({
 *   description: 'Print the uptime',
 *   params: { targets: 'TargetSpec', verbose: { type: 'Boolean', default: false } },
 *   async run({ targets, verbose }) {
 *     return runCommand(verbose ? 'uptime' : 'uptime -p', targets);
 *   },
 * });
 * ```
 * @module
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCli } from './load-cli.ts';
import { callerLocation } from './location.ts';
import type { OnFailure } from './options.ts';
import type { CallerParams, ParamsDecl, RunArgs } from './params.ts';

const PLAN = Symbol.for('rivet.plan');

export interface PlanInput<P extends ParamsDecl, R> {
  /** One line (or more) shown by `rivet plan show`. */
  description?: string;
  /** Hidden from `rivet plan show` lists (Bolt's `@api private`). */
  private?: boolean;
  /** Parameters: name -> Puppet type string, `{ type, default?, description?, sensitive? }` or `{ schema, ... }`. */
  params?: P;
  /** The default failure mode of the plan's steps (default `'throw'`, Bolt's semantics). */
  onFailure?: OnFailure;
  /** The plan body. TargetSpec parameters arrive resolved to `Target[]`; defaults are applied. */
  run(args: RunArgs<P>): Promise<R> | R;
}

/** A defined plan. `P` is its parameter declaration, `R` what `run` resolves to. */
export interface Plan<P extends ParamsDecl = ParamsDecl, R = unknown> {
  readonly description: string | undefined;
  readonly private: boolean;
  readonly params: P;
  readonly onFailure: OnFailure;
  /** The file that called `definePlan` (absolute), when known. */
  readonly file: string | undefined;
  readonly run: (args: RunArgs<P>) => Promise<R>;
  /** Type-only: what callers pass. */
  readonly __params?: CallerParams<P>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlan = Plan<any, any>;

/** The parameters callers pass to a plan. */
export type PlanParams<T extends AnyPlan> = NonNullable<T['__params']>;
/** What a plan resolves to. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PlanReturn<T extends AnyPlan> = T extends { run: (args: any) => Promise<infer R> } ? R : unknown;

/** Defines a plan (see the module doc). */
export function definePlan<const P extends ParamsDecl = Record<never, never>, R = void>(input: PlanInput<P, R>): Plan<P, Awaited<R>> {
  const location = callerLocation();
  const body = input.run;
  const plan = {
    description: input.description,
    private: input.private ?? false,
    params: (input.params ?? {}) as P,
    onFailure: input.onFailure ?? 'throw',
    file: location?.file,
    run: async (args: RunArgs<P>): Promise<Awaited<R>> => (await body.call(input, args)) as Awaited<R>,
  };
  Object.defineProperty(plan, PLAN, { value: true });
  Object.freeze(plan);
  if (location !== undefined && isEntryPoint(location.file)) scheduleDirectRun(plan as Plan);
  return plan as Plan<P, Awaited<R>>;
}

/** True for values made by {@link definePlan} (in any copy of Rivet). */
export function isPlan(value: unknown): value is AnyPlan {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLAN] === true;
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** True when `file` is the script node was started with (`npx tsx plans/deploy.ts`). */
export function isEntryPoint(file: string, argv1: string | undefined = process.argv[1]): boolean {
  if (argv1 === undefined) return false;
  const entry = argv1.startsWith('file://') ? fileURLToPath(argv1) : argv1;
  const a = realpath(entry);
  const b = realpath(file);
  return a === b || a.replace(/\.[cm]?[jt]s$/, '') === b.replace(/\.[cm]?[jt]s$/, '');
}

/**
 * Runs the plan through the CLI (same parsing, output and exit codes as `rivet plan run`). This
 * is the one place the SDK loads the CLI, and only when the plan file is the entry point: an
 * import of the same file elsewhere never gets here.
 */
let directPlans: Plan[] | undefined;

function scheduleDirectRun(plan: Plan): void {
  if (directPlans !== undefined) {
    // A second plan in the entry file: the scheduled run reports it.
    directPlans.push(plan);
    return;
  }
  directPlans = [plan];
  setImmediate(() => {
    if (directPlans!.length > 1) {
      process.stderr.write(`Error: ${plan.file ?? 'this file'} defines ${directPlans!.length} plans; a plan file run directly must define exactly one (run the others with rivet plan run)\n`);
      process.exitCode = 2;
      return;
    }
    loadCli().then(
      (mod) => mod.mainPlan(plan),
      (error: unknown) => {
        process.stderr.write(`Error: cannot load the Rivet CLI to run this plan: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  });
}
