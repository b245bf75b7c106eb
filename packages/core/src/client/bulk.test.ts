/**
 * Bulk write batching (bulk.ts): each statement encoded once, batches split by encoded
 * length at exactly the limits, the too-large and cannot-encode errors, and a
 * differential test: the OP_MSG bytes of every batch equal what the earlier path
 * (measure with calculateObjectSize, then encode every document again into the message)
 * produced, on seeded random documents.
 */
import { BSON, Binary, Decimal128, Long, ObjectId } from 'bson';
import { afterEach, describe, expect, it } from 'vitest';
import { DriverErrorCode, MongoDriverError, MongoInvalidArgumentError, type Document } from '../errors.js';
import type { WireLimits } from '../operation/executor.js';
import { concatChunks, decodeOpMsg, encodeOpMsg, MESSAGE_HEADER_SIZE, OP_MSG, writeHeader } from '../wire/index.js';
import { registerSectionBufferFactory, type SectionBufferFactory } from '../wire/section-buffer.js';
import { sectionWriterFactory } from '../wire/section-writer.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { makeBatches, MESSAGE_OVERHEAD_BYTES, toInsertStatements, toStatements, type AnyBulkWriteOperation, type Batch, type Statement } from './bulk.js';

const LIMITS: WireLimits = { maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 48_000_000, maxWriteBatchSize: 100_000 };
const SEQUENCE = { insert: 'documents', update: 'updates', delete: 'deletes' } as const;

const inserts = (docs: Document[]): Statement[] => docs.map((doc, index) => ({ type: 'insert', index, doc, multi: false }));
/** A document of exactly `size` BSON bytes: {_id: i, s: 'x'.repeat(...)}. */
const sized = (i: number, size: number): Document => {
  const doc = { _id: i, s: '' };
  doc.s = 'x'.repeat(size - BSON.calculateObjectSize(doc));
  expect(BSON.calculateObjectSize(doc)).toBe(size);
  return doc;
};
const counts = (batches: Batch[]) => batches.map((b) => b.statements.length);

/** The OP_MSG the earlier path sent: the body, then per sequence a prefix and every document encoded on its own. */
function oldOpMsg(requestId: number, body: Document, sequences: Record<string, readonly Document[]>): Uint8Array {
  const head = new Uint8Array(MESSAGE_HEADER_SIZE + 5);
  const chunks: Uint8Array[] = [head, BSON.serialize(body)];
  for (const [identifier, docs] of Object.entries(sequences)) {
    const id = new TextEncoder().encode(identifier);
    const encoded = docs.map((d) => BSON.serialize(d));
    const prefix = new Uint8Array(6 + id.byteLength);
    prefix[0] = 1;
    new DataView(prefix.buffer).setInt32(1, prefix.byteLength - 1 + encoded.reduce((n, e) => n + e.byteLength, 0), true);
    prefix.set(id, 5);
    chunks.push(prefix, ...encoded);
  }
  const length = chunks.reduce((n, c) => n + c.byteLength, 0);
  writeHeader(head, { messageLength: length, requestId, responseTo: 0, opCode: OP_MSG });
  return concatChunks(chunks);
}

/** The earlier batching: calculateObjectSize per statement, the same limits. */
function oldBatchCounts(statements: readonly Statement[], ordered: boolean, limits: WireLimits): number[] {
  const maxBytes = Math.max(1, limits.maxMessageSizeBytes - MESSAGE_OVERHEAD_BYTES);
  const groups: Statement[][] = [];
  if (ordered) {
    for (const st of statements) {
      const last = groups[groups.length - 1];
      if (last && last[0]!.type === st.type) last.push(st);
      else groups.push([st]);
    }
  } else {
    for (const type of ['insert', 'update', 'delete'] as const) {
      const g = statements.filter((s) => s.type === type);
      if (g.length > 0) groups.push(g);
    }
  }
  const out: number[] = [];
  for (const group of groups) {
    let n = 0;
    let bytes = 0;
    for (const st of group) {
      const size = BSON.calculateObjectSize(st.doc);
      if (n > 0 && (n >= limits.maxWriteBatchSize || bytes + size > maxBytes)) {
        out.push(n);
        n = 0;
        bytes = 0;
      }
      n++;
      bytes += size;
    }
    out.push(n);
  }
  return out;
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = Math.floor(r() * (depth > 2 ? 10 : 13));
  const text = () => Array.from({ length: Math.floor(r() * 12) }, () => 'aé€😀 z'[Math.floor(r() * 6)]).join('');
  switch (pick) {
    case 0:
      return Math.floor(r() * 2 ** 31) - 2 ** 30;
    case 1:
      return r() * 1e6 - 5e5;
    case 2:
      return text();
    case 3:
      return r() < 0.5;
    case 4:
      return null;
    case 5:
      return new ObjectId(Array.from({ length: 24 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join(''));
    case 6:
      return new Date(Math.floor(r() * 2e12));
    case 7:
      return Long.fromNumber(Math.floor(r() * 2 ** 52));
    case 8:
      return new Binary(Uint8Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 256)));
    case 9:
      return Decimal128.fromString(`${Math.floor(r() * 1e6)}.${Math.floor(r() * 100)}`);
    case 10:
      return undefined;
    case 11:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default:
      return randomDoc(r, depth + 1);
  }
}

function randomDoc(r: () => number, depth = 0): Document {
  const doc: Document = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) doc[`k${i}${'é'.repeat(Math.floor(r() * 2))}`] = randomValue(r, depth);
  return doc;
}

function randomOperation(r: () => number): AnyBulkWriteOperation {
  const x = r();
  if (x < 0.5) return { insertOne: { document: randomDoc(r) } };
  if (x < 0.7) return { updateOne: { filter: randomDoc(r), update: { $set: randomDoc(r) }, upsert: r() < 0.5 } };
  if (x < 0.8) return { replaceOne: { filter: randomDoc(r), replacement: randomDoc(r) } };
  if (x < 0.9) return { deleteMany: { filter: randomDoc(r) } };
  return { deleteOne: { filter: randomDoc(r) } };
}

describe('makeBatches', () => {
  it('splits at exactly maxWriteBatchSize', () => {
    const limits = { ...LIMITS, maxWriteBatchSize: 3 };
    expect(counts(makeBatches(inserts([{}, {}, {}]), true, limits))).toEqual([3]);
    expect(counts(makeBatches(inserts([{}, {}, {}, {}]), true, limits))).toEqual([3, 1]);
    expect(counts(makeBatches(inserts(Array.from({ length: 7 }, () => ({}))), false, limits))).toEqual([3, 3, 1]);
  });

  it('splits at exactly maxMessageSizeBytes less the command overhead, by encoded length', () => {
    const docs = [sized(1, 1000), sized(2, 1000), sized(3, 1000), sized(4, 1000), sized(5, 1000)];
    const at = (room: number) => counts(makeBatches(inserts(docs), true, { ...LIMITS, maxMessageSizeBytes: MESSAGE_OVERHEAD_BYTES + room }));
    expect(at(2000)).toEqual([2, 2, 1]);
    expect(at(1999)).toEqual([1, 1, 1, 1, 1]);
    expect(at(3000)).toEqual([3, 2]);
    expect(at(2999)).toEqual([2, 2, 1]);
    expect(at(5000)).toEqual([5]);
    // a statement larger than the room still goes, alone
    expect(at(999)).toEqual([1, 1, 1, 1, 1]);
  });

  it('refuses an insert over maxBsonObjectSize (exactly at the limit passes), with the typed error and message', () => {
    const limits = { ...LIMITS, maxBsonObjectSize: 1000 };
    expect(counts(makeBatches(inserts([sized(1, 1000)]), true, limits))).toEqual([1]);
    const err = (() => {
      try {
        makeBatches(inserts([sized(1, 30), sized(2, 1001)]), true, limits);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MongoInvalidArgumentError);
    expect((err as Error).message).toBe('Document is larger than the maximum size 1000');
    // updates and deletes are not measured against maxBsonObjectSize
    const update: Statement = { type: 'update', index: 0, doc: { q: {}, u: { $set: { s: 'x'.repeat(2000) } } }, multi: false };
    expect(counts(makeBatches([update], true, limits))).toEqual([1]);
  });

  it('refuses documents past the encoder buffer (17 MiB) as too large, whether the encoder throws or truncates', () => {
    const oneString = { s: 'x'.repeat(18 * 1024 * 1024) };
    const manyStrings = { a: Array.from({ length: 18 }, () => 'y'.repeat(1024 * 1024)) };
    for (const doc of [oneString, manyStrings]) {
      expect(() => makeBatches(inserts([doc]), true, LIMITS)).toThrow('Document is larger than the maximum size 16777216');
    }
  });

  it('reports a document that cannot be encoded as MongoDriverError InvalidBSON, before anything is sent', () => {
    const cyclic: Document = { a: 1 };
    cyclic.self = cyclic;
    for (const doc of [{ 'a\0b': 1 }, cyclic]) {
      const err = (() => {
        try {
          makeBatches(inserts([{ ok: 1 }, doc]), true, LIMITS);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(MongoDriverError);
      expect((err as MongoDriverError).code).toBe(DriverErrorCode.InvalidBSON);
      expect((err as Error).message).toMatch(/^cannot encode insert: /);
    }
  });

  it('keeps the ids assigned before encoding, and the batches hold the very documents given', () => {
    const docs: Document[] = [{ a: 1 }, { a: 2, _id: 'mine' }];
    const statements = toStatements(docs.map((document) => ({ insertOne: { document } })));
    const [batch] = makeBatches(statements, true, LIMITS);
    expect(batch!.documents[0]).toBe(docs[0]);
    expect(docs[0]!._id).toBeInstanceOf(ObjectId);
    const sent = decodeOpMsg(concatChunks(encodeOpMsg({ requestId: 1, body: { insert: 'c' }, sequences: { documents: batch!.documents } })));
    const [first, second] = sent.sequences.documents!;
    expect(second).toEqual({ a: 2, _id: 'mine' });
    expect((first!._id as ObjectId).equals(docs[0]!._id as ObjectId)).toBe(true);
  });

  it("insertMany's statements are bulkWrite's insertOne statements, errors included", () => {
    const given = (): unknown[] => [{ a: 1 }, { _id: null, a: 2 }, { _id: undefined }, { _id: 0 }, { _id: 'x', b: [1] }];
    const viaModels = toStatements(given().map((document) => ({ insertOne: { document } })) as AnyBulkWriteOperation[]);
    const direct = toInsertStatements(given());
    const shape = (sts: Statement[]) => sts.map((s) => ({ ...s, doc: { ...s.doc, _id: s.doc._id instanceof ObjectId ? 'ObjectId' : s.doc._id } }));
    expect(shape(direct)).toEqual(shape(viaModels));
    expect(shape(direct).map((s) => s.doc._id)).toEqual(['ObjectId', null, 'ObjectId', 0, 'x']);
    expect(toInsertStatements(given(), true).map((s) => s.doc._id)).toEqual([undefined, null, undefined, 0, 'x']);
    for (const bad of [null, undefined, 5, 'doc', [1]]) {
      const viaError = (() => { try { toStatements([{ insertOne: { document: bad } }] as AnyBulkWriteOperation[]); } catch (e) { return e; } })();
      expect(viaError).toBeInstanceOf(Error);
      expect(() => toInsertStatements([{}, bad])).toThrow(viaError as Error);
    }
  });

  afterEach(() => registerSectionBufferFactory(undefined));
  it.each<{ path: string; factory: SectionBufferFactory | undefined }>([
    { path: 'generic (web)', factory: undefined },
    { path: 'in-place section writer (Node)', factory: sectionWriterFactory },
  ])('differential, $path section buffer: on seeded random statements, the same batches and the same OP_MSG bytes as the earlier path', ({ factory }) => {
    registerSectionBufferFactory(factory);
    const r = seededRandom(190519);
    for (let round = 0; round < 60; round++) {
      const operations = Array.from({ length: 1 + Math.floor(r() * 40) }, () => randomOperation(r));
      const statements = toStatements(operations);
      const ordered = r() < 0.5;
      const limits: WireLimits = {
        maxBsonObjectSize: LIMITS.maxBsonObjectSize,
        maxMessageSizeBytes: MESSAGE_OVERHEAD_BYTES + 1 + Math.floor(r() * 600),
        maxWriteBatchSize: 1 + Math.floor(r() * 8),
      };
      const batches = makeBatches(statements, ordered, limits);
      expect(counts(batches)).toEqual(oldBatchCounts(statements, ordered, limits));
      // every statement once, in the order the batches send them
      const sentOrder = batches.flatMap((b) => b.statements.map((s) => s.index));
      const expectedOrder = ordered ? statements.map((s) => s.index) : (['insert', 'update', 'delete'] as const).flatMap((t) => statements.filter((s) => s.type === t).map((s) => s.index));
      expect(sentOrder).toEqual(expectedOrder);
      for (const batch of batches) {
        expect(batch.documents).toEqual(batch.statements.map((s) => s.doc));
        const body = { [batch.type]: 'coll', ordered, $db: 'db' };
        const sequences = { [SEQUENCE[batch.type]]: batch.documents };
        const now = concatChunks(encodeOpMsg({ requestId: round + 1, body, sequences }));
        expect(Buffer.from(now).equals(Buffer.from(oldOpMsg(round + 1, body, sequences)))).toBe(true);
      }
    }
  });
});
