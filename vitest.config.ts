import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Tests run Rivet's sources: the package's own name resolves to src/, not to the build in dist/
  // (the packaging test and the type tests check the build).
  resolve: {
    alias: [
      { find: /^rivetops$/, replacement: src('sdk/index.ts') },
      { find: /^rivetops\/core$/, replacement: src('core/index.ts') },
      { find: /^rivetops\/runtime$/, replacement: src('runtime/index.ts') },
      { find: /^rivetops\/testing$/, replacement: src('runtime/plans/testing.ts') },
      { find: /^rivetops\/transports$/, replacement: src('transports/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
