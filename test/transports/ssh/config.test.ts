import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJumpList, resolveSshConfig } from '../../../src/transports/ssh/config.ts';
import { makeTarget } from '../../helpers/targets.ts';

describe('ssh options and ~/.ssh/config', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'rivet-sshcfg-'));
    await mkdir(join(home, '.ssh'));
    await writeFile(join(home, '.ssh', 'mykey'), 'not a real key');
    await writeFile(
      join(home, '.ssh', 'config'),
      [
        'Host web',
        '  HostName 10.1.2.3',
        '  User deploy',
        '  Port 2200',
        '  IdentityFile ~/.ssh/mykey',
        '  ProxyJump jumper@bastion:2022',
        '  UserKnownHostsFile ~/.ssh/kh_web',
        'Host lax',
        '  StrictHostKeyChecking no',
        'Host *',
        '  User fallback',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rm(home, { recursive: true, force: true }));
  const renv = () => ({ home, env: { HOME: home }, localUser: 'me' });

  it('applies Host/HostName/User/Port/IdentityFile/ProxyJump/UserKnownHostsFile', async () => {
    const cfg = await resolveSshConfig(makeTarget({ name: 'web', host: 'web', config: { transport: 'ssh', ssh: {} } }), renv());
    const target = cfg.hops.at(-1)!;
    expect(target).toMatchObject({ alias: 'web', host: '10.1.2.3', port: 2200, user: 'deploy' });
    expect(target.keys.map((k) => k.origin)).toEqual([join(home, '.ssh', 'mykey')]);
    expect(cfg.hops).toHaveLength(2);
    expect(cfg.hops[0]).toMatchObject({ host: 'bastion', port: 2022, user: 'jumper' });
    expect(cfg.knownHostsFiles[0]).toBe(join(home, '.ssh', 'kh_web'));
    expect(cfg.hostKeyPolicy).toBe('strict');
    expect(cfg.connectTimeoutMs).toBe(10_000);
  });

  it('lets inventory options beat ssh_config', async () => {
    const cfg = await resolveSshConfig(
      makeTarget({ name: 'web', host: 'web', user: 'inv', config: { transport: 'ssh', ssh: { port: 22, proxyjump: 'none', 'private-key': { 'key-data': 'KEY' }, 'connect-timeout': 3 } } }),
      renv(),
    );
    expect(cfg.hops).toHaveLength(1);
    expect(cfg.hops[0]).toMatchObject({ host: '10.1.2.3', port: 22, user: 'inv' });
    expect(cfg.hops[0]!.keys.map((k) => k.data.toString())).toEqual(['KEY']);
    expect(cfg.connectTimeoutMs).toBe(3000);
  });

  it('ignores ssh_config and the agent with load-config: false', async () => {
    const cfg = await resolveSshConfig(makeTarget({ name: 'web', host: 'web', config: { transport: 'ssh', ssh: { 'load-config': false } } }), {
      ...renv(),
      env: { HOME: home, SSH_AUTH_SOCK: '/tmp/agent' },
    });
    expect(cfg.hops).toEqual([{ alias: 'web', host: 'web', port: 22, user: 'me', password: undefined, keys: [], agent: undefined }]);
  });

  it('uses the agent from SSH_AUTH_SOCK with load-config (the default)', async () => {
    const cfg = await resolveSshConfig(makeTarget({ name: 'x', host: 'x', config: { transport: 'ssh', ssh: {} } }), { ...renv(), env: { HOME: home, SSH_AUTH_SOCK: '/tmp/agent' } });
    expect(cfg.hops[0]!.agent).toBe('/tmp/agent');
    expect(cfg.hops[0]!.user).toBe('fallback');
  });

  it('follows StrictHostKeyChecking unless host-key-check is set', async () => {
    const lax = await resolveSshConfig(makeTarget({ name: 'lax', host: 'lax', config: { transport: 'ssh', ssh: {} } }), renv());
    expect(lax.hostKeyPolicy).toBe('off');
    const strict = await resolveSshConfig(makeTarget({ name: 'lax', host: 'lax', config: { transport: 'ssh', ssh: { 'host-key-check': true } } }), renv());
    expect(strict.hostKeyPolicy).toBe('strict');
    const off = await resolveSshConfig(makeTarget({ name: 'a', host: 'a', config: { transport: 'ssh', ssh: { 'host-key-check': false } } }), renv());
    expect(off.hostKeyPolicy).toBe('off');
  });

  it('rejects a missing private key file as AUTH_ERROR and bad option types', async () => {
    await expect(
      resolveSshConfig(makeTarget({ name: 'a', host: 'a', config: { transport: 'ssh', ssh: { 'private-key': '~/.ssh/nope' } } }), renv()),
    ).rejects.toMatchObject({ issueCode: 'AUTH_ERROR', message: expect.stringContaining('nope') });
    await expect(
      resolveSshConfig(makeTarget({ name: 'a', host: 'a', config: { transport: 'ssh', ssh: { 'connect-timeout': 'soon' } } }), renv()),
    ).rejects.toThrow(/connect-timeout/);
  });

  it('parses ProxyJump lists', () => {
    expect(parseJumpList('a, u@b:2022 ,ssh://v@[::1]:23')).toEqual([{ host: 'a' }, { user: 'u', host: 'b', port: 2022 }, { user: 'v', host: '::1', port: 23 }]);
    expect(parseJumpList('none')).toEqual([]);
  });
});
