/**
 * The example project the README runs: `example::deploy` (facts, package status, upload,
 * writeFile, activate, verify through site::verify) on localhost and over real sshd.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, rivet } from '../cli/helpers.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { TEST_USERS } from '../harness/users.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const pexec = promisify(execFile);

interface Item {
  target: string;
  status: string;
  value: Record<string, unknown>;
}

const made: string[] = [];
async function tempSite(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rivet-example-'));
  made.push(dir);
  return join(dir, 'site');
}
afterAll(async () => {
  await Promise.all([...made, `/tmp/rivet-example-ssh-${process.pid}`].map((d) => rm(d, { recursive: true, force: true })));
});

describe('example::deploy', () => {
  it('README: runs on localhost through `rivet plan run` and verifies the release', async () => {
    const site = await tempSite();
    const r = await rivet(['plan', 'run', 'example::deploy', `root=${site}`, 'version=3.1.0', '--format', 'json'], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<Item[]>()).toEqual([
      { target: 'localhost', action: 'task', object: 'site::health', status: 'success', value: { healthy: true, version: '3.1.0', files: 3, index_bytes: expect.any(Number) } },
    ]);
    expect(await readlink(join(site, 'current'))).toBe('releases/3.1.0');
    expect(r.stderr).toContain('Deploying version 3.1.0 to 1 target(s)');
    // The README's command run again deploys the same version again: the release is replaced.
    const again = await rivet(['plan', 'run', 'example::deploy', `root=${site}`, 'version=3.1.0', '--format', 'json'], { cwd: ROOT });
    expect(again.code, again.stderr).toBe(0);
    expect((await readdir(join(site, 'releases/3.1.0'))).sort()).toEqual(['VERSION', 'index.html', 'style.css']);
  });

  it("sh: a root with spaces, quotes and $() is one literal path; --typecheck passes; the rollout shows in the output", async () => {
    const site = join(await tempSite(), `it's $(touch pwned) "site"`);
    const r = await rivet(['plan', 'run', 'example::deploy', `root=${site}`, 'version=3.2.0', '--typecheck'], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect(await readlink(join(site, 'current'))).toBe('releases/3.2.0');
    expect(r.stdout).toContain('Starting: roll out 3.2.0 on 1 target in 1 batch (failure budget: 0)');
    expect(r.stdout).toMatch(/^Finished: batch 1\/1 of roll out 3\.2\.0 in [\d.]+ sec \(failures so far: 0, budget: 0, healthy\)$/m);
    expect(existsSync(join(ROOT, 'pwned'))).toBe(false);
  }, 300_000);

  it('README: the same plan file runs directly with tsx; a second release switches `current`', async () => {
    const site = await tempSite();
    await pexec(TSX, ['plans/deploy.ts', `root=${site}`, 'version=1.0.0'], { cwd: ROOT });
    const { stdout } = await pexec(TSX, ['plans/deploy.ts', '--targets', 'localhost', `root=${site}`, 'version=1.0.1'], { cwd: ROOT });
    expect(stdout).toMatch(/^Starting: plan example::deploy$/m);
    expect(stdout).toMatch(/^Finished: plan example::deploy in [\d.]+ sec$/m);
    expect(stdout).toContain('"version": "1.0.1"');
    expect(await readlink(join(site, 'current'))).toBe('releases/1.0.1');
  });

  describe('over SSH', () => {
    let server: TestSshServer;
    beforeAll(async () => {
      server = await startTestSshServer();
    });
    afterAll(async () => server?.stop());

    it('deploys to 3 SSH targets with the project plans and modules', async () => {
      // The three loopback targets share one filesystem. Uploads follow Bolt's `mv` semantics (a
      // directory uploaded onto an existing one nests inside it), so each target logs in as its
      // own user and deploys under its own home (a relative root), as separate machines would.
      const real = server.kind === 'sshd';
      const users = real ? [TEST_USERS.main, TEST_USERS.app, TEST_USERS.noSudo] : [server.user, server.user, server.user];
      const project = await makeProject({
        'inventory.yaml': JSON.stringify({
          groups: [{ name: 'web', targets: ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((uri, i) => ({ uri, config: { ssh: { user: users[i] } } })) }],
          config: { ssh: { port: server.port, 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false } },
        }),
      });
      const site = real ? `rivet-example-ssh-${process.pid}/site` : `/tmp/rivet-example-ssh-${process.pid}/site`;
      const r = await rivet(['plan', 'run', 'example::deploy', '--targets', 'web', `root=${site}`, 'version=9.9.9', '--inventoryfile', join(project, 'inventory.yaml'), '--format', 'json'], { cwd: ROOT });
      expect(r.code, r.stderr).toBe(0);
      const items = r.json<Item[]>();
      expect(items.map((i) => [i.target, i.status, i.value['version']])).toEqual([
        ['127.0.0.2', 'success', '9.9.9'],
        ['127.0.0.3', 'success', '9.9.9'],
        ['127.0.0.4', 'success', '9.9.9'],
      ]);
      if (real) await Promise.all(users.map((user) => rm(`/home/${user}/rivet-example-ssh-${process.pid}`, { recursive: true, force: true })));
    });

    it('rolls out in batches (canary, half, rest); a failing canary stops it, naming the targets never touched', async (ctx) => {
      // Loopback targets share one filesystem and uploads nest into existing directories (Bolt's
      // `mv`), so each target logs in as its own user and deploys under its own home.
      if (server.kind !== 'sshd') return ctx.skip('needs real sshd: four login users stand in for four machines');
      const users = [TEST_USERS.main, TEST_USERS.app, TEST_USERS.noSudo, TEST_USERS.password];
      const project = await makeProject({
        'inventory.yaml': JSON.stringify({
          groups: [{ name: 'web', targets: ['127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8'].map((uri, i) => ({ uri, config: { ssh: { user: users[i] } } })) }],
          config: { ssh: { port: server.port, 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false } },
        }),
      });
      const site = `rivet-example-ssh-${process.pid}/rollout`;
      ctx.onTestFinished(() => Promise.all(users.map((user) => rm(`/home/${user}/rivet-example-ssh-${process.pid}`, { recursive: true, force: true }))).then(() => undefined));
      const args = ['plan', 'run', 'example::deploy', '--targets', 'web', `root=${site}`, '--inventoryfile', join(project, 'inventory.yaml'), '--format', 'jsonl'];
      const ok = await rivet([...args, 'version=1.0.0'], { cwd: ROOT });
      expect(ok.code, ok.stderr).toBe(0);
      const events = ok.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.filter((e) => e['type'] === 'batch_start').map((e) => e['targets'])).toEqual([['127.0.0.5'], ['127.0.0.6', '127.0.0.7'], ['127.0.0.8']]);
      expect(events.filter((e) => e['type'] === 'batch_finish').map((e) => e['healthy'])).toEqual([true, true, true]);

      // A version whose VERSION file cannot be written (a directory is in the way) fails the canary.
      await pexec('mkdir', ['-p', `/home/${users[0]}/${site}/releases/2.0.0/VERSION`]);
      const bad = await rivet([...args.slice(0, -2), 'version=2.0.0'], { cwd: ROOT });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(
        `Error: roll out 2.0.0 stopped after batch 1 of 3: 1 target failed, the failure budget allows 0; never touched: 127.0.0.6, 127.0.0.7, 127.0.0.8 (${join(ROOT, 'plans/deploy.ts')}:`,
      );
      expect(bad.stdout).toContain('Never touched (3): 127.0.0.6, 127.0.0.7, 127.0.0.8');
    });
  });
});
