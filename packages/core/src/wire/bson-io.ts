/** The wire layer's only contact with the `bson` package: Uint8Array in, Uint8Array out. */
import { deserialize, serialize, type DeserializeOptions } from 'bson';
import { DriverErrorCode, MongoProtocolError, type Document } from '../errors.js';

export type BsonDeserializeOptions = DeserializeOptions;

export interface BsonSerializeOptions {
  /**
   * Leave out fields whose value is undefined (true) or write them as null (false, the
   * official driver's default: `{ a: undefined }` as a filter matches null/missing, as
   * there, and never becomes the empty filter `{}`).
   */
  ignoreUndefined?: boolean;
}

/** Serialize `doc`; undefined fields are left out unless `ignoreUndefined: false`. */
export function encodeDocument(doc: Document, options?: BsonSerializeOptions): Uint8Array {
  return options?.ignoreUndefined === false ? serialize(doc, { ignoreUndefined: false }) : serialize(doc);
}

/**
 * A command body as the official driver sends it: undefined values in what the user
 * gave (filters, documents, updates, pipelines) are null unless `ignoreUndefined`;
 * top-level fields that are undefined are not sent (no command field means undefined).
 */
export function encodeCommandBody(body: Document, options?: BsonSerializeOptions): Uint8Array {
  if (options?.ignoreUndefined !== false) return serialize(body);
  let defined = body;
  for (const k in body) {
    if (body[k] === undefined) {
      defined = {};
      for (const [key, v] of Object.entries(body)) if (v !== undefined) defined[key] = v;
      break;
    }
  }
  return serialize(defined, { ignoreUndefined: false });
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
    const document = deserialize(bytes.subarray(offset, offset + size), options) as Document;
    return { document, size };
  } catch (cause) {
    throw new MongoProtocolError(`invalid BSON: ${(cause as Error).message}`, DriverErrorCode.InvalidBSON, { cause });
  }
}
