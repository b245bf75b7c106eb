// `$where` as mongod 7.0 runs it: JavaScript predicates for find / count / distinct / update /
// delete / findAndModify, evaluated in a sandbox thread, so that a script that sleeps or
// loops never stops the server. The official driver is the client.
import { describe, expect, it } from 'vitest';
import { Code, Long, MongoClient, ObjectId, type Collection } from 'mongodb';
import { officialDriverOnSim, serverFailure } from './support/official-driver.js';
import { until } from './until.js';

const env = officialDriverOnSim();
let n = 0;

function fresh(): Collection {
  return env.client.db('where').collection(`c${++n}`);
}

/** The opid of the running command whose comment is `comment`, once it runs. */
async function opidOf(comment: string): Promise<number> {
  let opid: number | undefined;
  await until(
    async () => {
      const r = await env.client.db('admin').command({ currentOp: 1, 'command.comment': comment });
      opid = (r.inprog as Array<{ opid: number }>)[0]?.opid;
      return opid !== undefined;
    },
    20000,
    `the command with comment ${comment} to be running`,
  );
  return opid!;
}

describe('$where predicates', () => {
  it('strings, functions and BSON Code see the document as this and obj', async () => {
    const c = fresh();
    const oid = new ObjectId();
    await c.insertMany([{ _id: 1, a: 1, big: Long.fromString('9007199254740993') }, { _id: 2, a: 5, oid, at: new Date(0) }, { _id: 3, a: 9, tags: ['x', 'y'] }] as never[]);
    expect(await c.find({ $where: 'this.a > 4' }).toArray()).toMatchObject([{ _id: 2 }, { _id: 3 }]);
    expect(await c.find({ $where: 'function () { return obj.a === 1; }' }).toArray()).toMatchObject([{ _id: 1 }]);
    expect(await c.find({ $where: new Code('return this.tags && this.tags.length === 2;') } as never).toArray()).toMatchObject([{ _id: 3 }]);
    expect(await c.find({ $where: `this.oid instanceof ObjectId && this.oid.str === '${oid.toHexString()}' && this.at.getTime() === 0` }).toArray()).toMatchObject([{ _id: 2 }]);
    expect(await c.find({ $where: 'this.big instanceof NumberLong && this.big.str === "9007199254740993"' }).toArray()).toMatchObject([{ _id: 1 }]);
  });

  it('combines with other predicates and sits inside $and / $or / $nor', async () => {
    const c = fresh();
    await c.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }, { _id: 3, a: 3 }] as never[]);
    expect(await c.find({ a: { $gte: 2 }, $where: 'this.a !== 3' }).toArray()).toEqual([{ _id: 2, a: 2 }]);
    expect(await c.find({ $or: [{ a: 1 }, { $where: 'this.a === 3' }] }).toArray()).toEqual([{ _id: 1, a: 1 }, { _id: 3, a: 3 }]);
    expect(await c.find({ $nor: [{ $where: 'this.a === 2' }] }).toArray()).toEqual([{ _id: 1, a: 1 }, { _id: 3, a: 3 }]);
    expect(await c.find({ $and: [{ $where: 'this.a > 1' }, { $where: 'this.a < 3' }] }).toArray()).toEqual([{ _id: 2, a: 2 }]);
    expect(await c.find({ $where: 'this.a > 1' }).sort({ a: -1 }).limit(1).toArray()).toEqual([{ _id: 3, a: 3 }]);
  });

  it('count, distinct, update, delete and findAndModify take $where', async () => {
    const c = fresh();
    await c.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }, { _id: 3, a: 3 }] as never[]);
    // countDocuments is an aggregation ($match): refused there, as on mongod
    expect(await serverFailure(c.countDocuments({ $where: 'this.a >= 2' }))).toMatchObject({ code: 2 });
    expect(await c.db.command({ count: c.collectionName, query: { $where: 'this.a >= 2' } })).toMatchObject({ n: 2 });
    expect(await c.distinct('a', { $where: 'this.a !== 2' })).toEqual([1, 3]);
    expect(await c.updateMany({ $where: 'this.a >= 2' }, { $set: { b: true } })).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(await c.updateOne({ $where: 'this.a >= 2' }, { $inc: { a: 10 } })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await c.findOneAndUpdate({ $where: 'this.a === 3' }, { $set: { c: 1 } }, { returnDocument: 'after' })).toEqual({ _id: 3, a: 3, b: true, c: 1 });
    expect(await c.deleteOne({ $where: 'this.a > 10' })).toMatchObject({ deletedCount: 1 });
    expect(await c.find().toArray()).toEqual([{ _id: 1, a: 1 }, { _id: 3, a: 3, b: true, c: 1 }]);
  });

  it('the script runs sandboxed: no host process, require or globals of the server', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    // a function, so that the 'return' inside the strings does not make it a statement body
    const probe =
      "function () { return typeof process === 'undefined' && typeof require === 'undefined' && this.constructor.constructor('return typeof process')() === 'undefined' && sleep.constructor.constructor('return typeof process')() === 'undefined'; }";
    expect(await c.find({ $where: probe }).toArray()).toEqual([{ _id: 1 }]);
  });
});

describe('$where errors, as mongod 7.0 answers them', () => {
  it('parse errors: bad type, empty code, under a field, in $elemMatch (BadValue)', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1, a: [{ b: 1 }] } as never);
    expect(await serverFailure(c.find({ $where: 1 } as never).toArray())).toMatchObject({ code: 2, message: '$where got bad type' });
    expect(await serverFailure(c.find({ $where: '' }).toArray())).toMatchObject({ code: 2, message: 'code for $where cannot be empty' });
    expect(await serverFailure(c.find({ a: { $where: 'true' } } as never).toArray())).toMatchObject({ code: 2, message: '$where cannot be applied to a field' });
    expect(await serverFailure(c.find({ a: { $elemMatch: { $where: 'true' } } } as never).toArray())).toMatchObject({ code: 2 });
  });

  it('JavaScript that does not compile or throws is JSInterpreterFailure (139), even on an empty collection', async () => {
    const c = fresh();
    expect(await serverFailure(c.find({ $where: 'this.a ===' }).toArray())).toMatchObject({ code: 139, codeName: 'JSInterpreterFailure' });
    await c.insertOne({ _id: 1 } as never);
    const e = await serverFailure(c.find({ $where: 'noSuchFunction()' }).toArray());
    expect(e).toMatchObject({ code: 139 });
    expect(e.message).toContain('ReferenceError');
  });

  it('aggregation $match refuses $where at any depth (BadValue)', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    expect(await serverFailure(c.aggregate([{ $match: { $where: 'true' } }]).toArray())).toMatchObject({ code: 2, message: '$where is not allowed in this context' });
    const lookup = { $lookup: { from: c.collectionName, as: 'x', pipeline: [{ $match: { $or: [{ $where: 'true' }] } }] } };
    expect(await serverFailure(c.aggregate([lookup]).toArray())).toMatchObject({ code: 2, message: '$where is not allowed in this context' });
  });

  it('a bad $where in an update statement is that statement\'s write error', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    const r = await c.db.command({ update: c.collectionName, updates: [{ q: { $where: 'this.a ===' }, u: { $set: { b: 1 } } }] });
    expect(r).toMatchObject({ ok: 1, n: 0, writeErrors: [{ index: 0, code: 139 }] });
  });
});

describe('$where never stops the server', () => {
  it('while a $where sleeps, another connection is answered; killOp then ends the query (Interrupted)', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    let settled = false;
    const sleeping = c
      .find({ $where: 'sleep(600000) || true' }, { comment: 'sleeper' })
      .toArray()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
      .finally(() => {
        settled = true;
      });
    const opid = await opidOf('sleeper');
    // a second client: its own connection, its own handshake and ping
    const other = new MongoClient(env.sim.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      expect(await other.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
      expect(await other.db('where').collection(c.collectionName).countDocuments()).toBe(1);
    } finally {
      await other.close();
    }
    expect(settled).toBe(false);
    await env.client.db('admin').command({ killOp: 1, op: opid });
    expect(await sleeping).toMatchObject({ code: 11601, codeName: 'Interrupted' });
  });

  it('maxTimeMS ends a $where that sleeps or loops (MaxTimeMSExpired)', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    expect(await serverFailure(c.find({ $where: 'sleep(600000) || true' }).maxTimeMS(200).toArray())).toMatchObject({ code: 50 });
    expect(await serverFailure(c.find({ $where: 'while (true) {} return true' }).maxTimeMS(200).toArray())).toMatchObject({ code: 50 });
    expect(await serverFailure(c.updateOne({ $where: 'while (true) {} return true' }, { $set: { a: 1 } }, { maxTimeMS: 200 }))).toMatchObject({ code: 50 });
  });

  it('a client that closes its connection ends its running $where', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    const doomed = new MongoClient(env.sim.uri, { serverSelectionTimeoutMS: 5000 });
    const pending = doomed
      .db('where')
      .collection(c.collectionName)
      .find({ $where: 'while (true) {} return true' }, { comment: 'doomed' })
      .toArray()
      .catch(() => undefined);
    await opidOf('doomed');
    await doomed.close(true);
    await pending;
    await until(
      async () => {
        const r = await env.client.db('admin').command({ currentOp: 1, 'command.comment': 'doomed' });
        return (r.inprog as unknown[]).length === 0;
      },
      20000,
      'the closed connection\'s $where to end',
    );
  });

  it('a script that allocates without end fails its query, not the server', async () => {
    const c = fresh();
    await c.insertOne({ _id: 1 } as never);
    const e = await serverFailure(c.find({ $where: 'var a = []; while (true) a.push(new Array(100000).fill(a.length)); return true;' }).toArray());
    expect([146, 139]).toContain(e.code);
    expect(await env.client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});
