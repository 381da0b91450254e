/**
 * Interop with independent NTLM implementations from Debian, driven through ntlm_peer.py:
 * - gss-ntlmssp 1.2 (C, through python3-gssapi) as acceptor and as initiator;
 * - python3-ntlm-auth 1.4 (pure Python; the NTLM library under Debian's pywinrm 0.3.0) as initiator.
 * Each direction: the handshake, wrong passwords refused, channel bindings that match and that do
 * not, and sealed messages both ways (GSS wrap = 16-byte signature + sealed data). Skipped, with
 * the reason, when the Debian packages are missing (.ci/run installs them).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRivetError } from '../../../../src/core/errors.ts';
import { NtlmAcceptor, NtlmInitiator, decryptMessage, encryptMessage, type NtlmSession } from '../../../../src/transports/winrm/ntlm/index.ts';
import { AvFlags, AvId, MIC_OFFSET, decodeAuthenticate, decodeAvPairs } from '../../../../src/transports/winrm/ntlm/messages.ts';
import { PeerError, PythonPeer, peerUnavailable, type PeerMode } from './python-peer.ts';

const PASSWORD = 'Pässw0rd-ü';
const DOMAIN = 'WORKGROUP';
const USER = 'vagrant';
const BINDINGS = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32, 0xc3)]);

let peers: PythonPeer[] = [];
async function start(mode: PeerMode, options: Parameters<typeof PythonPeer.start>[1]): Promise<PythonPeer> {
  const peer = await PythonPeer.start(mode, options);
  peers.push(peer);
  return peer;
}
afterEach(() => {
  for (const peer of peers) peer.close();
  peers = [];
});

/** Seals `count` messages each way between a Rivet session and a peer, of growing sizes. */
async function exchange(session: NtlmSession, peer: PythonPeer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const out = Buffer.from(`<s:Envelope n="${i}">${'ä'.repeat(i * 50)}</s:Envelope>`);
    const { signature, sealed } = session.seal(out);
    expect((await peer.unwrap(Buffer.concat([signature, sealed]))).equals(out)).toBe(true);
    const back = Buffer.from(`reply ${i} ${'x'.repeat(i * 70)}`);
    const wrapped = await peer.wrap(back);
    expect(wrapped.length).toBe(back.length + 16);
    expect(session.unseal(wrapped.subarray(16), wrapped.subarray(0, 16)).equals(back)).toBe(true);
  }
}

function micSent(authenticate: Buffer): boolean {
  const auth = decodeAuthenticate(authenticate);
  const flags = decodeAvPairs(auth.ntChallengeResponse.subarray(44)).find((p) => p.id === AvId.Flags)?.value;
  return !!flags && (flags.readUInt32LE(0) & AvFlags.MicProvided) !== 0 && !!auth.mic && !auth.mic.equals(Buffer.alloc(16));
}

describe('Rivet initiator -> gss-ntlmssp acceptor', () => {
  const unavailable = peerUnavailable('gss-accept');
  beforeEach((ctx) => ctx.skip(unavailable !== undefined, unavailable));

  async function login(password: string, initiatorBindings?: Buffer, acceptorBindings?: Buffer) {
    const peer = await start('gss-accept', { users: [{ domain: DOMAIN, user: USER, password: PASSWORD }], ...(acceptorBindings ? { channelBindings: acceptorBindings } : {}) });
    const initiator = new NtlmInitiator({ user: USER, domain: DOMAIN, password }, initiatorBindings ? { channelBindings: initiatorBindings } : {});
    const challenge = await peer.step(initiator.negotiate());
    expect(challenge.complete).toBe(false);
    const done = await peer.step(initiator.authenticate(challenge.token));
    return { peer, initiator, done };
  }

  it('authenticates, and seals 40 messages each way', async () => {
    const { peer, initiator, done } = await login(PASSWORD);
    expect(done.complete).toBe(true);
    expect(done.user.replace(/\0+$/, '')).toBe(`${DOMAIN}\\${USER}`);
    await exchange(initiator.session, peer, 40);
  });

  it('our MIC is checked: a tampered MIC is refused', async () => {
    const peer = await start('gss-accept', { users: [{ domain: DOMAIN, user: USER, password: PASSWORD }] });
    const initiator = new NtlmInitiator({ user: USER, domain: DOMAIN, password: PASSWORD });
    const challenge = await peer.step(initiator.negotiate());
    const authenticate = initiator.authenticate(challenge.token);
    expect(micSent(authenticate)).toBe(true);
    authenticate[MIC_OFFSET + 7]! ^= 0x10;
    await expect(peer.step(authenticate)).rejects.toBeInstanceOf(PeerError);
  });

  it('is refused with a wrong password', async () => {
    await expect(login('wrong')).rejects.toBeInstanceOf(PeerError);
  });

  it('channel bindings: the same tls-server-end-point data is accepted, other data is refused', async () => {
    const same = await login(PASSWORD, BINDINGS, BINDINGS);
    expect(same.done.complete).toBe(true);
    await exchange(same.initiator.session, same.peer, 2);
    const other = Buffer.from(BINDINGS);
    other[other.length - 1]! ^= 1;
    await expect(login(PASSWORD, other, BINDINGS)).rejects.toBeInstanceOf(PeerError);
  });
});

for (const mode of ['gss-init', 'ntlmauth-init'] as const) {
  const name = mode === 'gss-init' ? 'gss-ntlmssp initiator' : 'python3-ntlm-auth initiator (pywinrm)';
  describe(`${name} -> Rivet acceptor`, () => {
    const unavailable = peerUnavailable(mode);
    beforeEach((ctx) => ctx.skip(unavailable !== undefined, unavailable));

    const lookups: Array<[string, string]> = [];
    const lookup = (user: string, domain: string): string | undefined => {
      lookups.push([user, domain]);
      return user.toLowerCase() === USER && domain.toUpperCase() === DOMAIN ? PASSWORD : undefined;
    };

    async function login(password: string, bindings?: { initiator?: Buffer; acceptor?: Buffer; strict?: boolean }) {
      const peer = await start(mode, {
        ...(mode === 'gss-init' ? { user: `${DOMAIN}\\${USER}` } : { user: USER, domain: DOMAIN }),
        password,
        ...(bindings?.initiator ? { channelBindings: bindings.initiator } : {}),
      });
      const acceptor = new NtlmAcceptor(lookup, {
        ...(bindings?.acceptor ? { channelBindings: bindings.acceptor } : {}),
        requireChannelBindings: bindings?.strict ?? false,
      });
      const negotiate = await peer.step(Buffer.alloc(0));
      const authenticate = await peer.step(acceptor.challenge(negotiate.token));
      return { peer, authenticate: authenticate.token, accept: () => acceptor.accept(authenticate.token) };
    }

    it(`authenticates${mode === 'ntlmauth-init' ? ' (verifying its MIC)' : ''}, and seals 40 messages each way`, async () => {
      const { peer, authenticate, accept } = await login(PASSWORD);
      // gss-ntlmssp 1.2 sends MsvAvFlags 0 and no MIC; ntlm-auth sends one, which accept() verifies.
      expect(micSent(authenticate)).toBe(mode === 'ntlmauth-init');
      const accepted = accept();
      expect(accepted).toMatchObject({ user: USER, domain: DOMAIN });
      expect(lookups.at(-1)).toEqual([USER, DOMAIN]);
      await exchange(accepted.session, peer, 40);
    });

    it('a wrong password is refused with AUTH_ERROR', async () => {
      const { accept } = await login('wrong');
      try {
        accept();
        expect.unreachable();
      } catch (err) {
        expect(isRivetError(err) && err.issueCode).toBe('AUTH_ERROR');
      }
    });

    it('channel bindings: matching data is accepted by a strict acceptor, other data is refused', async () => {
      const ok = await login(PASSWORD, { initiator: BINDINGS, acceptor: BINDINGS, strict: true });
      await exchange(ok.accept().session, ok.peer, 2);
      const other = Buffer.from(BINDINGS);
      other[5]! ^= 1;
      const bad = await login(PASSWORD, { initiator: other, acceptor: BINDINGS });
      expect(() => bad.accept()).toThrow(/channel bindings/);
    });
  });
}

describe('pywinrm encryption framing (winrm.encryption over python3-ntlm-auth) <-> Rivet framing over Rivet acceptor', () => {
  const unavailable = peerUnavailable('ntlmauth-init');
  beforeEach((ctx) => ctx.skip(unavailable !== undefined, unavailable));

  it('bodies framed by pywinrm decrypt with decryptMessage, and encryptMessage bodies decrypt in pywinrm', async () => {
    const peer = await start('ntlmauth-init', { user: USER, domain: DOMAIN, password: PASSWORD });
    const acceptor = new NtlmAcceptor((user) => (user === USER ? PASSWORD : undefined));
    const negotiate = await peer.step(Buffer.alloc(0));
    const session = acceptor.accept((await peer.step(acceptor.challenge(negotiate.token))).token).session;
    const contentType = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';
    for (let i = 0; i < 10; i++) {
      const request = Buffer.from(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${'é'.repeat(i * 300)}${i}</s:Body></s:Envelope>`);
      const body = await peer.frame(request);
      expect(decryptMessage(session, body, contentType).equals(request)).toBe(true);
      const reply = Buffer.from(`<s:Envelope>reply ${i} ${'ü'.repeat(i * 500)}</s:Envelope>`);
      const framed = encryptMessage(session, reply);
      expect(framed.contentType).toBe(contentType);
      expect((await peer.unframe(framed.body)).equals(reply)).toBe(true);
    }
  });
});
