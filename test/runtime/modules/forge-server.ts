/**
 * A Forge on loopback for the module installer tests: the v3 endpoints Rivet uses
 * (`/v3/modules/:slug`, `/v3/releases?module=`, `/v3/files/:file`), serving real module tarballs
 * built here, with every request counted. Releases are listed two per page so paging is used.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FakeRelease {
  slug: string; // owner-name
  version: string;
  dependencies?: { name: string; version_requirement?: string }[];
  /** Extra files, path inside the module → content. */
  files?: Record<string, string>;
  /** Replace the tarball (hostile or corrupt). */
  tarball?: Buffer;
  /** Replace the advertised sha256. */
  sha256?: string;
  /** Never answer the download (to test cancelling). */
  hang?: boolean;
}

export interface ForgeServer {
  url: string;
  /** Requests so far (method + path). */
  requests: string[];
  /** The Authorization header of each request. */
  authorizations: (string | undefined)[];
  add(release: FakeRelease): void;
  close(): Promise<void>;
}

/** A ustar entry; `type` '0' file, '5' directory, '2' symlink, '1' hard link. */
export function tarEntry(name: string, content: Buffer | string, type = '0', linkname = '', mode = 0o644): Buffer {
  const body = type === '0' ? Buffer.from(content) : Buffer.alloc(0);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write(mode.toString(8).padStart(7, '0') + '\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(type, 156);
  header.write(linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, pad]);
}

/** A gzipped tar of entries. */
export function tarGz(entries: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}

/** The tarball of a module release, as the Forge packs it (`owner-name-version/` top directory). */
export function moduleTarball(release: FakeRelease): Buffer {
  const top = `${release.slug}-${release.version}`;
  const metadata = { name: release.slug, version: release.version, author: 'test', summary: `${release.slug} for tests`, license: 'Apache-2.0', source: 'test', dependencies: release.dependencies ?? [] };
  const files: Record<string, string> = { 'metadata.json': `${JSON.stringify(metadata, null, 2)}\n`, 'README.md': `# ${release.slug}\n`, ...release.files };
  const dirs = new Set<string>();
  const entries = [tarEntry(`${top}/`, '', '5', '', 0o755)];
  for (const path of Object.keys(files).sort()) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push(tarEntry(`${top}/${d}/`, '', '5', '', 0o755));
      }
    }
    entries.push(tarEntry(`${top}/${path}`, files[path]!, '0', '', path.startsWith('tasks/') && !path.endsWith('.json') ? 0o755 : 0o644));
  }
  return tarGz(entries);
}

export async function startForge(releases: FakeRelease[] = []): Promise<ForgeServer> {
  const all: { release: FakeRelease; tarball: Buffer }[] = [];
  const requests: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const add = (release: FakeRelease) => all.push({ release, tarball: release.tarball ?? moduleTarball(release) });
  releases.forEach(add);
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const mod = /^\/v3\/modules\/([^/]+)$/.exec(url.pathname);
    if (mod !== null) {
      const mine = all.filter((r) => r.release.slug === mod[1]);
      if (mine.length === 0) return json(404, { message: '404 Not Found', errors: ["The requested resource could not be found"] });
      return json(200, { slug: mod[1], current_release: { version: mine.at(-1)!.release.version } });
    }
    if (url.pathname === '/v3/releases') {
      const slug = url.searchParams.get('module');
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const mine = all.filter((r) => r.release.slug === slug);
      const page = mine.slice(offset, offset + 2);
      const next = offset + 2 < mine.length ? `/v3/releases?module=${slug}&limit=2&offset=${offset + 2}` : null;
      return json(200, {
        pagination: { limit: 2, offset, next, total: mine.length },
        results: page.map(({ release, tarball }) => ({
          slug: `${release.slug}-${release.version}`,
          version: release.version,
          file_uri: `/v3/files/${release.slug}-${release.version}.tar.gz`,
          file_md5: createHash('md5').update(tarball).digest('hex'),
          file_sha256: release.sha256 ?? createHash('sha256').update(tarball).digest('hex'),
          metadata: { name: release.slug, version: release.version, dependencies: release.dependencies ?? [] },
        })),
      });
    }
    const file = /^\/v3\/files\/(.+)\.tar\.gz$/.exec(url.pathname);
    const found = file === null ? undefined : all.find((r) => `${r.release.slug}-${r.release.version}` === file[1]);
    if (found?.release.hang === true) return;
    if (found !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': found.tarball.length });
      return res.end(found.tarball);
    }
    json(404, { message: 'not found' });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    add,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
