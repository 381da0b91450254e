/**
 * The transport contract: every transport (local, ssh on real sshd, ...) runs these same cases.
 * A transport file calls {@link runTransportContract} with a factory; cases that cannot apply
 * are skipped with a stated reason.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, RunAs } from '../../src/transports/transport.ts';

export interface ContractFixture {
  /** A connection logged in as a user with password-less sudo (or root). */
  connect(): Promise<Connection>;
  /** A user the default login may become without a password. Omit to skip run-as cases. */
  runAsUser?: string | undefined;
  /** A connection whose login user needs a sudo password, and that password. */
  connectNeedingSudoPassword?: (() => Promise<{ connection: Connection; password: string; runAs: string }>) | undefined;
  /** A connection whose login user may not sudo at all. */
  connectWithoutSudo?: (() => Promise<{ connection: Connection; runAs: string }>) | undefined;
  /** Where remote paths for transfers may be created. */
  remoteDir: string;
  /** Reads a remote file as the test harness (to check uploads). */
  readRemote?: ((path: string) => Promise<Buffer>) | undefined;
  /** Why run-as cases are skipped, when they are. */
  skipRunAsReason?: string | undefined;
}

const signal = (): AbortSignal => new AbortController().signal;

export function runTransportContract(name: string, setup: () => Promise<ContractFixture>): void {
  describe(`transport contract: ${name}`, () => {
    let fixture: ContractFixture;
    let conn: Connection;
    let localDir: string;

    beforeAll(async () => {
      fixture = await setup();
      conn = await fixture.connect();
      localDir = await mkdtemp(join(tmpdir(), 'rivet-contract-'));
    });
    afterAll(async () => {
      await conn?.close();
      if (localDir) await rm(localDir, { recursive: true, force: true });
    });

    it('separates stdout and stderr and keeps both in merged output', async () => {
      const r = await conn.run('echo out; echo err >&2; echo out2', { signal: signal() });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString()).toBe('out\nout2\n');
      expect(r.stderr.toString()).toBe('err\n');
      expect(r.merged.toString().split('\n').sort()).toEqual(['', 'err', 'out', 'out2']);
    });

    it('reports exit codes', async () => {
      for (const code of [0, 1, 3, 127, 255]) {
        const r = await conn.run(`exit ${code}`, { signal: signal() });
        expect(r.exitCode).toBe(code);
      }
    });

    it('reports a command killed by a signal as 128+N', async () => {
      const r = await conn.run('kill -KILL $$', { signal: signal() });
      expect(r.exitCode).toBe(137);
    });

    it('passes env vars with quotes, $, backticks, newlines and unicode unchanged', async () => {
      const value = `it's "quoted" $HOME \`id\` \\ \n second line ✓ %s`;
      const r = await conn.run('printf %s "$RIVET_X"', { signal: signal(), env: { RIVET_X: value, EMPTY: '' } });
      expect(r.stdout.toString()).toBe(value);
    });

    it('keeps env values out of the process list', async () => {
      const r = await conn.run('ps -eo args 2>/dev/null || cat /proc/*/cmdline 2>/dev/null | tr "\\0" " "', {
        signal: signal(),
        env: { RIVET_SECRET: 'sekrit-value-4242' },
      });
      expect(r.stdout.toString()).not.toContain('sekrit-value-4242');
    });

    it('rejects an invalid env var name', async () => {
      await expect(conn.run('true', { signal: signal(), env: { 'BAD-NAME': 'x' } })).rejects.toThrow(/BAD-NAME/);
    });

    it('round-trips 10 MB on stdin and stdout', async () => {
      const data = Buffer.alloc(10 * 1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
      const r = await conn.run('cat', { signal: signal(), stdin: data });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBe(data.length);
      expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    });

    it('returns non-UTF-8 output as raw bytes', async () => {
      const r = await conn.run(`printf '\\377\\376abc\\000def'`, { signal: signal() });
      expect([...r.stdout]).toEqual([0xff, 0xfe, 0x61, 0x62, 0x63, 0x00, 0x64, 0x65, 0x66]);
    });

    it('closes stdin so a command reading it does not hang', async () => {
      const r = await conn.run('cat; echo done', { signal: signal() });
      expect(r.stdout.toString()).toBe('done\n');
    });

    it('does not fail when the command ignores a large stdin', async () => {
      const r = await conn.run('echo ignored', { signal: signal(), stdin: Buffer.alloc(4 * 1024 * 1024, 1) });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.toString()).toBe('ignored\n');
    });

    it('times out and kills the whole remote process tree', async () => {
      const marker = `rivet-timeout-${process.pid}-${Date.now()}`;
      const r = await conn.run(`sh -c 'sleep 60; echo ${marker}' & sleep 61`, { signal: signal(), timeoutMs: 500 });
      expect(r.timedOut).toBe(true);
      expect(r.killed).toBe(true); // Confirmed by the kill exec on the process group.
      const check = await conn.run(`ps -eo args | grep -v grep | grep -c ${marker} || true`, { signal: signal() });
      expect(check.stdout.toString().trim()).toBe('0');
    });

    it('cancels through the AbortSignal', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const r = await conn.run('sleep 60', { signal: controller.signal });
      expect(r.canceled).toBe(true);
      expect(r.killed).toBe(true);
    });

    it('runs a file from a private temp dir with arguments, then removes the dir', async () => {
      const script = Buffer.from('#!/bin/sh\nprintf "%s|" "$@"\nprintf "\\n%s" "$(dirname "$0")"\nls -ld "$(dirname "$0")" | cut -c1-10 >&2\n');
      const r = await conn.runFile({ signal: signal(), file: { name: 'args.sh', content: script }, args: ['a b', "c'd", '$HOME', ''] });
      expect(r.exitCode).toBe(0);
      const [args, dir] = r.stdout.toString().split('\n');
      expect(args).toBe("a b|c'd|$HOME||");
      expect(r.stderr.toString().trim()).toBe('drwx------');
      const gone = await conn.run(`test -e '${dir}' && echo present || echo gone`, { signal: signal() });
      expect(gone.stdout.toString()).toBe('gone\n');
    });

    it('keeps the temp dir with cleanup: false', async () => {
      const r = await conn.runFile({ signal: signal(), cleanup: false, file: { name: 'x.sh', content: Buffer.from('#!/bin/sh\ndirname "$0"\n') } });
      const dir = r.stdout.toString().trim();
      const kept = await conn.run(`test -d '${dir}' && echo kept; rm -rf '${dir}'`, { signal: signal() });
      expect(kept.stdout.toString()).toBe('kept\n');
    });

    it('runs a file with an interpreter', async () => {
      const r = await conn.runFile({ signal: signal(), interpreter: ['/bin/sh', '-e'], file: { name: 'noshebang', content: Buffer.from('echo via-interpreter\n') } });
      expect(r.stdout.toString()).toBe('via-interpreter\n');
    });

    it('runs a large binary-ish file (sent outside the script)', async () => {
      const filler = Buffer.alloc(400 * 1024, 0);
      const content = Buffer.concat([Buffer.from('#!/bin/sh\necho large-ok\nexit 0\n'), filler]);
      const r = await conn.runFile({ signal: signal(), file: { name: 'large.sh', content } });
      expect(r.stdout.toString()).toBe('large-ok\n');
    });

    it('unpacks a bundle into a private temp dir and runs its entry there (two execs)', async () => {
      const src = join(localDir, 'bundle');
      await mkdir(join(src, 'mod', 'tasks'), { recursive: true });
      await mkdir(join(src, 'other', 'files'), { recursive: true });
      await writeFile(join(src, 'mod', 'tasks', 'run.sh'), '#!/bin/sh\ncat "$RIVET_DIR/other/files/data.txt"; printf " %s" "$RIVET_DIR"; cat\n');
      await writeFile(join(src, 'other', 'files', 'data.txt'), 'bundled');
      const tar = await import('tar');
      const chunks: Buffer[] = [];
      for await (const chunk of tar.c({ cwd: src, portable: true }, ['mod', 'other']) as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
      let installDir = '';
      const r = await conn.runBundle({
        signal: signal(),
        archive: Buffer.concat(chunks),
        entry: 'mod/tasks/run.sh',
        interpreter: ['/bin/sh'],
        input: (dir) => {
          installDir = dir;
          return { env: { RIVET_DIR: dir }, stdin: ' stdin' };
        },
      });
      expect(r.stderr.toString()).toBe('');
      expect(r.stdout.toString()).toBe(`bundled ${installDir} stdin`);
      const gone = await conn.run(`test -e '${installDir}' && echo present || echo gone`, { signal: signal() });
      expect(gone.stdout.toString()).toBe('gone\n');
    });

    it('reports a missing tmpdir as TMPDIR_ERROR', async () => {
      await expect(
        conn.runFile({ signal: signal(), tmpdir: '/nonexistent/rivet', file: { name: 'x.sh', content: Buffer.from('#!/bin/sh\n') } }),
      ).rejects.toMatchObject({ kind: 'puppetlabs.tasks/task_file_error', issueCode: 'TMPDIR_ERROR' });
    });

    it('uploads and downloads a file, keeping its mode', async () => {
      const src = join(localDir, 'up.txt');
      await writeFile(src, 'hello upload\n');
      await chmod(src, 0o640);
      const remote = `${fixture.remoteDir}/up-${Date.now()}.txt`;
      await conn.upload(src, remote, { signal: signal() });
      const r = await conn.run(`cat '${remote}'; stat -c %a '${remote}'`, { signal: signal() });
      expect(r.stdout.toString()).toBe('hello upload\n640\n');
      const back = join(localDir, 'down.txt');
      await conn.download(remote, back, { signal: signal() });
      expect(await readFile(back, 'utf8')).toBe('hello upload\n');
    });

    it('uploads and downloads a directory tree', async () => {
      const src = join(localDir, 'tree');
      await mkdir(join(src, 'sub', 'deeper'), { recursive: true });
      await writeFile(join(src, 'a.txt'), 'A');
      await writeFile(join(src, 'sub', 'deeper', 'b.bin'), Buffer.from([0, 1, 2, 255]));
      const remote = `${fixture.remoteDir}/tree-${Date.now()}`;
      await conn.upload(src, remote, { signal: signal() });
      const r = await conn.run(`cd '${remote}' && find . -type f | sort`, { signal: signal() });
      expect(r.stdout.toString()).toBe('./a.txt\n./sub/deeper/b.bin\n');
      const back = join(localDir, 'tree-back');
      await conn.download(remote, back, { signal: signal() });
      expect([...(await readFile(join(back, 'sub', 'deeper', 'b.bin')))]).toEqual([0, 1, 2, 255]);
      expect((await stat(join(back, 'a.txt'))).isFile()).toBe(true);
    });

    // Bolt's upload (lib/bolt/shell/bash.rb `upload`): a temp copy, then `mv -f <tmp>/<name> <dest>`.
    const uploadSemantics = (as: () => RunAs | undefined, base: () => Promise<string>): void => {
      it('X-09/P-05: bash.rb upload: a file uploaded onto an existing directory lands inside it', async (ctx) => {
        if (as() === null) return ctx.skip('no run-as user');
        const src = join(localDir, 'into.txt');
        await writeFile(src, 'into');
        const dest = `${await base()}/dir-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        await conn.run(`mkdir -p '${dest}'`, { signal: signal(), runAs: as() });
        await conn.upload(src, dest, { signal: signal(), runAs: as() });
        const r = await conn.run(`cat '${dest}/into.txt'`, { signal: signal(), runAs: as() });
        expect(r.stdout.toString()).toBe('into');
      });

      it('X-09/P-05: bash.rb upload: a directory uploaded onto an existing directory nests as DEST/<name>/...', async (ctx) => {
        if (as() === null) return ctx.skip('no run-as user');
        const src = join(localDir, `nest-${Math.random().toString(36).slice(2)}`);
        await mkdir(join(src, 'sub'), { recursive: true });
        await writeFile(join(src, 'sub', 'f.txt'), 'nested');
        const dest = `${await base()}/dir-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        await conn.run(`mkdir -p '${dest}'`, { signal: signal(), runAs: as() });
        await conn.upload(src, dest, { signal: signal(), runAs: as() });
        const r = await conn.run(`cd '${dest}' && find . -type f | sort`, { signal: signal(), runAs: as() });
        expect(r.stdout.toString()).toBe(`./${src.split('/').pop()}/sub/f.txt\n`);
      });

      it("X-09/P-05: bash.rb upload: a destination whose parent does not exist fails with MV_ERROR, nothing created", async (ctx) => {
        if (as() === null) return ctx.skip('no run-as user');
        const src = join(localDir, 'orphan.txt');
        await writeFile(src, 'x');
        const parent = `${await base()}/no-parent-${Date.now()}`;
        const error = await conn.upload(src, `${parent}/f.txt`, { signal: signal(), runAs: as() }).then(() => undefined, (e: unknown) => e);
        expect(error).toMatchObject({ kind: 'puppetlabs.tasks/task_file_error', issueCode: 'MV_ERROR' });
        expect((error as Error).message).toMatch(new RegExp(`^Could not move temporary file '.*/orphan\\.txt' to ${parent}/f\\.txt: mv: .*No such file or directory`));
        const r = await conn.run(`test -e '${parent}' && echo made || echo absent`, { signal: signal() });
        expect(r.stdout.toString()).toBe('absent\n');
      });
    };
    describe('upload semantics, as the login user', () => uploadSemantics(() => undefined, async () => fixture.remoteDir));
    describe('upload semantics, with run-as', () =>
      uploadSemantics(
        () => (fixture.runAsUser ? { user: fixture.runAsUser } : (null as unknown as undefined)),
        async () => (await conn.run('echo ~', { signal: signal(), runAs: { user: fixture.runAsUser! } })).stdout.toString().trim(),
      ));

    it('fails an upload of a missing local file with a clear error', async () => {
      await expect(conn.upload(join(localDir, 'missing'), `${fixture.remoteDir}/x`, { signal: signal() })).rejects.toThrow(/missing.*cannot be read|cannot be read/);
    });

    it('fails a download of a missing remote path with a clear error', async () => {
      await expect(conn.download(`${fixture.remoteDir}/does-not-exist`, join(localDir, 'nothing'), { signal: signal() })).rejects.toThrow(/does-not-exist/);
    });

    describe('run-as', () => {
      const runAs = (): RunAs => ({ user: fixture.runAsUser ?? '' });

      it('runs a command as another user with password-less sudo', async (ctx) => {
        if (!fixture.runAsUser) return ctx.skip(fixture.skipRunAsReason ?? 'no run-as user');
        const r = await conn.run('id -un; printf %s "$X"; cat', { signal: signal(), runAs: runAs(), env: { X: 'env-ok\n' }, stdin: 'stdin-ok' });
        expect(r.stdout.toString()).toBe(`${fixture.runAsUser}\nenv-ok\nstdin-ok`);
        expect(r.stderr.toString()).toBe('');
      });

      it('X-02: run-as-command replaces sudo (the user is appended)', async (ctx) => {
        if (!fixture.runAsUser) return ctx.skip(fixture.skipRunAsReason ?? 'no run-as user');
        const r = await conn.run('id -un; printf %s "$X"', { signal: signal(), runAs: { user: fixture.runAsUser, command: ['sudo', '-n', '-H', '-u'] }, env: { X: 'via-command' } });
        expect(r.stdout.toString()).toBe(`${fixture.runAsUser}\nvia-command`);
      });

      it('runs a file as another user from a temp dir that user owns', async (ctx) => {
        if (!fixture.runAsUser) return ctx.skip(fixture.skipRunAsReason ?? 'no run-as user');
        const r = await conn.runFile({ signal: signal(), runAs: runAs(), file: { name: 'who.sh', content: Buffer.from('#!/bin/sh\nid -un\nstat -c %U "$(dirname "$0")"\n') } });
        expect(r.stdout.toString()).toBe(`${fixture.runAsUser}\n${fixture.runAsUser}\n`);
      });

      it('uploads and downloads as another user', async (ctx) => {
        if (!fixture.runAsUser) return ctx.skip(fixture.skipRunAsReason ?? 'no run-as user');
        const src = join(localDir, 'runas.txt');
        await writeFile(src, 'as-user');
        const home = (await conn.run('echo ~', { signal: signal(), runAs: runAs() })).stdout.toString().trim();
        const remote = `${home}/runas-${Date.now()}.txt`;
        await conn.upload(src, remote, { signal: signal(), runAs: runAs() });
        const owner = await conn.run(`stat -c %U '${remote}'`, { signal: signal(), runAs: runAs() });
        expect(owner.stdout.toString().trim()).toBe(fixture.runAsUser);
        const back = join(localDir, 'runas-back.txt');
        await conn.download(remote, back, { signal: signal(), runAs: runAs() });
        expect(await readFile(back, 'utf8')).toBe('as-user');
      });

      it('sends the sudo password only to sudo, and reports a wrong one as BAD_PASSWORD', async (ctx) => {
        if (!fixture.connectNeedingSudoPassword) return ctx.skip('this transport fixture has no login user that needs a sudo password');
        const { connection, password, runAs: user } = await fixture.connectNeedingSudoPassword();
        try {
          const ok = await connection.run('id -un; cat', { signal: signal(), runAs: { user, password }, stdin: 'after-sudo' });
          expect(ok.stdout.toString()).toBe(`${user}\nafter-sudo`);
          expect(ok.stderr.toString()).not.toContain(password);
          await expect(connection.run('id -un', { signal: signal(), runAs: { user, password: 'wrong-password' } })).rejects.toMatchObject({ issueCode: 'BAD_PASSWORD' });
          await expect(connection.run('id -un', { signal: signal(), runAs: { user } })).rejects.toMatchObject({ issueCode: 'NO_PASSWORD' });
        } finally {
          await connection.close();
        }
      });

      it('reports a login user without sudo rights as SUDO_DENIED', async (ctx) => {
        if (!fixture.connectWithoutSudo) return ctx.skip('this transport fixture has no login user without sudo rights');
        const { connection, runAs: user } = await fixture.connectWithoutSudo();
        try {
          await expect(connection.run('id -un', { signal: signal(), runAs: { user, password: 'irrelevant' } })).rejects.toMatchObject({ kind: 'puppetlabs.tasks/escalate-error' });
        } finally {
          await connection.close();
        }
      });
    });
  });
}
