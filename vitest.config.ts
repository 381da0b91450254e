import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

/**
 * The longest test files (about a minute each on the 2-core CI machine), longest first. Most of
 * their time is spent waiting on sshd, Postgres, npm and child processes: started first, they run
 * beside the many short files instead of being left for last, so the workers finish together.
 * Without vitest's cache (a fresh clone, as in CI) files would go largest first, which puts these
 * anywhere. A file missing here only runs later; keep the list to the few longest.
 */
const LONGEST_FIRST = [
  'test/package/package.test.ts',
  'test/durable/operations.test.ts',
  'test/faults/connections.test.ts',
  'test/durable/workers.test.ts',
  'test/transports/threads/threads.test.ts',
  'test/durable/live-output.test.ts',
  'test/bench/ssh-bench.test.ts',
  'test/durable/controllers.test.ts',
  'test/durable/local.test.ts',
  'test/modules/builtin/package.test.ts',
  'test/transports/winrm/contract.test.ts',
  'test/integration/plans-ssh.test.ts',
  'test/durable/resume.test.ts',
  'test/modules/builtin/sshd.test.ts',
  'test/faults/output-flood.test.ts',
];

/** vitest's order (failed, then longest by its cache, else largest file), with {@link LONGEST_FIRST} ahead of the rest. */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification): number => {
      const i = LONGEST_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    return (await super.sort(files)).map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map(({ spec }) => spec);
  }
}

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
    // No bolt-defaults.yaml of the machine's (/etc/puppetlabs/bolt, ~/.puppetlabs/etc/bolt) in any test, in-process or spawned.
    env: { RIVET_DEFAULTS_DIRS: '' },
    // vitest's default is one worker less than the CPUs: a single worker on the 2-core CI machine,
    // where the test files mostly wait on servers and child processes. Two run them side by side.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongestFirst },
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
