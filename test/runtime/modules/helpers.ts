import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, lstat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Every file, directory and link under `dir` with its content hash and mode: a byte-for-byte picture. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(join(dir, path));
      if (info.isDirectory()) {
        out[path] = `dir ${info.mode.toString(8)}`;
        await walk(path);
      } else if (info.isSymbolicLink()) out[path] = `link ${await readlink(join(dir, path))}`;
      else out[path] = `file ${info.mode.toString(8)} ${createHash('sha256').update(await readFile(join(dir, path))).digest('hex')}`;
    }
  };
  await walk('');
  return out;
}

/** A temp project with these files. */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-modinst-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** A project file using the test Forge. */
export function projectYaml(forgeUrl: string, modules: string[]): string {
  return ['name: site', 'module-install:', '  forge:', `    baseurl: ${forgeUrl}`, 'modules:', ...modules.map((m) => `  - ${m}`), ''].join('\n');
}
