/**
 * A client for the Forge v3 HTTP API, the endpoints r10k and Bolt's resolver use:
 * `GET /v3/modules/:slug` (does the module exist, its newest release),
 * `GET /v3/releases?module=:slug` (every release with its metadata.json, paged through
 * `pagination.next`) and `GET <file_uri>` (`/v3/files/<slug>-<version>.tar.gz`), verified
 * against the release's `file_sha256` (else `file_md5`).
 *
 * Configured with Bolt's `module-install` keys: `forge.baseurl` (default
 * https://forgeapi.puppet.com), `forge.authorization_token` (sent as the `Authorization` header),
 * `forge.proxy`, else `proxy`.
 *
 * @example
 * ```ts
 * const forge = new ForgeClient({ baseUrl: 'http://127.0.0.1:8080' });
 * const releases = await forge.releases('puppetlabs-stdlib');
 * const tarball = await forge.download(releases[0]!);
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { httpGet, HttpError } from './http.ts';
import { installError, resolverError } from './errors.ts';
import { parseForgeName } from './specs.ts';

export const DEFAULT_FORGE = 'https://forgeapi.puppet.com';
/** Bound on an API answer. */
const MAX_API_BYTES = 16 * 1024 * 1024;
/** Bound on a module tarball. */
export const MAX_TARBALL_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 120_000;
const MAX_PAGES = 50;

export interface ForgeDependency {
  /** `owner-name` */
  slug: string;
  versionRequirement: string | undefined;
}

export interface ForgeRelease {
  slug: string;
  version: string;
  fileUri: string;
  sha256: string | undefined;
  md5: string | undefined;
  dependencies: ForgeDependency[];
}

export interface ForgeOptions {
  baseUrl?: string | undefined;
  authorizationToken?: string | undefined;
  proxy?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** `module-install` settings as ForgeOptions. */
export function forgeOptionsFrom(moduleInstall: Record<string, unknown> | undefined): ForgeOptions {
  const forge = (moduleInstall?.['forge'] ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return { baseUrl: str(forge['baseurl']), authorizationToken: str(forge['authorization_token']), proxy: str(forge['proxy']) ?? str(moduleInstall?.['proxy']) };
}

export class ForgeClient {
  readonly baseUrl: string;
  readonly #options: ForgeOptions;
  readonly #releases = new Map<string, Promise<ForgeRelease[]>>();

  constructor(options: ForgeOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_FORGE).replace(/\/+$/, '');
    this.#options = options;
  }

  async #get(path: string, maxBytes: number): Promise<{ status: number; body: Buffer; url: string }> {
    const url = new URL(path, `${this.baseUrl}/`).href;
    const headers: Record<string, string> = { accept: 'application/json' };
    // The token is for the Forge only: a `file_uri` or `pagination.next` (or a lock's file) that
    // points at another origin gets the request without it.
    const sameOrigin = new URL(url).origin === new URL(`${this.baseUrl}/`).origin;
    if (this.#options.authorizationToken !== undefined && sameOrigin) headers['authorization'] = this.#options.authorizationToken;
    try {
      return await httpGet(url, { headers, proxy: this.#options.proxy, maxBytes, timeoutMs: TIMEOUT_MS, signal: this.#options.signal });
    } catch (error) {
      const why = error instanceof HttpError ? error.message : (error as Error).message;
      throw installError(`cannot reach the Forge at ${this.baseUrl}: ${why}`, { url, forge: this.baseUrl }, error);
    }
  }

  async #json(path: string): Promise<{ status: number; data: unknown }> {
    const res = await this.#get(path, MAX_API_BYTES);
    if (res.status === 404) return { status: 404, data: undefined };
    if (res.status === 401 || res.status === 403) throw installError(`the Forge at ${this.baseUrl} refused the request (HTTP ${res.status}): check module-install.forge.authorization_token`, { url: res.url, status: res.status });
    if (res.status !== 200) throw installError(`the Forge at ${this.baseUrl} answered HTTP ${res.status} for ${res.url}`, { url: res.url, status: res.status });
    try {
      return { status: 200, data: JSON.parse(res.body.toString('utf8')) };
    } catch {
      throw installError(`the Forge at ${this.baseUrl} sent something that is not JSON for ${res.url}`, { url: res.url });
    }
  }

  /** Every release of `slug` (`owner-name`), newest first as the Forge lists them; an unknown module is a resolver error. */
  releases(slug: string): Promise<ForgeRelease[]> {
    let found = this.#releases.get(slug);
    if (found === undefined) {
      found = this.#fetchReleases(slug);
      this.#releases.set(slug, found);
    }
    return found;
  }

  async #fetchReleases(slug: string): Promise<ForgeRelease[]> {
    const mod = await this.#json(`v3/modules/${encodeURIComponent(slug)}`);
    if (mod.status === 404) throw resolverError(`unknown module '${slug.replace('-', '/')}': the Forge at ${this.baseUrl} has no such module`, { module: slug, forge: this.baseUrl });
    const out: ForgeRelease[] = [];
    let next: string | undefined = `v3/releases?module=${encodeURIComponent(slug)}&limit=100&show_deleted=false`;
    for (let page = 0; next !== undefined && page < MAX_PAGES; page++) {
      const res = await this.#json(next.replace(/^\//, ''));
      const data = res.data as { results?: unknown; pagination?: { next?: unknown } } | undefined;
      if (data === undefined || !Array.isArray(data.results)) throw installError(`the Forge at ${this.baseUrl} gave no release list for '${slug}'`, { module: slug });
      for (const r of data.results) out.push(parseRelease(r, slug, this.baseUrl));
      next = typeof data.pagination?.next === 'string' ? data.pagination.next : undefined;
    }
    return out;
  }

  /** The release tarball, verified against the Forge's sha256 (else md5). */
  async download(release: ForgeRelease, expectedSha256?: string): Promise<Buffer> {
    const res = await this.#get(release.fileUri.replace(/^\//, ''), MAX_TARBALL_BYTES);
    if (res.status !== 200) throw installError(`cannot download ${release.slug} from ${res.url}: HTTP ${res.status}`, { url: res.url, status: res.status });
    const sha256 = createHash('sha256').update(res.body).digest('hex');
    const want = expectedSha256 ?? release.sha256;
    if (want !== undefined && sha256 !== want) {
      throw installError(`checksum mismatch for ${release.slug} from ${res.url}: expected sha256 ${want}, got ${sha256}`, { module: release.slug, expected: want, actual: sha256 });
    }
    if (want === undefined && release.md5 !== undefined) {
      const md5 = createHash('md5').update(res.body).digest('hex');
      if (md5 !== release.md5) throw installError(`checksum mismatch for ${release.slug} from ${res.url}: expected md5 ${release.md5}, got ${md5}`, { module: release.slug, expected: release.md5, actual: md5 });
    }
    if (want === undefined && release.md5 === undefined) throw installError(`the Forge gave no checksum for ${release.slug}: refusing to install an unverified download`, { module: release.slug });
    return res.body;
  }
}

function parseRelease(raw: unknown, slug: string, forge: string): ForgeRelease {
  const r = (raw ?? {}) as Record<string, unknown>;
  const metadata = (r['metadata'] ?? {}) as Record<string, unknown>;
  const version = typeof r['version'] === 'string' ? r['version'] : metadata['version'];
  if (typeof version !== 'string' || typeof r['file_uri'] !== 'string') throw installError(`the Forge at ${forge} sent a release of '${slug}' without a version or file_uri`, { module: slug });
  const deps = Array.isArray(metadata['dependencies']) ? metadata['dependencies'] : [];
  const dependencies: ForgeDependency[] = [];
  for (const d of deps as Record<string, unknown>[]) {
    const parsed = typeof d?.['name'] === 'string' ? parseForgeName(d['name']) : undefined;
    if (parsed === undefined) continue;
    dependencies.push({ slug: parsed.slug, versionRequirement: typeof d['version_requirement'] === 'string' ? d['version_requirement'] : undefined });
  }
  return {
    slug: typeof r['slug'] === 'string' ? r['slug'] : `${slug}-${version}`,
    version,
    fileUri: r['file_uri'],
    sha256: typeof r['file_sha256'] === 'string' && r['file_sha256'] !== '' ? r['file_sha256'] : undefined,
    md5: typeof r['file_md5'] === 'string' && r['file_md5'] !== '' ? r['file_md5'] : undefined,
    dependencies,
  };
}
