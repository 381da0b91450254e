/**
 * The SDK's `sh` tagged template end to end: any string (quotes, `$()`, backticks, newlines,
 * non-ASCII) interpolated into a command arrives on the target as one literal argument, over the
 * local transport and over real sshd (the in-process ssh2 server when sshd cannot run) (P-03).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type CreatedRuntime } from '../../src/runtime/create.ts';
import { PlanRunner } from '../../src/runtime/plans/index.ts';
import { definePlan, runCommand, sh, type ResultSet, type CommandValue } from '../../src/sdk/index.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';
import { sshdSkipReason } from '../harness/sshd.ts';

/** Any well-formed string without NUL (no shell word can hold one). */
const anyText = fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\0', '').replace(/[\uD800-\uDFFF]/gu, ''));
/** Strings made of the characters shells care about most. */
const tricky = fc.string({ unit: fc.constantFrom("'", '"', '$', '(', ')', '`', '\n', '\\', ' ', '*', '?', 'é', '日', '😀', '-', 'a', '\t', ';', '|', '&', '~', '#', '!', '{', '}') });
const words = fc.array(fc.oneof(anyText, tricky, fc.constantFrom('$(id -un)', '`id`', "it's", '-n', '', 'a\nb')), { minLength: 1, maxLength: 6 });

let server: TestSshServer;
let dir: string;
let runtime: CreatedRuntime;
let runner: PlanRunner;

const echoPlan = definePlan({
  params: { targets: 'TargetSpec', words: 'Array[String]', single: 'String' },
  async run({ targets, words, single }) {
    // Every word, one per NUL-terminated field, then the single one inside a literal word.
    return runCommand(sh`printf '%s\\0' ${words} x${single}y`, targets);
  },
});

beforeAll(async () => {
  server = await startTestSshServer();
  dir = await mkdtemp(join(tmpdir(), 'rivet-sh-'));
  runtime = await createRuntime({
    cwd: dir,
    env: { HOME: dir, RIVET_DEFAULTS_DIRS: '' },
    inventory: {
      groups: [
        { name: 'here', targets: ['localhost'], config: { transport: 'local' } },
        {
          name: 'remote',
          targets: ['127.0.0.2'],
          config: {
            transport: 'ssh',
            ssh: { port: server.port, user: server.user, 'private-key': server.clientKeyPath, 'known-hosts-file': server.knownHostsPath, 'load-config': false, 'connect-timeout': 30 },
          },
        },
      ],
    },
  });
  runner = new PlanRunner(runtime, { env: {} });
});
afterAll(async () => {
  await runtime?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sh: interpolated values arrive as one literal argument each', () => {
  it('runs against real OpenSSH sshd whenever this machine can start it', () => {
    if (sshdSkipReason() === undefined) expect(server.kind).toBe('sshd');
  });

  for (const group of ['here', 'remote'] as const) {
    it(`P-03: any strings, over ${group === 'here' ? 'the local transport' : 'sshd'}`, async () => {
      await fc.assert(
        fc.asyncProperty(words, anyText, async (list, single) => {
          const set = (await runner.run(echoPlan, { targets: group, words: list, single })) as ResultSet<CommandValue>;
          expect(set.ok).toBe(true);
          const fields = set.first!.value.stdout.split('\0');
          expect(fields.pop()).toBe('');
          expect(fields).toEqual([...list, `x${single}y`]);
        }),
        { numRuns: group === 'here' ? 60 : 25 },
      );
    });
  }
});
