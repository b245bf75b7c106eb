/** Legacy OP_QUERY (2004) and OP_REPLY (1): what the first handshake of older drivers uses. */
import { MongoProtocolError, type Document } from '../errors.js';
import { decodeDocumentAt, encodeDocument, type BsonDeserializeOptions } from './bson-io.js';
import { MESSAGE_HEADER_SIZE, OP_QUERY, OP_REPLY } from './constants.js';
import { readHeader, writeHeader } from './header.js';
import { concatLength } from './op-msg.js';

export interface OpQuery {
  readonly opCode: typeof OP_QUERY;
  readonly requestId: number;
  readonly responseTo: number;
  readonly flags: number;
  readonly fullCollectionName: string;
  readonly numberToSkip: number;
  readonly numberToReturn: number;
  readonly query: Document;
  readonly returnFieldsSelector?: Document;
}

export interface OpReply {
  readonly opCode: typeof OP_REPLY;
  readonly requestId: number;
  readonly responseTo: number;
  readonly responseFlags: number;
  readonly cursorId: bigint;
  readonly startingFrom: number;
  readonly documents: Document[];
}

export function encodeOpQuery(q: Omit<OpQuery, 'opCode' | 'responseTo'> & { responseTo?: number }): Uint8Array[] {
  const name = new TextEncoder().encode(q.fullCollectionName);
  // The header, flags, the name and its NUL, numberToSkip, numberToReturn.
  const head = new Uint8Array(MESSAGE_HEADER_SIZE + 13 + name.byteLength);
  const chunks = [head, encodeDocument(q.query)];
  if (q.returnFieldsSelector) chunks.push(encodeDocument(q.returnFieldsSelector));
  writeHeader(head, { messageLength: concatLength(chunks), requestId: q.requestId, responseTo: q.responseTo ?? 0, opCode: OP_QUERY });
  const v = new DataView(head.buffer);
  v.setInt32(16, q.flags, true);
  head.set(name, 20);
  v.setInt32(head.byteLength - 8, q.numberToSkip, true);
  v.setInt32(head.byteLength - 4, q.numberToReturn, true);
  return chunks;
}

export function decodeOpQuery(bytes: Uint8Array, bson?: BsonDeserializeOptions): OpQuery {
  const h = readHeader(bytes);
  if (h.opCode !== OP_QUERY) throw new MongoProtocolError(`expected OP_QUERY, got opcode ${h.opCode}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 20 + 1 + 8 + 5) throw new MongoProtocolError('OP_QUERY too short');
  const flags = v.getInt32(16, true);
  const nul = bytes.indexOf(0, 20);
  if (nul < 0 || nul + 9 > bytes.byteLength) throw new MongoProtocolError('OP_QUERY collection name is not terminated');
  const fullCollectionName = new TextDecoder().decode(bytes.subarray(20, nul));
  let o = nul + 1;
  const numberToSkip = v.getInt32(o, true);
  const numberToReturn = v.getInt32(o + 4, true);
  o += 8;
  const q = decodeDocumentAt(bytes, o, bytes.byteLength, bson);
  o += q.size;
  let returnFieldsSelector: Document | undefined;
  if (o < bytes.byteLength) returnFieldsSelector = decodeDocumentAt(bytes, o, bytes.byteLength, bson).document;
  return {
    opCode: OP_QUERY,
    requestId: h.requestId,
    responseTo: h.responseTo,
    flags,
    fullCollectionName,
    numberToSkip,
    numberToReturn,
    query: q.document,
    ...(returnFieldsSelector ? { returnFieldsSelector } : {}),
  };
}

export function encodeOpReply(r: Omit<OpReply, 'opCode'>): Uint8Array[] {
  const docs = r.documents.map((d) => encodeDocument(d));
  const head = new Uint8Array(MESSAGE_HEADER_SIZE + 20);
  let total = head.byteLength;
  for (const d of docs) total += d.byteLength;
  writeHeader(head, { messageLength: total, requestId: r.requestId, responseTo: r.responseTo, opCode: OP_REPLY });
  const v = new DataView(head.buffer);
  v.setInt32(16, r.responseFlags, true);
  v.setBigInt64(20, r.cursorId, true);
  v.setInt32(28, r.startingFrom, true);
  v.setInt32(32, docs.length, true);
  return [head, ...docs];
}

export function decodeOpReply(bytes: Uint8Array, bson?: BsonDeserializeOptions): OpReply {
  const h = readHeader(bytes);
  if (h.opCode !== OP_REPLY) throw new MongoProtocolError(`expected OP_REPLY, got opcode ${h.opCode}`);
  if (bytes.byteLength < MESSAGE_HEADER_SIZE + 20) throw new MongoProtocolError('OP_REPLY too short');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const numberReturned = v.getInt32(32, true);
  const documents: Document[] = [];
  let o = MESSAGE_HEADER_SIZE + 20;
  for (let i = 0; i < numberReturned; i++) {
    const d = decodeDocumentAt(bytes, o, bytes.byteLength, bson);
    documents.push(d.document);
    o += d.size;
  }
  if (o !== bytes.byteLength) throw new MongoProtocolError('OP_REPLY has trailing bytes');
  return {
    opCode: OP_REPLY,
    requestId: h.requestId,
    responseTo: h.responseTo,
    responseFlags: v.getInt32(16, true),
    cursorId: v.getBigInt64(20, true),
    startingFrom: v.getInt32(28, true),
    documents,
  };
}
