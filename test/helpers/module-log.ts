/**
 * A `node --import` preload that appends every module a process loads to the file named by
 * `MODULE_LOG`, one URL a line: ES modules as they are resolved, CommonJS modules (which skip the
 * ESM hooks) from require's cache when the process exits. Tests use it to check what a run loads,
 * instead of timing it.
 *
 * @example
 * ```ts
 * await writeFile(join(dir, 'record-modules.mjs'), MODULE_LOG_PRELOAD);
 * execFile(process.execPath, ['--import', join(dir, 'record-modules.mjs'), 'app.mjs'], { env: { ...process.env, MODULE_LOG: log } });
 * ```
 */
export const MODULE_LOG_PRELOAD = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
process.on('exit', () => appendFileSync(process.env.MODULE_LOG, Object.keys(createRequire(import.meta.url).cache).map((file) => 'file://' + file + '\\n').join('')));
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.MODULE_LOG, result.url + '\\\\n');
  return result;
}\`));
`;
