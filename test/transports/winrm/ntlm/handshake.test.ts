/**
 * Rivet's NTLM initiator against Rivet's NTLM acceptor: the handshake, what is refused (wrong
 * password, unknown user, tampered MIC, NTLMv1, a server refusing sealing), channel bindings,
 * and sealing both ways with sequence numbers. Interop with independent implementations is in
 * interop.test.ts.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isRivetError } from '../../../../src/core/errors.ts';
import { NtlmAcceptor, NtlmInitiator, splitUser, type NtlmCredentials } from '../../../../src/transports/winrm/ntlm/index.ts';
import {
  AvFlags,
  AvId,
  MIC_OFFSET,
  NegotiateFlags as F,
  decodeAuthenticate,
  decodeAvPairs,
  decodeChallenge,
  decodeNegotiate,
  encodeChallenge,
} from '../../../../src/transports/winrm/ntlm/messages.ts';

const PASSWORD = 'S3cret-pässwörd';
const users: Record<string, string> = { 'vagrant': PASSWORD, 'corp\\admin': 'Adm1n!' };
const lookup = (user: string, domain: string): string | undefined => users[(domain ? `${domain}\\${user}` : user).toLowerCase()];

function handshake(credentials: NtlmCredentials, acceptor = new NtlmAcceptor(lookup), initiatorOptions = {}) {
  const initiator = new NtlmInitiator(credentials, initiatorOptions);
  const challenge = acceptor.challenge(initiator.negotiate());
  const authenticate = initiator.authenticate(challenge);
  return { initiator, acceptor, challenge, authenticate, accept: () => acceptor.accept(authenticate) };
}

function errorOf(fn: () => unknown): { kind: string; issueCode: string | undefined; message: string } {
  try {
    fn();
  } catch (err) {
    if (isRivetError(err)) return { kind: err.kind, issueCode: err.issueCode, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

describe('NTLM handshake, Rivet initiator <-> Rivet acceptor', () => {
  it('authenticates a local user and agrees on keys (a sealed message round-trips both ways)', () => {
    const h = handshake({ user: 'vagrant', password: PASSWORD });
    const accepted = h.accept();
    expect(accepted).toMatchObject({ user: 'vagrant', domain: '' });
    const client = h.initiator.session;
    const server = accepted.session;
    expect([client.role, server.role]).toEqual(['client', 'server']);
    const up = client.seal(Buffer.from('<s:Envelope>request</s:Envelope>'));
    expect(server.unseal(up.sealed, up.signature).toString()).toBe('<s:Envelope>request</s:Envelope>');
    const down = server.seal(Buffer.from('reply'));
    expect(client.unseal(down.sealed, down.signature).toString()).toBe('reply');
  });

  it('negotiates 128-bit extended session security, key exchange, signing and sealing', () => {
    const h = handshake({ user: 'vagrant', password: PASSWORD });
    const negotiate = decodeNegotiate(new NtlmInitiator({ user: 'x', password: 'y' }).negotiate());
    const auth = decodeAuthenticate(h.authenticate);
    for (const flag of [F.Unicode, F.Sign, F.Seal, F.ExtendedSessionSecurity, F.Key128, F.KeyExchange, F.AlwaysSign, F.Version]) {
      expect(negotiate.flags & flag).toBe(flag);
      expect(auth.flags & flag).toBe(flag);
    }
    expect(auth.encryptedRandomSessionKey).toHaveLength(16);
  });

  it('sends NTLMv2 with the server timestamp, a MIC, zero LM response and zero channel bindings', () => {
    const h = handshake({ user: 'vagrant', password: PASSWORD });
    const auth = decodeAuthenticate(h.authenticate);
    const serverPairs = decodeAvPairs(decodeChallenge(h.challenge).targetInfo);
    const pairs = decodeAvPairs(auth.ntChallengeResponse.subarray(16 + 28));
    expect(auth.lmChallengeResponse).toEqual(Buffer.alloc(24));
    expect(auth.mic).toBeDefined();
    expect(auth.mic!.equals(Buffer.alloc(16))).toBe(false);
    expect(pairs.find((p) => p.id === AvId.Flags)!.value.readUInt32LE(0) & AvFlags.MicProvided).toBe(AvFlags.MicProvided);
    expect(pairs.find((p) => p.id === AvId.ChannelBindings)!.value).toEqual(Buffer.alloc(16));
    expect(pairs.find((p) => p.id === AvId.Timestamp)!.value).toEqual(serverPairs.find((p) => p.id === AvId.Timestamp)!.value);
    // The blob's own time field is the server's timestamp too.
    expect(auth.ntChallengeResponse.subarray(16 + 8, 16 + 16)).toEqual(serverPairs.find((p) => p.id === AvId.Timestamp)!.value);
  });

  it('takes the domain from DOMAIN\\user, or from the domain field', () => {
    expect(splitUser({ user: 'CORP\\admin', password: '' })).toEqual({ user: 'admin', domain: 'CORP' });
    expect(splitUser({ user: 'admin@corp.example', password: '' })).toEqual({ user: 'admin@corp.example', domain: '' });
    expect(splitUser({ user: 'CORP\\admin', password: '', domain: 'OTHER' })).toEqual({ user: 'CORP\\admin', domain: 'OTHER' });
    expect(handshake({ user: 'CORP\\admin', password: 'Adm1n!' }).accept()).toMatchObject({ user: 'admin', domain: 'CORP' });
    expect(handshake({ user: 'admin', domain: 'corp', password: 'Adm1n!' }).accept()).toMatchObject({ user: 'admin', domain: 'corp' });
  });

  it('refuses a wrong password and an unknown user with AUTH_ERROR, without revealing either password', () => {
    for (const credentials of [
      { user: 'vagrant', password: 'wrong-password' },
      { user: 'nobody', password: PASSWORD },
    ]) {
      const error = errorOf(handshake(credentials).accept);
      expect(error).toMatchObject({ kind: 'puppetlabs.tasks/connect-error', issueCode: 'AUTH_ERROR' });
      expect(error.message).toContain(credentials.user);
      expect(error.message).not.toContain(PASSWORD);
      expect(error.message).not.toContain('wrong-password');
    }
  });

  it('refuses a tampered AUTHENTICATE_MESSAGE: MIC, user name, NT response', () => {
    const tamper = (mutate: (raw: Buffer) => void) => {
      const h = handshake({ user: 'vagrant', password: PASSWORD });
      mutate(h.authenticate);
      return errorOf(h.accept);
    };
    expect(tamper((raw) => (raw[MIC_OFFSET]! ^= 1))).toMatchObject({ issueCode: 'AUTH_ERROR', message: expect.stringContaining('MIC') });
    // Flip a bit of the workstation name: only the MIC covers it.
    expect(
      tamper((raw) => {
        const at = raw.readUInt32LE(48);
        raw[at]! ^= 1;
      }),
    ).toMatchObject({ issueCode: 'AUTH_ERROR' });
    expect(
      tamper((raw) => {
        const at = raw.readUInt32LE(24);
        raw[at + 40]! ^= 1; // inside the NTLMv2 blob: NTProofStr no longer matches
      }),
    ).toMatchObject({ issueCode: 'AUTH_ERROR' });
  });

  it('refuses NTLMv1 responses and messages out of order', () => {
    const acceptor = new NtlmAcceptor(lookup);
    expect(errorOf(() => acceptor.accept(Buffer.alloc(88)))).toMatchObject({ issueCode: 'NTLM_PROTOCOL_ERROR' });
    const h = handshake({ user: 'vagrant', password: PASSWORD });
    const v1 = Buffer.from(h.authenticate);
    v1.writeUInt16LE(24, 20);
    v1.writeUInt16LE(24, 22);
    expect(errorOf(() => h.acceptor.accept(v1))).toMatchObject({ issueCode: 'NTLM_PROTOCOL_ERROR', message: expect.stringContaining('NTLMv1') });
    expect(errorOf(() => new NtlmInitiator({ user: 'a', password: 'b' }).authenticate(h.challenge))).toMatchObject({ issueCode: 'NTLM_PROTOCOL_ERROR' });
    expect(errorOf(() => new NtlmInitiator({ user: 'a', password: 'b' }).session)).toMatchObject({ issueCode: 'NTLM_PROTOCOL_ERROR' });
    expect(errorOf(() => new NtlmInitiator({ user: 'a', password: 'b' }).authenticate(Buffer.from('garbage')))).toMatchObject({ issueCode: 'NTLM_PROTOCOL_ERROR' });
  });

  it('refuses a server that does not grant sealing, 128-bit keys or extended session security, naming what is missing', () => {
    for (const [flag, words] of [
      [F.Seal, 'sealing'],
      [F.Key128, '128-bit'],
      [F.ExtendedSessionSecurity, 'extended session security'],
    ] as const) {
      const initiator = new NtlmInitiator({ user: 'vagrant', password: PASSWORD });
      const real = decodeChallenge(new NtlmAcceptor(lookup).challenge(initiator.negotiate()));
      const downgraded = encodeChallenge({ flags: real.flags & ~flag, serverChallenge: real.serverChallenge, targetName: real.targetName, targetInfo: real.targetInfo });
      const error = errorOf(() => initiator.authenticate(downgraded));
      expect(error.issueCode).toBe('NTLM_PROTOCOL_ERROR');
      expect(error.message).toContain(words);
    }
  });

  it('checks channel bindings when the acceptor knows the TLS channel', () => {
    const bindings = Buffer.from('tls-server-end-point:' + 'ab'.repeat(32));
    const strict = () => new NtlmAcceptor(lookup, { channelBindings: bindings, requireChannelBindings: true });
    expect(handshake({ user: 'vagrant', password: PASSWORD }, strict(), { channelBindings: bindings }).accept().user).toBe('vagrant');
    expect(errorOf(handshake({ user: 'vagrant', password: PASSWORD }, strict(), { channelBindings: Buffer.from('tls-server-end-point:other') }).accept)).toMatchObject({
      issueCode: 'AUTH_ERROR',
      message: expect.stringContaining('channel bindings'),
    });
    expect(errorOf(handshake({ user: 'vagrant', password: PASSWORD }, strict()).accept)).toMatchObject({ issueCode: 'AUTH_ERROR' });
    // The bindings may also be given to authenticate(), once the TLS certificate is known.
    const late = new NtlmInitiator({ user: 'vagrant', password: PASSWORD });
    const acceptor = strict();
    const challenge = acceptor.challenge(late.negotiate());
    expect(acceptor.accept(late.authenticate(challenge, { channelBindings: bindings })).user).toBe('vagrant');
    // Not strict: a client without bindings is accepted (Windows' CbtHardeningLevel=Relaxed).
    const relaxed = new NtlmAcceptor(lookup, { channelBindings: bindings });
    expect(handshake({ user: 'vagrant', password: PASSWORD }, relaxed).accept().user).toBe('vagrant');
  });

  it('sends MsvAvTargetName when given an SPN', () => {
    const h = handshake({ user: 'vagrant', password: PASSWORD }, undefined, { targetName: 'HTTP/win1.example.com' });
    const pairs = decodeAvPairs(decodeAuthenticate(h.authenticate).ntChallengeResponse.subarray(44));
    expect(pairs.find((p) => p.id === AvId.TargetName)!.value.toString('utf16le')).toBe('HTTP/win1.example.com');
    expect(h.accept().user).toBe('vagrant');
  });
});

describe('NTLM session security', () => {
  const pair = () => {
    const h = handshake({ user: 'vagrant', password: PASSWORD });
    return { client: h.initiator.session, server: h.accept().session };
  };

  it('seals 200 messages each way, interleaved, with per-direction sequence numbers', () => {
    const { client, server } = pair();
    for (let i = 0; i < 200; i++) {
      const request = Buffer.from(`request ${i} ${'x'.repeat(i * 37)}`);
      const up = client.seal(request);
      expect(up.signature.readUInt32LE(12)).toBe(i);
      expect(up.sealed.length).toBe(request.length);
      expect(up.sealed.equals(request)).toBe(false);
      expect(server.unseal(up.sealed, up.signature).equals(request)).toBe(true); // Buffer.equals: toEqual is slow on big buffers
      if (i % 3 === 0) continue; // directions advance independently
      const reply = Buffer.from(`reply ${i}`);
      const down = server.seal(reply);
      expect(client.unseal(down.sealed, down.signature).equals(reply)).toBe(true);
    }
  });

  it('refuses a tampered message, a tampered signature, a replay or a reordering, and stays broken', () => {
    const cases: Array<(s: { sealed: Buffer; signature: Buffer }[]) => { sealed: Buffer; signature: Buffer }> = [
      ([m]) => ({ sealed: Buffer.from(m!.sealed.map((b, i) => (i === 3 ? b ^ 1 : b))), signature: m!.signature }),
      ([m]) => ({ sealed: m!.sealed, signature: Buffer.from(m!.signature.map((b, i) => (i === 5 ? b ^ 1 : b))) }),
      ([, second]) => second!, // second message first: wrong sequence number
    ];
    for (const pick of cases) {
      const { client, server } = pair();
      const messages = [client.seal(Buffer.from('first message')), client.seal(Buffer.from('second message'))];
      expect(errorOf(() => server.unseal(pick(messages).sealed, pick(messages).signature))).toMatchObject({ issueCode: 'NTLM_INTEGRITY_ERROR' });
      expect(errorOf(() => server.unseal(messages[0]!.sealed, messages[0]!.signature))).toMatchObject({ issueCode: 'NTLM_INTEGRITY_ERROR' });
      expect(errorOf(() => server.seal(Buffer.from('x')))).toMatchObject({ issueCode: 'NTLM_INTEGRITY_ERROR' });
    }
  });

  it('a client cannot unseal its own messages (directions have different keys)', () => {
    const { client } = pair();
    const own = client.seal(Buffer.from('hello'));
    expect(errorOf(() => client.unseal(own.sealed, own.signature))).toMatchObject({ issueCode: 'NTLM_INTEGRITY_ERROR' });
  });

  it('never shows keys or the password in inspect() or JSON', () => {
    const initiator = new NtlmInitiator({ user: 'vagrant', password: PASSWORD });
    const { client } = pair();
    const shown = inspect(client, { showHidden: true, depth: 5 }) + JSON.stringify(client) + inspect(initiator, { showHidden: true, depth: 5 });
    expect(shown).not.toContain(PASSWORD);
    expect(shown).not.toMatch(/[0-9a-f]{32}/);
    expect(shown).toContain("role: 'client'");
  });
});
