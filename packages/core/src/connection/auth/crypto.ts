/**
 * The SCRAM primitives on WebCrypto (`crypto.subtle`), behind a small injectable seam so
 * tests can count PBKDF2 runs and supply fixed nonces. Byte arguments are always over a
 * plain ArrayBuffer (WebCrypto refuses shared memory) and WebCrypto copies them: the
 * `as BufferSource` casts only satisfy the typing.
 */
import { MongoAuthError } from '../../errors.js';

/** The part of the WebCrypto `Crypto` object authentication uses. */
export interface AuthCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
  readonly subtle: Pick<SubtleCrypto, 'importKey' | 'deriveBits' | 'sign' | 'digest'>;
}

export type ScramHashName = 'SHA-1' | 'SHA-256';

export function defaultAuthCrypto(): AuthCrypto {
  const c = (globalThis as { crypto?: AuthCrypto }).crypto;
  if (!c?.subtle || typeof c.getRandomValues !== 'function') {
    throw new MongoAuthError('WebCrypto (globalThis.crypto.subtle) is required for SCRAM authentication');
  }
  return c;
}

export async function digest(c: AuthCrypto, hash: ScramHashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await c.subtle.digest(hash, data as BufferSource));
}

export async function hmac(c: AuthCrypto, hash: ScramHashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await c.subtle.importKey('raw', key as BufferSource, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await c.subtle.sign('HMAC', k, data as BufferSource));
}

/** RFC 5802 Hi(): PBKDF2 with HMAC-<hash> and dkLen = the hash output length. */
export async function hi(
  c: AuthCrypto,
  hash: ScramHashName,
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const key = await c.subtle.importKey('raw', password as BufferSource, 'PBKDF2', false, ['deriveBits']);
  const bits = hash === 'SHA-1' ? 160 : 256;
  return new Uint8Array(await c.subtle.deriveBits({ name: 'PBKDF2', hash, salt: salt as BufferSource, iterations }, key, bits));
}

export function randomBytes(c: AuthCrypto, n: number): Uint8Array {
  return c.getRandomValues(new Uint8Array(n));
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Length-independent comparison of two byte strings. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
