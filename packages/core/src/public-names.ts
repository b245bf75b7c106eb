/**
 * Names a `mongodb` 7 program imports from the driver that are not the driver's own
 * classes: the BSON value classes, the `BSON` namespace and `EJSON`, and the constants
 * its option objects take. Every entry re-exports this module through index.ts
 * ('@mongo-edge/core', '@mongo-edge/core/node', '@mongo-edge/web-client', …).
 *
 * On Node `bson` is the npm package (a dependency of the core); the browser bundle
 * aliases it to bson-lite (scripts/web-bundle-options.mjs), so every name here must exist
 * in packages/core/src/bson-lite/web.ts too: packages/web-client/tsconfig.json, which
 * resolves `bson` the same way, fails to compile otherwise.
 */
export {
  BSON,
  BSONError,
  BSONRegExp,
  BSONSymbol,
  Binary,
  Code,
  DBRef,
  Decimal128,
  Double,
  EJSON,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from 'bson';

/**
 * The Stable API versions `serverApi` accepts (`new MongoClient(uri, { serverApi:
 * { version: ServerApiVersion.v1, strict: true } })`, as Atlas's connection snippet writes it).
 */
export const ServerApiVersion = Object.freeze({ v1: '1' } as const);
export type ServerApiVersion = (typeof ServerApiVersion)[keyof typeof ServerApiVersion];
