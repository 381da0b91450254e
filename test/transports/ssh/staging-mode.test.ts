/**
 * An upload's staging dir on the target is private (mode 700) on every path: over SFTP (real
 * sshd), through the local transport's fs copy, and through the exec protocol (`mkdir -m 700`).
 * The staging dir is removed once the upload is moved into place, so its mode is read (over SSH:
 * `stat` in an exec on the same connection) right after the direct copy into it.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PosixConnection } from '../../../src/transports/posix/connection.ts';
import type { PosixPrimitives } from '../../../src/transports/posix/primitives.ts';
import { LocalPrimitives } from '../../../src/transports/local/transport.ts';
import { sshdSkipReason, startSshd, type SshdServer } from '../../harness/sshd.ts';
import { makeTarget } from '../../helpers/targets.ts';
import { connect, fakeHome, never, run, sshTarget } from './helpers.ts';

/** The primitives with `putPath` followed by `check` of the staging dir (the destination's parent). */
function afterPut(real: PosixPrimitives, check: (stagingDir: string) => Promise<void>): PosixPrimitives {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'putPath') {
        return async (...args: Parameters<PosixPrimitives['putPath']>) => {
          await target.putPath(...args);
          await check(dirname(args[1]));
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

let local: string;
let base: string;
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'rivet-staging-src-'));
  await writeFile(join(local, 'file.txt'), 'payload\n');
  await mkdir(join(local, 'tree', 'sub'), { recursive: true });
  await writeFile(join(local, 'tree', 'sub', 'f'), 'x');
  // Where the targets put their staging dirs and the uploads (the test user of sshd writes here).
  base = await mkdtemp(join(tmpdir(), 'rivet-staging-dst-'));
  await chmod(base, 0o1777);
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
  await rm(base, { recursive: true, force: true });
});

const skip = sshdSkipReason();
describe.skipIf(skip !== undefined)('upload staging dir over SSH (SFTP)', () => {
  let server: SshdServer;
  beforeAll(async () => {
    server = await startSshd();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it(
    'is created mode 700 for a file and for a directory, and removed after the move',
    async () => {
      const real = await connect(sshTarget(server), await fakeHome());
      const modes: string[] = [];
      const connection = new PosixConnection(afterPut(real, async (dir) => void modes.push((await run(real, `stat -c %a ${dir}`)).stdout.trim())));
      try {
        const stagingBase = join(base, 'ssh-tmp');
        await run(real, `mkdir -p ${stagingBase}`);
        await connection.upload(join(local, 'file.txt'), join(base, 'ssh-file.txt'), { signal: never(), tmpdir: stagingBase });
        await connection.upload(join(local, 'tree'), join(base, 'ssh-tree'), { signal: never(), tmpdir: stagingBase });
        expect(modes).toEqual(['700', '700']);
        expect((await run(real, `cat ${base}/ssh-file.txt ${base}/ssh-tree/sub/f; ls -A ${stagingBase} | wc -l`)).stdout).toBe('payload\nx0\n');
      } finally {
        await connection.close();
      }
    },
    120_000,
  );
});

describe('upload staging dir on the local transport', () => {
  it('is created mode 700 and removed after the move', async () => {
    const modes: number[] = [];
    const primitives = new LocalPrimitives(makeTarget({ name: 'localhost', config: { transport: 'local' } }));
    const connection = new PosixConnection(afterPut(primitives, async (dir) => void modes.push((await stat(dir)).mode & 0o777)));
    const stagingBase = join(base, 'local-tmp');
    await mkdir(stagingBase);
    try {
      await connection.upload(join(local, 'file.txt'), join(base, 'local-file.txt'), { signal: never(), tmpdir: stagingBase });
    } finally {
      await connection.close();
    }
    expect(modes).toEqual([0o700]);
    expect(await readdir(stagingBase)).toEqual([]);
  });
});
