/** RFC 4648 base64 (standard alphabet, padded) over Uint8Array, with no Node or DOM helpers. */
import { MongoInvalidArgumentError } from '../../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    // The last group may hold 1 or 2 bytes: missing bytes count as 0 and their sextets as '='.
    const left = bytes.length - i;
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
    out += left > 1 ? ALPHABET[(n >>> 6) & 63]! : '=';
    out += left > 2 ? ALPHABET[n & 63]! : '=';
  }
  return out;
}

/** Strict decode: length a multiple of 4, only alphabet characters, '=' only as final padding. */
export function base64Decode(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new MongoInvalidArgumentError('invalid base64: length is not a multiple of 4');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = i; j < i + 4; j++) {
      const v = j >= text.length - padding ? 0 : ALPHABET.indexOf(text[j]!);
      if (v < 0) throw new MongoInvalidArgumentError('invalid base64: unexpected character');
      n = (n << 6) | v;
    }
    out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
