/** Local helpers and module paths (P-31): file.*, dir.children, env, and `module/file` sources for uploads and scripts. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlan, dir, env, file, runCommand, runScript, runTask, runTaskWith, uploadFile, downloadFile, writeFile } from '../../../src/sdk/index.ts';
import { planHarness, type PlanHarness } from './helpers.ts';

let h: PlanHarness;
afterEach(async () => h?.close());

const FILES = {
  'modules/site/files/page.html': '<p>from files/</p>\n',
  'modules/site/scripts/hello.sh': '#!/bin/sh\necho "hello $1"\n',
  'notes/readme.txt': 'project file\n',
};

describe('P-31 local helpers', () => {
  it('resolve module/file via files/ then the module dir, else the project dir', async () => {
    h = await planHarness({ files: FILES, runner: { env: { GREETING: 'hi' } } });
    const plan = definePlan({
      async run() {
        await file.write('notes/new.txt', 'written');
        const value = {
          page: await file.read('site/page.html'),
          script: file.resolve('site/scripts/hello.sh'),
          project: await file.read('notes/readme.txt'),
          exists: [await file.exists('notes/new.txt'), await file.exists('notes/missing.txt')],
          readable: await file.readable('site/page.html'),
          children: await dir.children('notes'),
          joined: file.join('a', 'b', 'c.txt'),
          env: [env('GREETING'), env('NOPE')],
        };
        await file.delete('notes/new.txt');
        return { ...value, after: await file.exists('notes/new.txt') };
      },
    });
    expect(await h.runner.run(plan)).toEqual({
      page: '<p>from files/</p>\n',
      script: join(h.dir, 'modules/site/scripts/hello.sh'),
      project: 'project file\n',
      exists: [true, false],
      readable: true,
      children: ['new.txt', 'readme.txt'],
      joined: 'a/b/c.txt',
      env: ['hi', undefined],
      after: false,
    });
  });

  it('P-04/P-05/P-06/P-07: scripts and uploads take module paths; downloads land in downloads/<dest>/<target>/', async () => {
    h = await planHarness({ files: FILES, count: 1 });
    const dest = join(h.dir, 'remote');
    const plan = definePlan({
      async run() {
        const script = await runScript('site/scripts/hello.sh', 't1', { arguments: ['plan'] });
        // Bolt's upload does not create parents (bash.rb upload: mv -f): make the directory first.
        await runCommand(`mkdir -p '${dest}'`, 't1');
        await uploadFile('site/page.html', `${dest}/page.html`, 't1');
        await writeFile('abc', `${dest}/abc.txt`, 't1');
        const down = await downloadFile(`${dest}/abc.txt`, 'copies', 't1');
        return { out: script.first!.value['stdout'], path: down.first!.value.path };
      },
    });
    const value = (await h.runner.run(plan)) as { out: string; path: string };
    expect(value.out).toBe('hello plan\n');
    expect(await readFile(join(dest, 'page.html'), 'utf8')).toBe('<p>from files/</p>\n');
    expect(value.path).toBe(join(h.dir, 'downloads', 'copies', 't1', 'abc.txt'));
    expect(await readFile(value.path, 'utf8')).toBe('abc');
  });
});

describe('real tasks and env vars on local targets', () => {
  const TASK_FILES = {
    'modules/demo/tasks/echo.json': JSON.stringify({ input_method: 'environment', parameters: { word: { type: 'String[1]' } } }),
    'modules/demo/tasks/echo.sh': '#!/bin/sh\nprintf \'{"word":"%s"}\\n\' "$PT_word"\n',
  };

  it('P-01/P-02: runTask and runTaskWith run module tasks (per-target params) through the runtime', async () => {
    h = await planHarness({ files: TASK_FILES, count: 2 });
    const plan = definePlan({
      async run() {
        const same = await runTask('demo::echo', 'web', { word: 'same' });
        const each = await runTaskWith('demo::echo', 'web', (t) => ({ word: `for-${t.name}` }));
        return [...same, ...each].map((r) => r.value['word']);
      },
    });
    expect(await h.runner.run(plan)).toEqual(['same', 'same', 'for-t1', 'for-t2']);
  });

  it('P-03: envVars reach the command; arrays and objects are JSON-encoded', async () => {
    h = await planHarness({ count: 1 });
    const plan = definePlan({
      async run() {
        const set = await runCommand('printf "%s|%s|%s" "$NAME" "$LIST" "$NUM"', 't1', { envVars: { NAME: 'x y', LIST: ['a', 1], NUM: 3 } });
        return set.first!.value['stdout'];
      },
    });
    expect(await h.runner.run(plan)).toBe('x y|["a",1]|3');
  });
});
