import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseTargetUri, safeUri } from '../../../src/runtime/inventory/uri.ts';
import { safeName } from '../../../src/core/index.ts';

describe('parseTargetUri (I-16)', () => {
  it('I-16: host only', () => {
    expect(parseTargetUri('web1')).toEqual({ transport: undefined, user: undefined, password: undefined, host: 'web1', port: undefined });
  });

  it('I-16: transport, user, password and port', () => {
    expect(parseTargetUri('ssh://deploy:pw@web1:2222')).toEqual({ transport: 'ssh', user: 'deploy', password: 'pw', host: 'web1', port: 2222 });
  });

  it('I-16: user and password are percent-decoded', () => {
    const uri = parseTargetUri('winrm://DOM%5Cadmin:p%40ss%3Aw0rd@win1');
    expect(uri.user).toBe('DOM\\admin');
    expect(uri.password).toBe('p@ss:w0rd');
    expect(uri.host).toBe('win1');
  });

  it('I-16: a raw @ in the password keeps the last @ as the host separator', () => {
    expect(parseTargetUri('u:p@ss@host').password).toBe('p@ss');
  });

  it('I-16: IPv6 in brackets with a port', () => {
    expect(parseTargetUri('[::1]:2222')).toMatchObject({ host: '::1', port: 2222 });
    expect(parseTargetUri('ssh://root@[fe80::1]')).toMatchObject({ host: 'fe80::1', port: undefined, user: 'root' });
  });

  it('I-16: a bare IPv6 address is all host', () => {
    expect(parseTargetUri('::1')).toMatchObject({ host: '::1', port: undefined });
  });

  it('I-16: remote:// scheme gives the remote transport', () => {
    expect(parseTargetUri('remote://api.example.com').transport).toBe('remote');
  });

  it('I-16: bad port and empty URI are errors naming the URI', () => {
    expect(() => parseTargetUri('web1:abc')).toThrow("Could not parse target URI 'web1:abc': invalid port 'abc'");
    expect(() => parseTargetUri('web1:70000')).toThrow(/invalid port '70000'/);
    expect(() => parseTargetUri('')).toThrow(/URI is empty string/);
    expect(() => parseTargetUri('u:%zz@h')).toThrow(/bad percent-encoding/);
  });
});

describe('safeUri / safeName (I-16, P-27)', () => {
  it('I-16: safeUri drops the password', () => {
    expect(safeUri('ssh://deploy:s%40cret@web1:22')).toBe('ssh://deploy@web1:22');
    expect(safeUri('deploy:pw@web1')).toBe('deploy@web1');
    expect(safeUri('deploy@web1')).toBe('deploy@web1');
    expect(safeUri('web1')).toBe('web1');
  });

  it('P-27: core safeName drops the password of a URI-named target', () => {
    expect(safeName({ name: 'ssh://u:pw@h' })).toBe('ssh://u@h');
  });

  it('I-16 property: encode → parse round-trips user, password, host and port', () => {
    const part = fc.string({ minLength: 1, maxLength: 12 });
    const host = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
    fc.assert(
      fc.property(part, part, host, fc.integer({ min: 1, max: 65535 }), fc.constantFrom('ssh', 'winrm', undefined), (user, password, h, port, scheme) => {
        const uri = `${scheme ? `${scheme}://` : ''}${encodeURIComponent(user)}:${encodeURIComponent(password)}@${h}:${port}`;
        const parsed = parseTargetUri(uri);
        expect(parsed).toEqual({ transport: scheme, user, password, host: h, port });
        expect(parseTargetUri(safeUri(uri))).toEqual({ transport: scheme, user, password: undefined, host: h, port });
      }),
    );
  });
});
