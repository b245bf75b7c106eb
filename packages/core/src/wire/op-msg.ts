/** OP_MSG (opcode 2013) encode and decode. */
import { MongoProtocolError, type Document } from '../errors.js';
import { decodeDocumentAt, encodeCommandBody, encodeDocument, type BsonDeserializeOptions } from './bson-io.js';
import {
  MESSAGE_HEADER_SIZE,
  OP_MSG,
  OP_MSG_CHECKSUM_PRESENT,
  OP_MSG_EXHAUST_ALLOWED,
  OP_MSG_MORE_TO_COME,
  OP_MSG_REQUIRED_BITS_MASK,
} from './constants.js';
import { crc32c } from './crc32c.js';
import { readHeader, writeHeader } from './header.js';

export interface OpMsgRequest {
  requestId: number;
  responseTo?: number;
  /** The kind 0 section. */
  body: Document;
  /** Kind 1 sections: identifier (e.g. "documents") to its documents. */
  sequences?: Readonly<Record<string, readonly Document[]>>;
  moreToCome?: boolean;
  exhaustAllowed?: boolean;
  checksum?: boolean;
  /** Undefined values in user documents: left out (true) or null (false). Default true (bson's). */
  ignoreUndefined?: boolean;
}

export interface OpMsg {
  readonly opCode: typeof OP_MSG;
  readonly requestId: number;
  readonly responseTo: number;
  readonly flagBits: number;
  readonly body: Document;
  readonly sequences: Readonly<Record<string, Document[]>>;
  readonly checksumPresent: boolean;
  readonly moreToCome: boolean;
  readonly exhaustAllowed: boolean;
}

/** The byte length of `chunks` back to back. */
export function concatLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}

/** Encodes to chunks that are sent back to back (no copy of the BSON bodies). */
export function encodeOpMsg(msg: OpMsgRequest): Uint8Array[] {
  const { checksum } = msg;
  const flagBits =
    (msg.moreToCome ? OP_MSG_MORE_TO_COME : 0) |
    (msg.exhaustAllowed ? OP_MSG_EXHAUST_ALLOWED : 0) |
    (checksum ? OP_MSG_CHECKSUM_PRESENT : 0);
  // The header, flagBits, then the kind byte of the body section (0, as allocated).
  const head = new Uint8Array(MESSAGE_HEADER_SIZE + 5);
  const bson = msg.ignoreUndefined === false ? { ignoreUndefined: false } : undefined;
  const chunks = [head, encodeCommandBody(msg.body, bson)];
  for (const [identifier, docs] of Object.entries(msg.sequences ?? {})) {
    const id = new TextEncoder().encode(identifier);
    const encoded = docs.map((d) => encodeDocument(d, bson));
    // Kind 1, the int32 section size (counted from itself), the identifier and its NUL.
    const prefix = new Uint8Array(6 + id.byteLength);
    prefix[0] = 1;
    new DataView(prefix.buffer).setInt32(1, prefix.byteLength - 1 + concatLength(encoded), true);
    prefix.set(id, 5);
    chunks.push(prefix, ...encoded);
  }
  const length = concatLength(chunks);
  writeHeader(head, { messageLength: length + (checksum ? 4 : 0), requestId: msg.requestId, responseTo: msg.responseTo ?? 0, opCode: OP_MSG });
  new DataView(head.buffer).setUint32(MESSAGE_HEADER_SIZE, flagBits, true);
  if (checksum) {
    const sum = new Uint8Array(4);
    new DataView(sum.buffer).setUint32(0, crc32c(concatChunks(chunks, length)), true);
    chunks.push(sum);
  }
  return chunks;
}

export function concatChunks(chunks: readonly Uint8Array[], length = concatLength(chunks)): Uint8Array {
  const out = new Uint8Array(length);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

export interface DecodeOptions {
  bson?: BsonDeserializeOptions;
  /** Verify the CRC-32C when present (default true); false skips it. */
  verifyChecksum?: boolean;
}

/** Decodes one complete OP_MSG (header included). Throws MongoProtocolError. */
export function decodeOpMsg(bytes: Uint8Array, options: DecodeOptions = {}): OpMsg {
  const header = readHeader(bytes);
  if (header.opCode !== OP_MSG) throw new MongoProtocolError(`expected OP_MSG, got opcode ${header.opCode}`);
  if (header.messageLength !== bytes.byteLength) {
    throw new MongoProtocolError(`OP_MSG length ${header.messageLength} does not match ${bytes.byteLength} bytes`);
  }
  if (bytes.byteLength < MESSAGE_HEADER_SIZE + 5) throw new MongoProtocolError('OP_MSG too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flagBits = view.getUint32(MESSAGE_HEADER_SIZE, true);
  const known = OP_MSG_CHECKSUM_PRESENT | OP_MSG_MORE_TO_COME;
  if ((flagBits & OP_MSG_REQUIRED_BITS_MASK & ~known) !== 0) {
    throw new MongoProtocolError(`OP_MSG has unknown required flag bits 0x${flagBits.toString(16)}`);
  }
  const checksumPresent = (flagBits & OP_MSG_CHECKSUM_PRESENT) !== 0;
  const end = bytes.byteLength - (checksumPresent ? 4 : 0);
  if (end < MESSAGE_HEADER_SIZE + 5) throw new MongoProtocolError('OP_MSG too short for its checksum');
  if (checksumPresent && options.verifyChecksum !== false && crc32c(bytes, 0, end) !== view.getUint32(end, true)) {
    throw new MongoProtocolError('OP_MSG checksum mismatch');
  }
  let body: Document | undefined;
  const sequences: Record<string, Document[]> = {};
  let o = MESSAGE_HEADER_SIZE + 4;
  while (o < end) {
    const kind = bytes[o++]!;
    if (kind === 0) {
      if (body) throw new MongoProtocolError('OP_MSG has more than one kind 0 section');
      const { document, size } = decodeDocumentAt(bytes, o, end, options.bson);
      body = document;
      o += size;
    } else if (kind === 1) {
      if (o + 4 > end) throw new MongoProtocolError('OP_MSG document sequence truncated');
      const size = view.getInt32(o, true);
      const secEnd = o + size;
      if (size < 5 || secEnd > end) throw new MongoProtocolError(`OP_MSG document sequence length ${size} is invalid`);
      const nul = bytes.indexOf(0, o + 4);
      if (nul < 0 || nul >= secEnd) throw new MongoProtocolError('OP_MSG document sequence identifier is not terminated');
      const docs = (sequences[new TextDecoder().decode(bytes.subarray(o + 4, nul))] ??= []);
      for (let p = nul + 1; p < secEnd; ) {
        const { document, size: s } = decodeDocumentAt(bytes, p, secEnd, options.bson);
        docs.push(document);
        p += s;
      }
      o = secEnd;
    } else {
      throw new MongoProtocolError(`OP_MSG has unknown section kind ${kind}`);
    }
  }
  if (!body) throw new MongoProtocolError('OP_MSG has no kind 0 section');
  return {
    opCode: OP_MSG,
    requestId: header.requestId,
    responseTo: header.responseTo,
    flagBits,
    body,
    sequences,
    checksumPresent,
    moreToCome: (flagBits & OP_MSG_MORE_TO_COME) !== 0,
    exhaustAllowed: (flagBits & OP_MSG_EXHAUST_ALLOWED) !== 0,
  };
}
