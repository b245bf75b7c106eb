import { describe, expect, it } from 'vitest';
import { applyOplogEntry, UnknownOplogOpError, UNKNOWN_OPLOG_OP_CODE } from '../../src/repl/oplog-apply.js';
import { CommandError } from '../../src/errors.js';
import { StorageEngine } from '../../src/storage/engine.js';
import { keyOf, type Doc } from '../../src/storage/values.js';

function engineWith(docs: Doc[] = []): StorageEngine {
  const e = new StorageEngine();
  e.ensureCollection('app', 'c');
  for (const d of docs) e.write({ op: 'i', ns: 'app.c', o: d });
  return e;
}

function contents(e: StorageEngine): Doc[] {
  return [...(e.getCollection('app', 'c')?.docs.values() ?? [])].map((d) => d.doc);
}

describe('applying oplog entries', () => {
  const rows: Array<{ name: string; before: Doc[]; entry: Doc; after: Doc[] }> = [
    { name: 'i inserts', before: [], entry: { op: 'i', ns: 'app.c', o: { _id: 1, a: 1 } }, after: [{ _id: 1, a: 1 }] },
    { name: 'i of an existing _id replaces it (idempotent)', before: [{ _id: 1, a: 1 }], entry: { op: 'i', ns: 'app.c', o: { _id: 1, a: 2 } }, after: [{ _id: 1, a: 2 }] },
    { name: 'u replaces with the post-image', before: [{ _id: 1, a: 1 }], entry: { op: 'u', ns: 'app.c', o2: { _id: 1 }, o: { _id: 1, a: 5 } }, after: [{ _id: 1, a: 5 }] },
    { name: 'u of a missing document inserts it (idempotent)', before: [], entry: { op: 'u', ns: 'app.c', o2: { _id: 2 }, o: { _id: 2, b: 1 } }, after: [{ _id: 2, b: 1 }] },
    { name: 'd deletes', before: [{ _id: 1 }, { _id: 2 }], entry: { op: 'd', ns: 'app.c', o: { _id: 1 } }, after: [{ _id: 2 }] },
    { name: 'd of a missing document is nothing', before: [{ _id: 2 }], entry: { op: 'd', ns: 'app.c', o: { _id: 1 } }, after: [{ _id: 2 }] },
    { name: 'n changes no data', before: [{ _id: 2 }], entry: { op: 'n', ns: '', o: { msg: 'periodic noop' } }, after: [{ _id: 2 }] },
  ];
  it.each(rows)('$name', ({ before, entry, after }) => {
    const e = engineWith(before);
    const logged: string[] = [];
    applyOplogEntry(e, entry, (_id, msg) => logged.push(msg));
    expect(contents(e)).toEqual(after);
    expect(logged).toEqual([]);
  });

  it('c runs the command (create, drop)', () => {
    const e = engineWith();
    applyOplogEntry(e, { op: 'c', ns: 'app.$cmd', o: { create: 'other' } }, () => undefined);
    expect(e.getCollection('app', 'other')).toBeDefined();
    applyOplogEntry(e, { op: 'c', ns: 'app.$cmd', o: { drop: 'other' } }, () => undefined);
    expect(e.getCollection('app', 'other')).toBeUndefined();
  });

  it('a command that fails (create of an existing collection) is logged and skipped', () => {
    const e = engineWith();
    const logged: string[] = [];
    applyOplogEntry(e, { op: 'c', ns: 'app.$cmd', o: { create: 'c' } }, (_id, msg) => logged.push(msg)); // exists already
    expect(logged).toEqual(['Ignoring error applying a command entry']);
  });

  it('an insert into a collection that does not exist yet creates it', () => {
    const e = new StorageEngine();
    applyOplogEntry(e, { op: 'i', ns: 'fresh.c', o: { _id: 'x' } }, () => undefined);
    expect(e.getCollection('fresh', 'c')?.docs.has(keyOf('x'))).toBe(true);
  });

  it.each([['x'], [undefined], [7], ['db']])('an unknown op %j is an UnknownOplogOpError, never skipped', (op) => {
    const e = engineWith([{ _id: 1 }]);
    let err: unknown;
    try {
      applyOplogEntry(e, { op, ns: 'app.c', o: { _id: 1 } }, () => undefined);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(UnknownOplogOpError);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ code: UNKNOWN_OPLOG_OP_CODE, op, ns: 'app.c' });
    expect(contents(e)).toEqual([{ _id: 1 }]);
  });
});
