/**
 * One config error (an unknown inventory key), every subcommand: exit 2 with human output
 * (Rivet's rule: 2 for usage and config errors, 1 for failures on targets), exit 1 with
 * `--format json` (Bolt's `Bolt::Error#error_code`, docs/bolt-compatibility.md "Exit codes").
 */
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const COMMANDS = [
  ['inventory', 'show'],
  ['inventory', 'show', '-t', 'web1'],
  ['group', 'show'],
  ['command', 'run', 'true', '-t', 'web1'],
  ['script', 'run', 'x.sh', '-t', 'web1'],
  ['task', 'show'],
];

describe('a config error exits the same way in every subcommand', () => {
  it.each(COMMANDS)('%s %s: exit 2 (human), exit 1 (--format json), naming the file and key', async (...argv: string[]) => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n', 'inventory.yaml': 'targets: [web1]\nbogus: 1\n', 'x.sh': 'true\n' });
    const human = await rivet(argv, { cwd });
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("inventory.yaml:2: bogus: unknown key 'bogus'");
    const json = await rivet([...argv, '--format', 'json'], { cwd });
    expect(json.code).toBe(1);
    expect(json.stdout).toContain('bogus');
  });
});
