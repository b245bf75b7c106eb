/**
 * bson-lite: a compact, platform-neutral BSON codec with the API of the `bson` package
 * (js-bson 7) that the driver and browser applications use. The web bundle aliases
 * `bson` to this module (scripts/web-bundle-options.mjs); Node builds keep `bson`.
 */
import { calculateObjectSize, deserialize, serialize } from './codec.js';
import { Decimal128 } from './decimal128.js';
import { Long, Timestamp } from './long.js';
import { BSONError, BSONRegExp, BSONSymbol, BSONValue, Binary, Code, DBRef, Double, Int32, MaxKey, MinKey, ObjectId, UUID } from './values.js';

export { calculateObjectSize, deserialize, serialize } from './codec.js';
export type { CalculateObjectSizeOptions, DeserializeOptions, Document, SerializeOptions } from './codec.js';
export { Decimal128 } from './decimal128.js';
export { Long, Timestamp, type LongLike } from './long.js';
export { BSONError, BSONRegExp, BSONSymbol, BSONValue, Binary, Code, DBRef, Double, Int32, MaxKey, MinKey, ObjectId, UUID } from './values.js';

/** Everything above in one object, as the `bson` package's `BSON` namespace export. */
export const BSON = {
  serialize,
  deserialize,
  calculateObjectSize,
  BSONError,
  BSONRegExp,
  BSONSymbol,
  BSONValue,
  Binary,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
};
