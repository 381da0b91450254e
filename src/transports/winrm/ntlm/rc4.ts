/**
 * RC4, the stream cipher of NTLM session security (key exchange and sealing). Node 20's OpenSSL 3
 * has no RC4 unless started with `--openssl-legacy-provider`. An {@link Rc4} keeps its state, so
 * one instance per direction encrypts a whole NTLM session's messages as MS-NLMP 3.4.3 requires.
 *
 * @example
 * ```ts
 * const handle = new Rc4(Buffer.from('Key'));
 * handle.update(Buffer.from('Plaintext')).toString('hex'); // 'bbf316e8d940af0ad3'
 * ```
 * @module
 */

/** An RC4 key stream: {@link update} encrypts (or, the same thing, decrypts) the next bytes. */
export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError('RC4 key must be 1 to 256 bytes');
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    for (let i = 0, j = 0; i < 256; i++) {
      j = (j + s[i]! + key[i % key.length]!) & 0xff;
      [s[i], s[j]] = [s[j]!, s[i]!];
    }
  }

  /** XORs `data` with the next `data.length` bytes of key stream (a new buffer; `data` is untouched). */
  update(data: Uint8Array): Buffer {
    const s = this.#s;
    const out = Buffer.allocUnsafe(data.length);
    let i = this.#i;
    let j = this.#j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]!) & 0xff;
      const t = s[i]!;
      s[i] = s[j]!;
      s[j] = t;
      out[n] = data[n]! ^ s[(s[i]! + t) & 0xff]!;
    }
    this.#i = i;
    this.#j = j;
    return out;
  }
}

/** One-shot RC4 with a fresh key (MS-NLMP's `RC4K(key, data)`). */
export function rc4k(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
