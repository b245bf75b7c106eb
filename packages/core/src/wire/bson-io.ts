/** The wire layer's only contact with the `bson` package: Uint8Array in, Uint8Array out. */
import { BSON, type DeserializeOptions } from 'bson';
import { DriverErrorCode, MongoProtocolError, type Document } from '../errors.js';

export type BsonDeserializeOptions = DeserializeOptions;

export function encodeDocument(doc: Document): Uint8Array {
  return BSON.serialize(doc);
}

/** Length-checked decode of the BSON document starting at `offset`. */
export function decodeDocumentAt(
  bytes: Uint8Array,
  offset: number,
  limit: number,
  options?: BsonDeserializeOptions,
): { document: Document; size: number } {
  if (offset + 5 > limit) throw new MongoProtocolError('BSON document truncated', DriverErrorCode.InvalidBSON);
  const size = new DataView(bytes.buffer, bytes.byteOffset + offset, 4).getInt32(0, true);
  if (size < 5 || offset + size > limit) {
    throw new MongoProtocolError(`invalid BSON document length ${size}`, DriverErrorCode.InvalidBSON);
  }
  try {
    const document = BSON.deserialize(bytes.subarray(offset, offset + size), options) as Document;
    return { document, size };
  } catch (cause) {
    throw new MongoProtocolError(`invalid BSON: ${(cause as Error).message}`, DriverErrorCode.InvalidBSON, { cause });
  }
}
