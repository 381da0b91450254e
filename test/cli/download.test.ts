/**
 * `rivet file download` destinations (C-16, issue 10 group 10). Bolt's CLI expands the
 * destination against the current directory (lib/bolt/application.rb `download_file`:
 * `File.expand_path(destination, Dir.pwd)`); only the plan function confines it to
 * `<project>/downloads` (bolt-modules/boltlib/lib/puppet/functions/download_file.rb).
 */
import { mkdtemp, readFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definePlan, downloadFile } from '../../src/sdk/index.ts';
import { planHarness } from '../runtime/plans/helpers.ts';
import { makeProject, rivet } from './helpers.ts';

const PROJECT = { 'bolt-project.yaml': 'name: demo\n', 'payload.txt': 'payload\n' };

interface Envelope {
  items: { value: Record<string, unknown> }[];
}

describe('rivet file download (C-16)', () => {
  it('C-16: an absolute destination is accepted: <dest>/<target>/<basename>', async () => {
    const cwd = await makeProject(PROJECT);
    const out = await mkdtemp(join(tmpdir(), 'rivet-dl-'));
    const r = await rivet(['file', 'download', join(cwd, 'payload.txt'), out, '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(r.json<Envelope>().items[0]!.value['path']).toBe(join(out, 'localhost', 'payload.txt'));
    expect(await readFile(join(out, 'localhost', 'payload.txt'), 'utf8')).toBe('payload\n');
  });

  it('C-16: a relative destination is relative to the cwd, not the project, and may leave it with ..', async () => {
    const project = await makeProject(PROJECT);
    const cwd = join(project, 'sub', 'dir');
    await mkdir(cwd, { recursive: true });
    const r = await rivet(['file', 'download', join(project, 'payload.txt'), '../got', '-t', 'localhost', '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(await readFile(join(project, 'sub', 'got', 'localhost', 'payload.txt'), 'utf8')).toBe('payload\n');
  });

  it('C-16: ~ is the home directory', async () => {
    const cwd = await makeProject(PROJECT);
    const home = await mkdtemp(join(tmpdir(), 'rivet-home-'));
    const previous = process.env['HOME'];
    process.env['HOME'] = home;
    try {
      const r = await rivet(['file', 'download', join(cwd, 'payload.txt'), '~/dl', '-t', 'localhost', '--format', 'json'], { cwd, env: { HOME: home } });
      expect(r.code).toBe(0);
      expect(await readFile(join(home, 'dl', 'localhost', 'payload.txt'), 'utf8')).toBe('payload\n');
    } finally {
      process.env['HOME'] = previous;
    }
  });
});

describe('downloadFile in plans stays in <project>/downloads (P-06, download_file.rb)', () => {
  it('P-06: absolute and .. destinations are refused', async () => {
    const h = await planHarness({ files: { 'remote/a.txt': 'a' }, count: 1 });
    try {
      for (const destination of ['/tmp/elsewhere', '../escape']) {
        const plan = definePlan({ run: () => downloadFile(join(h.dir, 'remote/a.txt'), destination, 't1') });
        await expect(h.runner.run(plan)).rejects.toThrow(/must be relative to the downloads directory|must not contain '\.' or '\.\.'/);
      }
    } finally {
      await h.close();
    }
  });
});
