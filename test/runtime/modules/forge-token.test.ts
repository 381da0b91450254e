/**
 * I-24: `module-install.forge.authorization_token` goes to the Forge's own origin only: a release
 * file on another origin (a `file_uri`, or a lock's `file`) is fetched without it.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgeClient } from '../../../src/runtime/modules/forge.ts';

const BODY = Buffer.from('not really a tarball');
const seen: { server: string; headers: IncomingHttpHeaders }[] = [];
let forge: Server;
let other: Server;
const url = (s: Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

function serve(name: string): Promise<Server> {
  const server = createServer((req, res) => {
    seen.push({ server: name, headers: req.headers });
    res.end(BODY);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  [forge, other] = await Promise.all([serve('forge'), serve('other')]);
});
afterAll(() => {
  forge.close();
  other.close();
});

describe('the Forge token stays with the Forge (I-24)', () => {
  it('is sent for a file on the Forge, not for a file on another origin', async () => {
    const client = new ForgeClient({ baseUrl: url(forge), authorizationToken: 'Bearer s3cret' });
    const release = (fileUri: string) => ({ slug: 'acme-lib', version: '1.0.0', fileUri, sha256: createHash('sha256').update(BODY).digest('hex'), md5: undefined, dependencies: [] });
    await client.download(release('/v3/files/acme-lib-1.0.0.tar.gz'));
    await client.download(release(`${url(other)}/acme-lib-1.0.0.tar.gz`));
    expect(seen.map((s) => [s.server, s.headers['authorization']])).toEqual([
      ['forge', 'Bearer s3cret'],
      ['other', undefined],
    ]);
  });
});
