/**
 * Loading TypeScript plan files into a process that may have no TypeScript loader. Rivet itself is
 * plain JavaScript (dist/), so `rivet` and applications start without tsx; tsx is registered only
 * when the first `.ts` plan is imported, and only if nothing in the process already loads `.ts`
 * files (`npx tsx plans/x.ts`, vitest, ts-node, a Node with type stripping on).
 *
 * Node caches a failed import per URL, so "try, and register tsx on failure" would leave the plan
 * unloadable: a throwaway probe file is imported instead, once per process.
 *
 * @example
 * ```ts
 * await ensureTypeScriptLoader();
 * const mod = await import(pathToFileURL('/srv/site/plans/deploy.ts').href);
 * ```
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let ready: Promise<void> | undefined;

/** Makes `import()` of `.ts` files work in this process; registers tsx at most once. */
export function ensureTypeScriptLoader(): Promise<void> {
  ready ??= (async () => {
    if (!(await canImportTypeScript())) {
      const { register } = await import('tsx/esm/api');
      register();
    }
  })();
  return ready;
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
