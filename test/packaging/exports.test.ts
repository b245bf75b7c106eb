/**
 * Our user entries against the official `mongodb` 7 package (a devDependency): every
 * value it exports (classes, constants; read at runtime and by the compiler) and every
 * type in USER_TYPES (the types programs written for it commonly name) is exported by
 * '@mongo-edge/core', '@mongo-edge/core/node' and '@mongo-edge/web-client' (a value as a
 * value), or is listed in omissions.ts with its reason. A listed name we now export fails
 * too, so the list stays exactly the gap.
 */
import * as mongodb from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportedNames, type ModuleNames } from './names.js';
import { OMISSIONS } from './omissions.js';

const ENTRIES = ['@mongo-edge/core', '@mongo-edge/core/node', '@mongo-edge/web-client'] as const;

/** Types from the official driver's API that user programs name (its docs' examples). */
const USER_TYPES = [
  'Document', 'Filter', 'UpdateFilter', 'WithId', 'OptionalId', 'OptionalUnlessRequiredId', 'WithoutId', 'Sort', 'SortDirection',
  'FindOptions', 'UpdateOptions', 'DeleteOptions', 'InsertOneOptions', 'BulkWriteOptions', 'AggregateOptions', 'CountDocumentsOptions',
  'IndexSpecification', 'IndexDescription', 'CreateIndexesOptions', 'MongoClientOptions', 'InsertOneResult', 'InsertManyResult',
  'UpdateResult', 'DeleteResult', 'AnyBulkWriteOperation', 'FindOneAndUpdateOptions', 'FindOneAndDeleteOptions', 'FindOneAndReplaceOptions',
  'ModifyResult', 'ReplaceOptions', 'DistinctOptions', 'EstimatedDocumentCountOptions', 'ListCollectionsOptions', 'ListIndexesOptions',
  'CreateCollectionOptions', 'DropCollectionOptions', 'DbOptions', 'CollectionOptions', 'RunCommandOptions', 'CommandOperationOptions',
  'ClientSessionOptions', 'TransactionOptions', 'ReadPreferenceLike', 'ReadPreferenceMode', 'ReadConcernLike', 'WriteConcernSettings',
  'ServerApi', 'MatchKeysAndValues', 'Condition', 'RootFilterOperators', 'Hint', 'IndexDirection', 'CollectionInfo', 'ChangeStreamDocument',
  'ChangeStreamOptions', 'MongoClientEvents', 'CommandStartedEvent', 'CommandSucceededEvent', 'CommandFailedEvent', 'TopologyDescription',
  'ServerDescription', 'AuthMechanismProperties', 'MongoCredentials', 'Auth', 'TagSet',
];

/** The BSON names every entry must export (issue 13), whatever the official list says. */
const REQUIRED = ['ObjectId', 'Long', 'Decimal128', 'Binary', 'UUID', 'Timestamp', 'Double', 'Int32', 'MinKey', 'MaxKey', 'Code', 'BSONRegExp', 'BSONSymbol', 'DBRef', 'BSON', 'EJSON', 'ServerApiVersion'];

/** The omissions that apply to one entry: name → kind. */
function omittedFor(spec: string): Map<string, 'value' | 'type'> {
  const map = new Map<string, 'value' | 'type'>();
  for (const o of OMISSIONS) if (o.entries === undefined || o.entries.includes(spec)) for (const n of o.names) map.set(n, o.kind);
  return map;
}

describe('exports compared with mongodb 7', () => {
  let names: Map<string, ModuleNames>;
  let official: ModuleNames;
  const runtime: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    names = exportedNames(['mongodb', ...ENTRIES]);
    // Its declarations also declare classes it exports as types only (`Batch`,
    // `ServerDescription`, …): the values are what the module really exports.
    const declared = names.get('mongodb')!;
    const atRuntime = new Set(Object.keys(mongodb).filter((n) => n !== 'default' && n !== '__esModule'));
    official = {
      values: new Set([...declared.values].filter((n) => atRuntime.has(n))),
      types: new Set([...declared.types, ...[...declared.values].filter((n) => !atRuntime.has(n))]),
    };
    for (const spec of ENTRIES) runtime[spec] = (await import(spec)) as Record<string, unknown>;
  }, 300_000);

  it('the official list is read (its public values: exported at runtime and declared)', () => {
    // A few runtime exports are undeclared (internal: ChangeStreamCursor, SrvPollingEvent, …).
    expect(official.values.size).toBeGreaterThan(100);
    for (const n of ['MongoClient', 'ObjectId', 'ServerApiVersion', 'GridFSBucket', 'CommandStartedEvent']) expect(official.values.has(n), n).toBe(true);
  });

  it('every omission names something mongodb exports, once, of the kind it says', () => {
    const all = OMISSIONS.flatMap((o) => o.names);
    expect(all.length).toBe(new Set(all).size);
    for (const o of OMISSIONS) {
      expect(o.reason.length, o.names.join()).toBeGreaterThan(10);
      for (const e of o.entries ?? []) expect(ENTRIES as readonly string[], e).toContain(e);
      for (const n of o.names) {
        if (o.kind === 'value') expect(official.values.has(n), n).toBe(true);
        else expect(USER_TYPES.includes(n), n).toBe(true);
      }
    }
    for (const n of USER_TYPES) expect(official.values.has(n) || official.types.has(n), n).toBe(true);
  });

  for (const spec of ENTRIES) {
    const omitted = omittedFor(spec);
    it(`${spec}: every mongodb value is exported as a value, or omitted with a reason`, () => {
      const ours = names.get(spec)!;
      const missing = [...official.values].filter((n) => !ours.values.has(n) && omitted.get(n) !== 'value');
      expect(missing).toEqual([]);
      // and really at runtime
      const absent = [...official.values].filter((n) => ours.values.has(n) && runtime[spec]![n] === undefined);
      expect(absent).toEqual([]);
    });

    it(`${spec}: every common mongodb type is exported, or omitted with a reason`, () => {
      const ours = names.get(spec)!;
      expect(USER_TYPES.filter((n) => !ours.values.has(n) && !ours.types.has(n) && omitted.get(n) !== 'type')).toEqual([]);
    });

    it(`${spec}: no omission is stale (a name we now export is removed from omissions.ts)`, () => {
      const ours = names.get(spec)!;
      const stale = [...omitted].filter(([n, kind]) => (kind === 'value' ? ours.values.has(n) : ours.values.has(n) || ours.types.has(n)));
      expect(stale.map(([n]) => n)).toEqual([]);
    });

    it(`${spec}: the BSON classes, BSON, EJSON and ServerApiVersion`, () => {
      expect(REQUIRED.filter((n) => runtime[spec]![n] === undefined)).toEqual([]);
      const m = runtime[spec] as { ServerApiVersion: { v1: string }; ObjectId: new () => { toHexString(): string }; BSON: { EJSON?: unknown }; EJSON: unknown };
      expect(m.ServerApiVersion.v1).toBe(mongodb.ServerApiVersion.v1);
      expect(m.BSON.EJSON).toBe(m.EJSON);
      expect(new m.ObjectId().toHexString()).toMatch(/^[0-9a-f]{24}$/);
    });
  }
});
