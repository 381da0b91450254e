/**
 * X-04 `tty: true` over SSH (real sshd, or the in-process ssh2 server when sshd cannot run).
 * Bolt 3.30 (`lib/bolt/shell/bash.rb`, `execute`/`run_task`) requests a PTY and, for stdin tasks,
 * writes a `wrapper.sh` holding the task's parameters to the target's disk (#1129). Rivet reads
 * the key but requests no PTY: parameters go to the task on stdin only, never to a file.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime/create.ts';
import { PlanRunner } from '../../src/runtime/plans/index.ts';
import { Sensitive, definePlan, runTask } from '../../src/sdk/index.ts';
import { makeProject } from '../cli/helpers.ts';
import { startTestSshServer, type TestSshServer } from '../harness/ssh2-server.ts';

let server: TestSshServer;
let dir: string;

beforeAll(async () => {
  server = await startTestSshServer();
  dir = await makeProject({
    'rivet-project.yaml': 'name: ttyproj\n',
    'modules/probe/tasks/init.json': JSON.stringify({ input_method: 'stdin', parameters: { secret: { type: 'String', sensitive: true } } }),
    // Reports whether it has a terminal, where its input came from, and any file under its dir.
    'modules/probe/tasks/init.sh': `#!/bin/sh
input=$(cat)
# The secret's text is built here so that this file does not hold it.
s=hunt; s="\${s}er2"
if [ -t 0 ] || [ -t 1 ]; then tty=yes; else tty=no; fi
case "$input" in *"$s"*) got=yes ;; *) got=no ;; esac
files=$(grep -rl "$s" "$(dirname "$0")" 2>/dev/null | wc -l)
printf '{"tty": "%s", "stdin_has_secret": "%s", "files_with_secret": %s}' "$tty" "$got" "$files"
`,
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('X-04 tty', () => {
  it('X-04: tty: true is accepted; the stdin task gets its parameters on stdin, with no PTY and no wrapper file holding them', async () => {
    const runtime = await createRuntime({
      cwd: dir,
      env: { HOME: dir, RIVET_DEFAULTS_DIRS: '' },
      inventory: {
        targets: ['127.0.0.1'],
        config: {
          ssh: {
            port: server.port,
            user: server.user,
            'private-key': server.clientKeyPath,
            'known-hosts-file': server.knownHostsPath,
            'load-config': false,
            tty: true,
          },
        },
      },
    });
    try {
      const plan = definePlan({
        async run() {
          return (await runTask('probe', '127.0.0.1', { secret: new Sensitive('hunter2') } as never)).first!.value;
        },
      });
      const value = await new PlanRunner(runtime, { env: {} }).run(plan);
      expect(value).toEqual({ tty: 'no', stdin_has_secret: 'yes', files_with_secret: 0 });
      expect(JSON.stringify(value)).not.toContain('hunter2');
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
