/**
 * `rivet worker`'s flags: only those the worker reads. It prints no results and runs each step
 * with the controller's step options, so the display and timeout flags are not offered.
 */
import { describe, expect, it } from 'vitest';
import { makeProject, rivet } from './helpers.ts';

const IGNORED = ['--timeout', '--stream', '--format', '--verbose', '--no-verbose', '--color', '--no-color'];

describe('rivet worker flags', () => {
  it('--help lists the connection flags but none of the display or timeout flags', async () => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n' });
    const r = await rivet(['worker', '--help'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--id <name>');
    expect(r.stdout).toContain('--stop-timeout <seconds>');
    expect(r.stdout).toContain('--connect-timeout <seconds>');
    expect(r.stdout).toContain('--max-output <size>');
    for (const flag of IGNORED) expect(r.stdout).not.toMatch(new RegExp(`^ +(-\\w, )?${flag}\\b`, 'm'));
  });

  it.each([
    ['--timeout', '10'],
    ['--stream'],
    ['--format', 'human'],
    ['--verbose'],
    ['--color'],
  ])('%s is an unknown option (exit 2)', async (...flag: string[]) => {
    const cwd = await makeProject({ 'bolt-project.yaml': 'name: demo\n' });
    const r = await rivet(['worker', '--id', 'w1', ...flag], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown option '${flag[0]}'`);
  });
});
