/** RFC 4648 base64 (standard alphabet, padded) over Uint8Array, on the platform's btoa/atob. */
import { MongoInvalidArgumentError } from '../../errors.js';

/** Canonical base64: whole groups of four, '=' only as the last one or two characters. */
const BASE64 = /^(?:[A-Za-z\d+/]{4})*(?:[A-Za-z\d+/]{2}==|[A-Za-z\d+/]{3}=)?$/;

export function base64Encode(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Strict decode: atob alone would also accept whitespace and missing padding. */
export function base64Decode(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new MongoInvalidArgumentError('invalid base64: expected groups of 4 alphabet characters, "=" only as padding');
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
