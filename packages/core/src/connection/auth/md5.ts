/**
 * MD5 (RFC 1321). WebCrypto has no MD5, and SCRAM-SHA-1 needs it once per authentication
 * for MongoDB's password digest: hex(md5(user + ':mongo:' + password)). Not for anything else.
 */

// Left-rotate amounts: round r (i >> 4) cycles through SHIFTS[4r .. 4r+3] (RFC 1321 §3.4).
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21] as const;

// T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 §3.4.
const T = Uint32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000));

export function md5(message: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian integer.
  const paddedLength = (((message.length + 8) >>> 6) + 1) * 64;
  const buf = new Uint8Array(paddedLength);
  buf.set(message);
  buf[message.length] = 0x80;
  const view = new DataView(buf.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedLength - 8, bitLength, true);
  view.setUint32(paddedLength - 4, Math.floor(bitLength / 0x100000000), true);

  let a0 = 0x67452301;
  let b0 = 0xefcdab89;
  let c0 = 0x98badcfe;
  let d0 = 0x10325476;
  const M = new Uint32Array(16);

  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let j = 0; j < 16; j++) M[j] = view.getUint32(offset + j * 4, true);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      // Round r = i >> 4: its function of b, c, d and its message word order (RFC 1321 §3.4).
      const r = i >> 4;
      const f = r === 0 ? (b & c) | (~b & d) : r === 1 ? (d & b) | (~d & c) : r === 2 ? b ^ c ^ d : c ^ (b | ~d);
      const g = [i, 5 * i + 1, 3 * i + 5, 7 * i][r]! & 15;
      const sum = (a + f + T[i]! + M[g]!) | 0;
      const s = SHIFTS[r * 4 + (i & 3)]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }

  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  [a0, b0, c0, d0].forEach((word, i) => outView.setUint32(i * 4, word, true));
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function md5Hex(text: string): string {
  return toHex(md5(new TextEncoder().encode(text)));
}
