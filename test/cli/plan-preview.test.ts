/** `rivet plan run --preview/--record/--replay` in-process over local targets: flags, help and bad input (issue 16). */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));

function project(): Promise<string> {
  return makeProject({
    'package.json': '{ "type": "module" }\n',
    'rivet-project.yaml': 'name: demo\n',
    'inventory.yaml': ['groups:', '  - name: web', '    targets: [localhost]', '    config:', '      transport: local', ''].join('\n'),
    'plans/touch.ts': `import { definePlan, runCommand } from '${SDK}';
export default definePlan({
  params: { targets: 'TargetSpec', file: 'String' },
  async run({ targets, file }) {
    const set = await runCommand('touch ' + file + ' && echo made', targets);
    return set.first?.value['stdout'];
  },
});
`,
  });
}

describe('rivet plan run --preview/--record/--replay', () => {
  it('--help lists the three flags', async () => {
    const dir = await project();
    const help = await rivet(['plan', 'run', '--help'], { cwd: dir });
    expect(help.stdout).toMatch(/--preview\s+show what each step would run where/);
    expect(help.stdout).toMatch(/--record <file>\s+write every step's inputs and results/);
    expect(help.stdout).toMatch(/--replay <file>\s+run the plan against a recording/);
    expect(help.stdout).toContain('rivet plan run site::deploy --replay run.json');
  });

  it('--preview runs nothing; --record then --replay give the same value; jsonl carries the preview lines', async () => {
    const dir = await project();
    const marker = join(dir, 'marker');
    const preview = await rivet(['plan', 'run', 'demo::touch', '-t', 'web', `file=${marker}`, '--preview', '--format', 'jsonl'], { cwd: dir });
    expect(preview.code, preview.stderr).toBe(0);
    const events = preview.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; text?: string });
    expect(events.filter((e) => e.type === 'message').map((e) => e.text)).toEqual([
      expect.stringMatching(/^Preview: nothing runs/),
      `Preview step 1 (plans/touch.ts:5): command "touch ${marker} && echo made" on localhost`,
      'Preview step 1: plans/touch.ts:6 reads its result (value); the preview goes on as if it succeeded: {"stdout":"","stderr":"","merged_output":"","exit_code":0}',
      'Preview: 1 step(s) previewed; nothing ran.',
    ]);
    expect(existsSync(marker)).toBe(false);

    const record = await rivet(['plan', 'run', 'demo::touch', '-t', 'web', `file=${marker}`, '--record', 'run.json', '--format', 'json'], { cwd: dir });
    expect(record.code, record.stderr).toBe(0);
    expect(record.json()).toBe('made\n');
    expect(existsSync(marker)).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8'))).toMatchObject({ plan: 'demo::touch', params: { targets: ['web'], file: marker }, steps: [{ step: 1, location: 'plans/touch.ts:5' }] });

    const replay = await rivet(['plan', 'run', 'demo::touch', '--replay', 'run.json', '--format', 'json'], { cwd: dir });
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.json()).toBe('made\n');
    // Parameters on the command line win over the recorded ones: a different file is a different call.
    const other = await rivet(['plan', 'run', 'demo::touch', '-t', 'web', 'file=/tmp/other', '--replay', 'run.json'], { cwd: dir });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`differs at step 1: expected command "touch ${marker} && echo made" on localhost (recorded at plans/touch.ts:5); the plan now calls command "touch /tmp/other && echo made" on localhost (${join(dir, 'plans/touch.ts')}:5)\n`);
  });

  it('bad input: two modes at once, a corrupt or wrong-version recording (exit 2, the file named)', async () => {
    const dir = await project();
    const both = await rivet(['plan', 'run', 'demo::touch', '-t', 'web', 'file=x', '--preview', '--replay', 'run.json'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('Choose one of preview, record and replay, not preview and replay');
    await writeFile(join(dir, 'corrupt.json'), '{ "format": ');
    const corrupt = await rivet(['plan', 'run', 'demo::touch', '--replay', 'corrupt.json'], { cwd: dir });
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain(`The recording '${join(dir, 'corrupt.json')}' is not valid JSON`);
    await writeFile(join(dir, 'old.json'), JSON.stringify({ format: 'rivet-plan-recording', version: 0, params: {}, steps: [] }));
    const old = await rivet(['plan', 'run', 'demo::touch', '-t', 'web', 'file=x', '--replay', 'old.json'], { cwd: dir });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain(`The recording '${join(dir, 'old.json')}' has version 0; this Rivet reads version 1 (record it again)`);
  });
});
