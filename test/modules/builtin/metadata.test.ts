import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { MODULES_DIR, errorOf, runTask, taskScript } from './run-task.ts';

// Known task metadata keys (checklist §1.2, T-10..T-22).
const KNOWN_KEYS = [
  'description', 'extensions', 'files', 'implementations', 'input_method', 'parameters',
  'private', 'puppet_task_version', 'remote', 'supports_noop',
];
const modules = ['facts', 'package', 'service'] as const;

interface Metadata {
  description?: string;
  input_method?: string;
  supports_noop?: boolean;
  parameters?: Record<string, { type?: string; description?: string; default?: unknown }>;
  [k: string]: unknown;
}

const meta = (m: string): Metadata =>
  JSON.parse(readFileSync(path.join(MODULES_DIR, m, 'tasks', 'init.json'), 'utf8')) as Metadata;

describe('builtin task metadata', () => {
  it('each module has exactly init.sh + init.json (task name = module name, T-03/T-04)', () => {
    for (const m of modules) {
      expect(readdirSync(path.join(MODULES_DIR, m, 'tasks')).sort(), m).toEqual(['init.json', 'init.sh']);
    }
    expect(existsSync(path.join(MODULES_DIR, 'README.md'))).toBe(true);
  });

  for (const m of modules) {
    it(`${m}: metadata keys, parameters and PT_ variables agree`, () => {
      const md = meta(m);
      for (const k of Object.keys(md)) expect(KNOWN_KEYS, `${m}: unknown key ${k}`).toContain(k);
      expect(md.puppet_task_version).toBe(1);
      expect(md.description).toBeTruthy();
      expect(md.input_method).toBe('environment');

      const script = readFileSync(taskScript(m), 'utf8');
      expect(script.startsWith('#!/bin/sh\n')).toBe(true);
      expect(script).toMatch(/^PATH=\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
      const read = new Set([...script.matchAll(/\$\{?PT_([a-z_][a-z0-9_]*)/g)].map((x) => x[1]!));
      const declared = Object.keys(md.parameters ?? {});
      for (const p of declared) {
        expect(p).toMatch(/^[a-z][a-z0-9_]*$/);
        const spec = md.parameters![p]!;
        expect(spec.description, `${m}.${p} description`).toBeTruthy();
        // Enum members must be Puppet bare words (a hyphen would need quotes).
        for (const e of spec.type!.matchAll(/Enum\[([^\]]*)\]/g)) {
          for (const v of e[1]!.split(',')) expect(v.trim()).toMatch(/^[a-z][a-z0-9_]*$/);
        }
        expect(read, `${m} never reads PT_${p}`).toContain(p);
      }
      const metaparams = [...read].filter((p) => p.startsWith('_'));
      expect(declared.sort()).toEqual([...read].filter((p) => !p.startsWith('_')).sort());
      expect(metaparams.includes('_noop')).toBe(md.supports_noop === true);
    });
  }

  for (const m of ['package', 'service'] as const) {
    it(`${m}: the script accepts exactly the actions in the action Enum`, () => {
      const type = meta(m).parameters!['action']!.type!;
      const actions = /^Enum\[(.*)\]$/.exec(type)![1]!.split(',').map((s) => s.trim());
      for (const action of actions) {
        // An accepted action gets as far as checking the name.
        expect(errorOf(runTask(m, { action })).msg).toBe("parameter 'name' is required");
      }
      expect(errorOf(runTask(m, { action: 'nope' })).msg).toMatch(/^unknown action 'nope': expected /);
    });
  }
});
