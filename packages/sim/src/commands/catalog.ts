/** Databases, collections and indexes: create / drop / list / stats / rename. */
import { Long, UUID } from 'bson';
import { Query } from 'mingo';
import { registerCommands, type CommandContext } from '../dispatcher.js';
import { CommandError, ErrorCode } from '../errors.js';
import { isIndexSpec, type IndexSpec } from '../storage/engine.js';
import { formatDoc, isPlainObject, keyOf, toViewDoc, type Doc } from '../storage/values.js';
import { Collation } from '../collation.js';
import { collectionInfo, createOptions, indexEntries } from '../collection-options.js';
import { collName } from './crud.js';
import { isTextIndex, normalizeTextIndex, requestsText } from '../text.js';
import { refuseView, viewCycle } from './views.js';
import { dataSize, storageStats } from '../storage/stats.js';

const SYSTEM_DBS: ReadonlyArray<{ name: string; sizeOnDisk: number }> = [
  { name: 'admin', sizeOnDisk: 40960 },
  { name: 'config', sizeOnDisk: 12288 },
  { name: 'local', sizeOnDisk: 40960 },
];


function filterDocs(docs: Doc[], filter: unknown): Doc[] {
  if (!isPlainObject(filter) || Object.keys(filter).length === 0) return docs;
  const q = new Query(toViewDoc(filter), {});
  return docs.filter((d) => q.test(toViewDoc(d)));
}

function create(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const engine = ctx.node.engine;
  const options = createOptions(ctx.body, (n) => engine.getCollection(ctx.db, n));
  if (typeof options.viewOn === 'string' && viewCycle(ctx, ctx.db, name, options.viewOn)) {
    throw new CommandError(5, `View cycle detected: ${ctx.db}.${name} => ${ctx.db}.${options.viewOn}`);
  }
  const existing = engine.getCollection(ctx.db, name);
  if (existing) {
    // mongod 7.0: creating an existing collection with the same options succeeds.
    if (keyOf(toViewDoc(existing.options)) === keyOf(toViewDoc(options))) return {};
    throw new CommandError(ErrorCode.NamespaceExists, `Collection ${ctx.db}.${name} already exists.`);
  }
  engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, ui: new UUID(), o: { create: name, ...options } });
  return {};
}

function drop(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const c = ctx.node.engine.getCollection(ctx.db, name);
  // mongod 7.0: dropping a collection that does not exist succeeds (SERVER-43894).
  if (!c) return {};
  const nIndexesWas = c.indexes.length;
  ctx.node.engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, ui: c.uuid, o: { drop: name } });
  return { nIndexesWas, ns: c.ns };
}

function dropDatabase(ctx: CommandContext): Doc {
  const engine = ctx.node.engine;
  const colls = engine.collections(ctx.db);
  if (colls.length === 0) return { dropped: ctx.db };
  // as mongod logs it: a drop per collection, then the database (change streams see both)
  for (const c of colls) if (!c.name.startsWith('system.')) engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, ui: c.uuid, o: { drop: c.name } });
  engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, o: { dropDatabase: 1 } });
  return { dropped: ctx.db };
}

function listDatabases(ctx: CommandContext): Doc {
  const engine = ctx.node.engine;
  const entries: Doc[] = [];
  const names = new Set(engine.databaseNames());
  for (const s of SYSTEM_DBS) if (!names.has(s.name)) entries.push({ name: s.name, sizeOnDisk: s.sizeOnDisk, empty: false });
  for (const name of names) {
    let size = 0;
    for (const c of engine.collections(name)) size += 4096 + dataSize(c) + 4096 * c.indexes.length;
    entries.push({ name, sizeOnDisk: size, empty: false });
  }
  entries.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  let out = filterDocs(entries, ctx.body.filter);
  const totalSize = out.reduce((s, e) => s + (e.sizeOnDisk as number), 0);
  if (ctx.args.nameOnly === true) {
    out = out.map((e) => ({ name: e.name }));
    return { databases: out };
  }
  return { databases: out, totalSize, totalSizeMb: Math.floor(totalSize / 1048576) };
}

function listCollections(ctx: CommandContext): Doc {
  let docs = ctx.node.engine.collections(ctx.db).map(collectionInfo);
  docs = filterDocs(docs, ctx.body.filter);
  if (ctx.args.nameOnly === true) docs = docs.map((d) => ({ name: d.name, type: d.type }));
  const ns = `${ctx.db}.$cmd.listCollections`;
  const batchSize = isPlainObject(ctx.args.cursor) && typeof ctx.args.cursor.batchSize === 'number' ? ctx.args.cursor.batchSize : undefined;
  const { id, batch } = ctx.node.cursors.open(ns, docs, { batchSize, connectionId: ctx.conn.id });
  return { cursor: { id, ns, firstBatch: batch } };
}

function indexName(key: Doc): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${String(v)}`)
    .join('_');
}

function sameKey(a: Doc, b: Doc): boolean {
  return keyOf(toViewDoc(a)) === keyOf(toViewDoc(b));
}

function createIndexes(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const raw = ctx.body.indexes;
  if (!Array.isArray(raw) || raw.length === 0) throw new CommandError(ErrorCode.BadValue, 'Must specify at least one index to create');
  const engine = ctx.node.engine;
  refuseView(ctx, ctx.db, name);
  const specs: IndexSpec[] = raw.map((r: unknown) => {
    if (!isPlainObject(r) || !isPlainObject(r.key) || Object.keys(r.key).length === 0) {
      throw new CommandError(ErrorCode.CannotCreateIndex, `Error in specification ${isPlainObject(r) ? formatDoc(r) : String(r)} :: caused by :: The 'key' field is a required property of an index specification`);
    }
    const view = toViewDoc(r);
    if (requestsText(view.key as Doc)) return normalizeTextIndex(r, typeof r.name === 'string' ? r.name : undefined);
    const spec: IndexSpec = { v: 2, key: r.key as Doc, name: typeof r.name === 'string' ? r.name : indexName(view.key as Doc) };
    for (const [k, v] of Object.entries(r)) if (k !== 'key' && k !== 'name' && k !== 'v' && k !== 'background') spec[k] = v;
    if (view.unique === true) spec.unique = true;
    else delete spec.unique;
    const collation = r.collation ?? engine.getCollection(ctx.db, name)?.options.collation;
    if (collation !== undefined) {
      const coll = Collation.parse(toViewDoc({ c: collation }).c);
      if (coll) spec.collation = coll.toDoc();
      else delete spec.collation;
    }
    return spec;
  });
  const created = engine.ensureCollection(ctx.db, name);
  const c = engine.getCollection(ctx.db, name)!;
  const before = c.indexes.length;
  for (const spec of specs) {
    const sameName = c.indexes.find((i) => i.name === spec.name);
    if (sameName) {
      if (sameKey(sameName.key, spec.key) && Boolean(sameName.unique) === Boolean(spec.unique)) continue;
      if (sameKey(sameName.key, spec.key)) {
        throw new CommandError(ErrorCode.IndexOptionsConflict, `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatDoc(spec)}, existing index: ${formatDoc(sameName)}`);
      }
      throw new CommandError(ErrorCode.IndexKeySpecsConflict, `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatDoc(spec)}, existing index: ${formatDoc(sameName)}`);
    }
    const otherText = isTextIndex(spec) ? c.indexes.find((i) => isTextIndex(i) && i.name !== spec.name) : undefined;
    if (otherText) {
      throw new CommandError(ErrorCode.IndexOptionsConflict, `An equivalent index already exists with a different name and options. Requested index: ${formatDoc(spec)}, existing index: ${formatDoc(otherText)}`);
    }
    const sameKeyIdx = c.indexes.find((i) => sameKey(i.key, spec.key) && keyOf(toViewDoc(i.partialFilterExpression as Doc ?? {})) === keyOf(toViewDoc(spec.partialFilterExpression as Doc ?? {})));
    if (sameKeyIdx) throw new CommandError(ErrorCode.IndexOptionsConflict, `Index already exists with a different name: ${sameKeyIdx.name}`);
    engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, o: { createIndexes: name, spec } });
  }
  const after = c.indexes.length;
  const reply: Doc = { numIndexesBefore: before, numIndexesAfter: after };
  if (after === before) reply.note = 'all indexes already exist';
  reply.createdCollectionAutomatically = created;
  return reply;
}

function listIndexes(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const c = ctx.node.engine.getCollection(ctx.db, name);
  if (!c) throw new CommandError(ErrorCode.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
  refuseView(ctx, ctx.db, name);
  const ns = `${ctx.db}.${name}`;
  const batchSize = isPlainObject(ctx.args.cursor) && typeof ctx.args.cursor.batchSize === 'number' ? ctx.args.cursor.batchSize : undefined;
  const { id, batch } = ctx.node.cursors.open(ns, indexEntries(c), { batchSize, connectionId: ctx.conn.id });
  return { cursor: { id, ns, firstBatch: batch } };
}

function dropIndexes(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const c = ctx.node.engine.getCollection(ctx.db, name);
  if (!c) throw new CommandError(ErrorCode.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
  refuseView(ctx, ctx.db, name);
  const nIndexesWas = c.indexes.length;
  const index = ctx.body.index;
  const drop = (n: string): void => ctx.node.engine.write({ op: 'c', ns: `${ctx.db}.$cmd`, o: { dropIndexes: name, index: n } });
  if (index === '*') {
    for (const i of c.indexes.filter((x) => x.name !== '_id_')) drop(i.name);
    return { nIndexesWas, msg: 'non-_id indexes dropped for collection' };
  }
  const names: string[] = [];
  if (typeof index === 'string') names.push(index);
  else if (Array.isArray(index)) names.push(...index.map(String));
  else if (isPlainObject(index)) {
    const found = c.indexes.filter((i) => sameKey(i.key, index));
    if (found.length === 0) throw new CommandError(ErrorCode.IndexNotFound, `can't find index with key: ${formatDoc(index)}`);
    if (found[0]!.name === '_id_') throw new CommandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
    names.push(found[0]!.name);
  } else throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'dropIndexes.index' is the wrong type, expected types '[string, object, array]'");
  for (const n of names) {
    if (n === '_id_') throw new CommandError(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!c.indexes.some((i) => i.name === n)) throw new CommandError(ErrorCode.IndexNotFound, `index not found with name [${n}]`);
  }
  for (const n of names) drop(n);
  return { nIndexesWas };
}

function collStats(ctx: CommandContext): Doc {
  const name = collName(ctx);
  const c = ctx.node.engine.getCollection(ctx.db, name);
  const ns = `${ctx.db}.${name}`;
  if (!c) throw new CommandError(ErrorCode.NamespaceNotFound, `Collection [${ns}] not found.`);
  return { ns, ...storageStats(c) };
}

function dbStats(ctx: CommandContext): Doc {
  const colls = ctx.node.engine.collections(ctx.db);
  let objects = 0;
  let size = 0;
  let indexes = 0;
  for (const c of colls) {
    objects += c.docs.size;
    size += dataSize(c);
    indexes += c.indexes.length;
  }
  return {
    db: ctx.db,
    collections: Long.fromNumber(colls.length),
    views: Long.fromNumber(0),
    objects: Long.fromNumber(objects),
    avgObjSize: objects ? size / objects : 0,
    dataSize: size,
    storageSize: size + 4096 * colls.length,
    indexes: Long.fromNumber(indexes),
    indexSize: 4096 * indexes,
    totalSize: size + 4096 * colls.length + 4096 * indexes,
    scaleFactor: Long.fromNumber(1),
    fsUsedSize: 0,
    fsTotalSize: 0,
  };
}

function renameCollection(ctx: CommandContext): Doc {
  const from = ctx.args.renameCollection;
  const to = ctx.args.to;
  if (typeof from !== 'string' || typeof to !== 'string') throw new CommandError(ErrorCode.TypeMismatch, "'renameCollection' and 'to' must be strings");
  const split = (ns: string): [string, string] => {
    const i = ns.indexOf('.');
    if (i <= 0 || i === ns.length - 1) throw new CommandError(ErrorCode.InvalidNamespace, `Invalid namespace specified '${ns}'`);
    return [ns.slice(0, i), ns.slice(i + 1)];
  };
  const [fdb, fcoll] = split(from);
  const [tdb, tcoll] = split(to);
  const engine = ctx.node.engine;
  if (!engine.getCollection(fdb, fcoll)) throw new CommandError(ErrorCode.NamespaceNotFound, `Source collection ${from} does not exist`);
  if (from === to) throw new CommandError(ErrorCode.IllegalOperation, "Can't rename a collection to itself");
  if (engine.getCollection(tdb, tcoll) && ctx.args.dropTarget !== true) throw new CommandError(ErrorCode.NamespaceExists, 'target namespace exists');
  engine.write({ op: 'c', ns: `${fdb}.$cmd`, o: { renameCollection: from, to, dropTarget: ctx.args.dropTarget === true } });
  return {};
}

registerCommands({
  create: { handler: create, write: true },
  drop: { handler: drop, write: true },
  dropDatabase: { handler: dropDatabase, write: true },
  listDatabases: { handler: listDatabases, adminOnly: true, secondary: 'optIn' },
  listCollections: { handler: listCollections, secondary: 'optIn' },
  createIndexes: { handler: createIndexes, write: true },
  listIndexes: { handler: listIndexes, secondary: 'optIn' },
  dropIndexes: { handler: dropIndexes, write: true },
  deleteIndexes: { handler: dropIndexes, write: true },
  collStats: { handler: collStats, secondary: 'optIn' },
  dbStats: { handler: dbStats, secondary: 'optIn' },
  dbstats: { handler: dbStats, secondary: 'optIn' },
  renameCollection: { handler: renameCollection, write: true, adminOnly: true },
});

export { isIndexSpec };
