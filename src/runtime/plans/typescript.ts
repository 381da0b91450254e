/**
 * Loading TypeScript plan files into a process that may have no TypeScript loader. Rivet itself is
 * plain JavaScript (dist/), so `rivet` and applications start without tsx. When something in the
 * process already loads `.ts` files (`npx tsx plans/x.ts`, vitest, ts-node, a Node with type
 * stripping on), a plan is imported as it is, through that loader. Otherwise it is compiled with
 * esbuild into Rivet's plan cache and the JavaScript is imported (`compile.ts`): no loader hooks
 * are registered in the process.
 *
 * Node caches a failed import per URL, so "try, and fall back on failure" would leave the plan
 * unloadable: a throwaway probe file is imported instead, once per process.
 *
 * @example
 * ```ts
 * const mod = await importTypeScript('/srv/site/plans/deploy.ts');
 * ```
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let loader: Promise<boolean> | undefined;

/** True when `import()` of `.ts` files already works in this process (probed once). */
export function hasTypeScriptLoader(): Promise<boolean> {
  loader ??= canImportTypeScript();
  return loader;
}

/**
 * Imports a TypeScript module: through the process's loader when there is one, else compiled
 * through Rivet's plan cache.
 */
export async function importTypeScript(file: string): Promise<{ default?: unknown }> {
  if (!(await hasTypeScriptLoader())) {
    const { importCompiledTypeScript } = await import('./compile.ts');
    return importCompiledTypeScript(file);
  }
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as { default?: unknown };
  } catch (error) {
    // A `.ts` file outside any `"type": "module"` package is CommonJS to Node's loader, and tsx
    // then cannot `require()` Rivet's ES modules from it: tsx's `tsImport` loads it as ESM.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_REQUIRE_CYCLE_MODULE' && code !== 'ERR_REQUIRE_ESM' && !/require\(\) (of )?ES Module/i.test(String((error as Error).message))) throw error;
    const { tsImport } = (await import('tsx/esm/api')) as { tsImport(specifier: string, parent: string): Promise<{ default?: unknown }> };
    return tsImport(url, import.meta.url);
  }
}

/** Imports a tiny `.ts` file (with a type annotation, so plain JavaScript would not parse it). */
async function canImportTypeScript(): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-ts-probe-'));
  try {
    const file = join(dir, 'probe.mts');
    await writeFile(file, 'const probe: number = 1;\nexport default probe;\n');
    await import(pathToFileURL(file).href);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
