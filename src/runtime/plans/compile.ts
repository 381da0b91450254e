/**
 * Loading TypeScript plan files without a loader in the process: each `.ts` file (the plan and the
 * local `.ts` files it imports) is compiled once with esbuild into Rivet's private plan cache and
 * the JavaScript is imported from there. Nothing is registered in Node's module loader, so there
 * is no hooks worker thread and no transform of every module Rivet itself loads (tsx's register
 * costs about a second of CPU at start-up); on a cache hit no esbuild process starts at all.
 *
 * - One cache file per source file, named by its path: a module imported by two plans is one
 *   module, as with Node's own loader.
 * - Every import is rewritten to an absolute URL, found as Node would find it from the source
 *   file (esbuild's resolver with Node's conditions): packages, `rivetops` included, resolve to
 *   the same files, so the plan shares Rivet's SDK instance. Local `.ts` imports point at their
 *   own cache files; an import that cannot be resolved is left as written (Node reports it).
 * - `import.meta.url`, `.dirname` and `.filename` are the source file's.
 * - Source maps (inline, with the source file's URL) and `process.setSourceMapsEnabled(true)` keep
 *   stack traces and plan file:line locations on the `.ts` lines.
 * - A cache file records its source's hash, its local `.ts` imports and the files its other imports
 *   resolved to (`.js` files, packages, tsconfig paths); it is used only while the hash of every
 *   `.ts` file it imports, directly or not, still matches and every one of those other files still
 *   exists. So a `util.js` replaced by `util.ts`, or a package moved by `npm install`, recompiles
 *   the importer instead of failing with a stale absolute URL. A file with an import that could
 *   not be resolved is recompiled every time, so creating the missing file fixes it. The check is one `access` per
 *   import: a valid hit still starts no esbuild.
 *
 * @example
 * ```ts
 * const mod = await importCompiledTypeScript('/srv/site/plans/deploy.ts');
 * mod.default; // the plan
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { access, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { privateCacheDir } from './cache-dir.ts';

/** Bumped when the compiled form changes, so old cache files are not used. */
const FORMAT = 2;
const TYPESCRIPT_FILE = /\.(?:[cm]?ts|tsx)$/;
const HEADER = '//# rivet-compiled ';

interface CacheEntry {
  /** The source file (real path). */
  source: string;
  /** sha256 of the source's bytes. */
  hash: string;
  /** The local TypeScript files it imports (real paths). */
  deps: string[];
  /** The files its other (non-TypeScript, non-builtin) imports resolved to; their URLs are fixed in the code. */
  files: string[];
  /** Whether some import could not be resolved (left as written, so it fails until recompiled). */
  unresolved: boolean;
}

/** Imports a TypeScript file through the compile cache (see the module doc). */
export async function importCompiledTypeScript(file: string): Promise<{ default?: unknown }> {
  const dir = await privateCacheDir();
  const entry = await realpath(file);
  await ensureCompiled(entry, dir, new Set());
  process.setSourceMapsEnabled(true);
  return (await import(cacheUrl(dir, entry))) as { default?: unknown };
}

function cachePath(dir: string, source: string): string {
  return join(dir, `${createHash('sha256').update(`${FORMAT}\0${source}`).digest('hex').slice(0, 24)}.mjs`);
}

function cacheUrl(dir: string, source: string): string {
  return pathToFileURL(cachePath(dir, source)).href;
}

/** Compiles `source` and the local `.ts` files it imports, unless their cache files are current. */
async function ensureCompiled(source: string, dir: string, seen: Set<string>): Promise<void> {
  if (seen.has(source)) return;
  seen.add(source);
  const code = await readFile(source);
  const hash = createHash('sha256').update(code).digest('hex');
  const cached = await readEntry(cachePath(dir, source));
  const deps = cached !== undefined && cached.hash === hash && cached.source === source && !cached.unresolved && (await allExist(cached.files)) ? cached.deps : await compile(source, code, hash, dir);
  for (const dep of deps) await ensureCompiled(dep, dir, seen);
}

/** True when every file still exists (the cheap check that the fixed import URLs still resolve). */
async function allExist(files: readonly string[] | undefined): Promise<boolean> {
  if (!Array.isArray(files)) return false;
  const found = await Promise.all(files.map((f) => access(f).then(() => true, () => false)));
  return found.every(Boolean);
}

async function readEntry(path: string): Promise<CacheEntry | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const at = text?.lastIndexOf(HEADER) ?? -1;
  if (text === undefined || at < 0) return undefined;
  try {
    return JSON.parse(text.slice(at + HEADER.length, text.indexOf('\n', at))) as CacheEntry;
  } catch {
    return undefined;
  }
}

/** esbuild's module, loaded on the first cache miss only. */
let esbuild: Promise<typeof import('esbuild')> | undefined;

/** Compiles one file into the cache (atomically) and returns its local `.ts` imports. */
async function compile(source: string, code: Buffer, hash: string, dir: string): Promise<string[]> {
  const { build } = await (esbuild ??= import('esbuild'));
  const out = cachePath(dir, source);
  const deps = new Set<string>();
  const files = new Set<string>();
  let unresolved = false;
  const self = Symbol('rivet-resolve');
  const sourceUrl = pathToFileURL(source).href;
  const result = await build({
    stdin: { contents: code.toString('utf8'), sourcefile: source, resolveDir: join(source, '..'), loader: source.endsWith('x') ? 'tsx' : 'ts' },
    outfile: out,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: 'external',
    sourcesContent: false,
    logLevel: 'silent',
    // Node's resolution: no "module" condition, "main" only.
    conditions: [],
    mainFields: ['main'],
    define: {
      'import.meta.url': JSON.stringify(sourceUrl),
      'import.meta.filename': JSON.stringify(source),
      'import.meta.dirname': JSON.stringify(join(source, '..')),
    },
    plugins: [
      {
        name: 'rivet-imports',
        setup(plugin) {
          plugin.onResolve({ filter: /.*/ }, async (args) => {
            if (args.pluginData === self) return undefined;
            if (isBuiltin(args.path)) return { path: args.path, external: true };
            const found = await plugin.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: self });
            if (found.errors.length > 0 || found.external || found.path === '') {
              unresolved = true;
              return { path: args.path, external: true };
            }
            if (TYPESCRIPT_FILE.test(found.path)) {
              const real = await realpath(found.path);
              deps.add(real);
              return { path: cacheUrl(dir, real), external: true };
            }
            files.add(found.path);
            return { path: pathToFileURL(found.path).href, external: true };
          });
        },
      },
    ],
  });
  const js = result.outputFiles.find((f) => f.path === out)?.text ?? '';
  const map = JSON.parse(result.outputFiles.find((f) => f.path === `${out}.map`)?.text ?? '{"version":3,"sources":[],"mappings":""}') as { sources: string[] };
  map.sources = [sourceUrl];
  const entry: CacheEntry = { source, hash, deps: [...deps], files: [...files], unresolved };
  const text =
    `${js.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n')}${HEADER}${JSON.stringify(entry)}\n` +
    `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  const temp = `${out}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, out);
  return entry.deps;
}
