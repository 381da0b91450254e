/**
 * Type-checking a plan before it runs (`rivet plan run --typecheck`, or `typecheck: true` in
 * rivet-project.yaml): the plan file and the project's generated task types (`.rivet/*.ts`, from
 * `rivet types`) go through the TypeScript compiler, and any error in the project's own files
 * fails the run before a target is touched.
 *
 * TypeScript is loaded only here, and from the project first: the project decides its compiler
 * version (it has it anyway to write typed plans). Rivet's own copy is a fallback that exists only
 * in a development checkout, since `typescript` is one of its devDependencies; without either the
 * error says how to install it.
 *
 * @example
 * ```ts
 * await typecheckPlan('/site/plans/deploy.ts', '/site'); // throws rivet/plan-type-error
 * ```
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type * as TS from 'typescript';
import { RivetError, UsageError } from '../../core/errors.ts';

/** The error kind of a plan that does not type-check. */
export const PLAN_TYPE_ERROR = 'rivet/plan-type-error';

/** One compiler error in the project's files. */
export interface PlanTypeDiagnostic {
  file: string | undefined;
  line: number | undefined;
  column: number | undefined;
  code: number;
  message: string;
}

/** Options when the project has no tsconfig.json on the plan's way up: strict, Node ESM, `.ts` imports. */
const DEFAULT_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  allowImportingTsExtensions: true,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
} as const;

/** The TypeScript compiler of the project (else Rivet's own, in a checkout), loaded on first use. */
function loadTypeScript(projectDir: string): typeof TS {
  for (const from of [join(projectDir, 'package.json'), import.meta.url]) {
    try {
      return createRequire(from)('typescript') as typeof TS;
    } catch {
      // not installed there
    }
  }
  throw new UsageError(`--typecheck needs the 'typescript' package in the project: run 'npm install --save-dev typescript' in ${projectDir}`);
}

function inside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.split(sep).includes('node_modules');
}

/** The compiler options and root files: the plan's tsconfig.json (inside the project), else the defaults and `.rivet/*.ts`. */
function programInput(ts: typeof TS, file: string, projectDir: string): { options: TS.CompilerOptions; rootNames: string[] } {
  const config = ts.findConfigFile(dirname(file), ts.sys.fileExists);
  if (config !== undefined && inside(projectDir, resolve(config))) {
    const problems: TS.Diagnostic[] = [];
    const parsed = ts.getParsedCommandLineOfConfigFile(config, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => problems.push(d) });
    if (parsed === undefined || problems.length > 0) {
      const why = problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ');
      throw new UsageError(`Cannot read ${config} for --typecheck: ${why || 'unknown error'}`);
    }
    // The generated types augment the SDK's registries: they must be in the program.
    const declarations = parsed.fileNames.filter((f) => f.endsWith('.d.ts') || f.endsWith('.gen.ts'));
    return { options: { ...parsed.options, noEmit: true }, rootNames: [file, ...declarations] };
  }
  const converted = ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, projectDir);
  const generatedDir = join(projectDir, '.rivet');
  const generated = existsSync(generatedDir) ? readdirSync(generatedDir).filter((f) => f.endsWith('.ts')).map((f) => join(generatedDir, f)) : [];
  return { options: converted.options, rootNames: [file, ...generated] };
}

/** Compiler errors of the plan (and what it imports) in the project's own files. */
export function planTypeDiagnostics(file: string, projectDir: string): PlanTypeDiagnostic[] {
  const ts = loadTypeScript(projectDir);
  const { options, rootNames } = programInput(ts, resolve(file), resolve(projectDir));
  const program = ts.createProgram({ rootNames, options });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error && (d.file === undefined || inside(resolve(projectDir), resolve(d.file.fileName))))
    .map((d) => {
      const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return {
        file: d.file?.fileName,
        line: position ? position.line + 1 : undefined,
        column: position ? position.character + 1 : undefined,
        code: d.code,
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      };
    });
}

/**
 * Throws `rivet/plan-type-error`, with every diagnostic in the message and in
 * `details.diagnostics`, when the plan does not type-check.
 */
export function typecheckPlan(file: string, projectDir: string): void {
  const diagnostics = planTypeDiagnostics(file, projectDir);
  if (diagnostics.length === 0) return;
  const lines = diagnostics.map((d) => `  ${d.file === undefined ? '' : `${d.file}:${d.line}:${d.column}: `}TS${d.code}: ${d.message.replaceAll('\n', '\n    ')}`);
  throw new RivetError(PLAN_TYPE_ERROR, `The plan ${file} does not type-check (${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}); nothing was run:\n${lines.join('\n')}`, {
    details: { diagnostics },
  });
}
