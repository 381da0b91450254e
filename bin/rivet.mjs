#!/usr/bin/env node
// The `rivet` command: plain Node on the built JavaScript in dist/ (npm run build). tsx is loaded
// only when a TypeScript plan file is imported (see docs/ARCHITECTURE.md, "Build and loading").
if (process.argv.length === 3 && process.argv[2] === '--version') {
  // Answered before loading the CLI: `rivet --version` is what scripts and support call most.
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  await main();
}
