/**
 * bson-lite: a compact, platform-neutral BSON codec with the API of the `bson` package
 * (js-bson 7) that the driver and browser applications use. The web bundle aliases
 * `bson` to this module (scripts/web-bundle-options.mjs); Node builds keep `bson`.
 *
 * Same as js-bson 7.3.4 (checked by codec.test.ts / values.test.ts against it): the
 * bytes serialize() writes (number -> int32 or double, -0 a double, bigint -> int64,
 * undefined skipped in objects and null in arrays by default, Map, toBSON(), key
 * checks), deserialize()'s options and defaults (promoteLongs, promoteValues,
 * useBigInt64, promoteBuffers, bsonRegExp, validation.utf8 as a boolean, raw,
 * fieldsAsRaw), DBRef detection, and the value
 * classes' fields and `_bsontype`. Instances of the real `bson` classes serialize too.
 *
 * EJSON (canonical and relaxed, as js-bson's; no legacy mode) is in ejson.ts, outside
 * this index so the codec alone stays small; web.ts (the browser bundle's `bson`) adds
 * it as BSON.EJSON.
 *
 * Left out (to stay small): Decimal128.fromStringWithRounding, Long's short aliases
 * (eq, lt, sub, ...) and isOdd/isEven/isPositive, Timestamp.fromInt/fromNumber/fromBits/
 * fromString, Binary/UUID.createFromHexString (createFromBase64 is there),
 * DBRef.namespace, deserialize's index and allowObjectSmallerThanBufferSize (the
 * buffer must be exactly one document) and per-key validation.utf8 (refused with a
 * BSONError), Binary's put/write/read and vector helpers (vectors are not validated on
 * serialize), the inspect() method (values still print as js-bson's do in Node and Deno,
 * through their inspect symbols), deserializeStream, setInternalBufferSize.
 *
 * Deliberately different: binary data and raw documents come back as Uint8Array views
 * (never Buffer); malformed input is always a BSONError (never a RangeError/TypeError);
 * nesting deeper than the JS stack allows is a BSONError (js-bson is iterative); Long's
 * compare() across signedness compares the numbers; Decimal128 follows the spec where
 * js-bson 7.3.4 errs: a non-canonical coefficient (> 10^34-1) reads as zero, "+" and "-"
 * are not numbers, an exponent far below the digits is not silently clamped, and more
 * than 34 digits after leading zeros are read exactly.
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
