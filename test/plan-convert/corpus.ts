/**
 * Converts every plan of the vendored corpus (`test/fixtures/puppet-plans`: Bolt's documentation
 * examples, Forge modules' plans, Bolt's own plan fixtures) and writes the TypeScript of those
 * with no TODO into `outDir`, for `tsc`. `npx tsx test/plan-convert/corpus.ts` prints the figures.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertPlanSource } from '../../src/plan-convert/index.ts';

export const CORPUS = fileURLToPath(new URL('../fixtures/puppet-plans', import.meta.url));

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.pp')) out.push(path);
  }
  return out;
}

export interface CorpusEntry {
  file: string;
  group: 'docs' | 'forge' | 'bolt';
  outcome: 'clean' | 'todo' | 'not-a-plan' | 'syntax-error';
  todos: string[];
  out?: string;
}

export function convertCorpus(outDir: string): CorpusEntry[] {
  mkdirSync(outDir, { recursive: true });
  return walk(CORPUS, []).map((path, index) => {
    const file = relative(CORPUS, path);
    const group = file.startsWith('bolt-docs/') ? 'docs' : file.startsWith('puppetlabs-') ? 'forge' : 'bolt';
    const source = readFileSync(path, 'utf8');
    try {
      const result = convertPlanSource(source, file);
      if (result.todos.length > 0) return { file, group, outcome: 'todo', todos: result.todos.map((t) => `${t.file}:${t.line}: ${t.message}`) };
      const out = join(outDir, `plan${index}.ts`);
      writeFileSync(out, `// ${file}\n${result.code}`);
      return { file, group, outcome: 'clean', todos: [], out };
    } catch (error) {
      const message = (error as Error).message;
      return { file, group, outcome: /no plan definition/.test(message) ? 'not-a-plan' : 'syntax-error', todos: [message] };
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), '.corpus-out');
  const entries = convertCorpus(outDir);
  for (const group of ['docs', 'forge', 'bolt'] as const) {
    const list = entries.filter((e) => e.group === group);
    const count = (o: CorpusEntry['outcome']) => list.filter((e) => e.outcome === o).length;
    process.stdout.write(`${group}: ${list.length} files, ${count('clean')} clean, ${count('todo')} with TODO, ${count('not-a-plan')} not a plan, ${count('syntax-error')} syntax errors\n`);
  }
  if (process.argv.includes('--todos')) for (const e of entries) for (const t of e.todos) process.stdout.write(`${t}\n`);
}
