/**
 * The README's "Embed Rivet in an app" example (examples/embed/server.mjs) on plain node against
 * the built package: it runs the example plan and streams its events as NDJSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let server: ChildProcess;
let base: string;
let site: string;

beforeAll(async () => {
  site = join(await mkdtemp(join(tmpdir(), 'rivet-embed-')), 'site');
  server = spawn(process.execPath, ['examples/embed/server.mjs'], { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise<string>((resolveUrl, reject) => {
    let seen = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /(http:\/\/[\d.]+:\d+)\//.exec(seen);
      if (match) resolveUrl(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`the example server exited with ${code}: ${seen}`)));
  });
});

afterAll(async () => {
  server?.kill();
  if (site !== undefined) await rm(join(site, '..'), { recursive: true, force: true });
});

describe('examples/embed/server.mjs', () => {
  it('runs a plan and streams its events, then the result', async () => {
    const response = await fetch(`${base}/plans/example::deploy/run`, { method: 'POST', body: JSON.stringify({ version: '4.0.0', root: site }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; status?: string; value?: unknown });
    expect(lines[0]).toMatchObject({ type: 'plan_start', plan: 'example::deploy' });
    expect(lines.some((line) => line.type === 'target_finish')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'plan_result', status: 'success', value: [{ target: 'localhost', status: 'success', value: { version: '4.0.0' } }] });
    expect(await readlink(join(site, 'current'))).toBe('releases/4.0.0');
  });

  it('reports an unknown plan as a failed result, and a bad body or path as a client error', async () => {
    const unknown = await (await fetch(`${base}/plans/nosuch/run`, { method: 'POST' })).text();
    expect(JSON.parse(unknown)).toMatchObject({ type: 'plan_result', status: 'failure', error: { kind: 'rivet/usage-error' } });
    const badBody = await fetch(`${base}/plans/example::deploy/run`, { method: 'POST', body: '[1, 2]' });
    expect(badBody.status).toBe(400);
    expect(await badBody.text()).toContain('JSON object of plan parameters');
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
  });
});
