/** Rewrites every golden case's expected.ts (and todos.txt): `npx tsx test/plan-convert/regenerate.ts`. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenCases, render } from './golden.ts';

for (const c of goldenCases()) {
  const { code, todos } = render(c);
  writeFileSync(join(c.dir, 'expected.ts'), code);
  if (todos) writeFileSync(join(c.dir, 'todos.txt'), todos);
  else rmSync(join(c.dir, 'todos.txt'), { force: true });
  process.stdout.write(`${c.name}\n`);
}
