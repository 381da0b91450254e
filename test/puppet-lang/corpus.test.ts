// Parses real plans: Bolt's own plans and spec fixtures, the plans of Forge modules (facts,
// puppet_agent, reboot) and every Puppet example of Bolt's documentation (test/fixtures/puppet-plans,
// see its README for sources and commits). Files that are not valid Puppet are listed below with
// the position their syntax error must be reported at.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePuppet, PuppetSyntaxError, walk, type Node, type ParseResult } from '../../src/puppet-lang/index.ts';

const root = fileURLToPath(new URL('../fixtures/puppet-plans/', import.meta.url));

function ppFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ppFiles(path);
    return entry.name.endsWith('.pp') ? [relative(root, path).split(sep).join('/')] : [];
  });
}

/** Not valid Puppet, with where the error is: documentation placeholders (`...`) and such. */
const INVALID: Record<string, { at: string; why: string }> = {
  'bolt-docs/applying_manifest_blocks-L219.pp': { at: '1:30', why: 'placeholder `...` in an apply block' },
  'bolt-docs/debugging_plans-L99.pp': { at: '1:60', why: 'the page writes `without_default_logging { }` without `() ||`' },
  'bolt-docs/hiera-L277.pp': { at: '6:4', why: 'placeholder `...`' },
  'bolt-docs/writing_plans-L88.pp': { at: '2:1', why: 'a plan header without a body' },
  'bolt-docs/writing_plans-L113.pp': { at: '5:1', why: 'placeholder `...` for the body' },
  'bolt-docs/writing_plans-L194.pp': { at: '4:44', why: 'placeholder `...` argument' },
  'bolt-docs/writing_plans-L399.pp': { at: '1:27', why: 'placeholder `...` argument' },
  'bolt-docs/writing_plans-L409.pp': { at: '1:27', why: 'placeholder `...` argument' },
  'bolt-docs/writing_plans-L446.pp': { at: '1:31', why: 'placeholder `...` argument' },
  'bolt-docs/writing_plans-L458.pp': { at: '2:31', why: 'placeholder `...` argument' },
  'bolt-docs/writing_plans-L637.pp': { at: '15:4', why: 'placeholder `...`' },
  'bolt/spec/fixtures/invalid_mods/sample/plans/single_task.pp': { at: '8:1', why: "Bolt's own syntax-error fixture (missing `)`)" },
};

const files = ppFiles(root).sort();

function parse(file: string): ParseResult | PuppetSyntaxError {
  try {
    return parsePuppet(readFileSync(join(root, file), 'utf8'), file);
  } catch (error) {
    if (error instanceof PuppetSyntaxError) return error;
    throw error;
  }
}

/** `bolt/modules/canary/plans/init.pp` → `canary`; `.../aggregate/plans/count.pp` → `aggregate::count`. */
function expectedPlanName(file: string): string | undefined {
  // A Bolt project names its plans after the project (bolt-project.yaml), not its directory.
  if (file.includes('/fixtures/projects/')) return undefined;
  const m = /^(?:.*\/)?([a-z][a-z0-9_]*)\/plans\/(.+)\.pp$/.exec(file.replace(/^puppetlabs-([a-z_]+)\//, '$1/'));
  if (!m) return undefined;
  const [, module, path] = m;
  return path === 'init' ? module : `${module}::${path!.split('/').join('::')}`;
}

describe('corpus of real plans', () => {
  const results = new Map(files.map((file) => [file, parse(file)]));

  it('parses every valid file and reports the invalid ones where they are wrong', () => {
    const failures = Object.fromEntries(
      [...results].filter(([, r]) => r instanceof PuppetSyntaxError).map(([file, r]) => [file, `${(r as PuppetSyntaxError).line}:${(r as PuppetSyntaxError).column}`]),
    );
    expect(failures).toEqual(Object.fromEntries(Object.entries(INVALID).map(([file, { at }]) => [file, at])));
    const parsed = files.length - Object.keys(failures).length;
    const docs = files.filter((f) => f.startsWith('bolt-docs/'));
    const docsParsed = docs.filter((f) => !(f in INVALID)).length;
    console.log(`puppet corpus: ${parsed}/${files.length} files parse (documentation examples ${docsParsed}/${docs.length}, module plans ${parsed - docsParsed}/${files.length - docs.length})`);
    expect(files.length).toBe(258);
  });

  it('finds in each module plan file the plan its path names', () => {
    const mismatched: string[] = [];
    let checked = 0;
    for (const [file, result] of results) {
      const name = expectedPlanName(file);
      if (!name || result instanceof PuppetSyntaxError) continue;
      checked++;
      const plans = result.program.body.filter((e) => e.kind === 'PlanDefinition');
      if (plans.length !== 1 || plans[0]?.name !== name) mismatched.push(`${file}: ${plans.map((p) => p.name).join(', ') || 'no plan'}`);
    }
    expect(checked).toBeGreaterThan(150);
    expect(mismatched).toEqual([]);
  });

  it('gives every node a location inside the file that agrees with its offsets, inside its parent', () => {
    for (const [file, result] of results) {
      if (result instanceof PuppetSyntaxError) continue;
      const source = readFileSync(join(root, file), 'utf8');
      const starts = [0, ...[...source.matchAll(/\n/g)].map((m) => m.index + 1)];
      const lineStart = (line: number) => starts[line - 1] ?? -1;
      const check = (node: Node) => {
        const { loc } = node;
        expect(loc.file).toBe(file);
        expect(0 <= loc.start && loc.start <= loc.end && loc.end <= source.length).toBe(true);
        expect(lineStart(loc.line) + loc.column - 1).toBe(loc.start);
        expect(lineStart(loc.endLine) + loc.endColumn - 1).toBe(loc.end);
      };
      walk(result.program, (node, parent) => {
        check(node);
        // A heredoc's text is on the lines after its @(TAG): not inside the tag's span.
        if (parent && parent.kind !== 'Heredoc') {
          expect(node.loc.start >= parent.loc.start && node.loc.end <= parent.loc.end, `${file}: ${node.kind} in ${parent.kind}`).toBe(true);
        }
      });
      result.comments.forEach(check);
    }
  });
});
