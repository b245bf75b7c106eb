import { describe, expect, it } from 'vitest';
import { authorize, type AuthorizePolicy, type CommandRequest } from '../../src/gateway/authorize.js';
import { validateGatewayConfig } from '../../src/gateway/config.js';
import type { GatewayPrincipal } from '../../src/gateway/rules.js';

const config = validateGatewayConfig({
  cluster: { uri: { value: 'mongodb://127.0.0.1:1' } },
  jwt: { secret: { value: 'x'.repeat(32) }, issuer: 'test', audience: 'app' },
  limits: { maxDocuments: 50, maxTimeMS: 2000, maxBatchSize: 20 },
  rules: [
    { name: 'own-notes', roles: ['user'], database: 'app', collection: 'notes', actions: ['find', 'count', 'distinct', 'aggregate', 'insert', 'update', 'delete', 'findAndModify', 'listCollections'], filter: { owner: '%%user.sub' } },
    { name: 'own-profile', roles: ['user'], database: 'app', collection: 'profiles', actions: ['find'], filter: { owner: '%%user.sub' }, readFields: ['name', 'owner'], writeFields: ['name'] },
    { name: 'read-public', roles: ['reader', 'user'], database: 'app', collection: 'public', actions: ['find', 'count'] },
    { name: 'admin-notes', roles: ['admin'], database: 'app', collection: 'notes', actions: ['find', 'listIndexes'] },
  ],
});
const policy: AuthorizePolicy = { rules: config.rules, roleClaim: config.jwt.roleClaim, defaultRole: config.jwt.defaultRole, limits: config.limits };

const alice: GatewayPrincipal = { subject: 'alice', claims: { sub: 'alice', role: 'user' } };
const reader: GatewayPrincipal = { subject: 'rita', claims: { sub: 'rita', role: 'reader' } };
const admin: GatewayPrincipal = { subject: 'root', claims: { sub: 'root', role: ['admin'] } };

const req = (body: Record<string, unknown>, sequences: Record<string, Record<string, unknown>[]> = {}, db = 'app'): CommandRequest => ({ db, name: Object.keys(body)[0]!, body, sequences });

type Row = [string, GatewayPrincipal, CommandRequest, 'allowed' | RegExp];
const rows: Row[] = [
  ['find own notes', alice, req({ find: 'notes', filter: { done: false } }), 'allowed'],
  ['find with top-level $or stays inside the filter', alice, req({ find: 'notes', filter: { $or: [{ owner: 'bob' }, { x: 1 }] } }), 'allowed'],
  ['$where refused', alice, req({ find: 'notes', filter: { $where: 'true' } }), /\$where/],
  ['$expr with $function refused', alice, req({ find: 'notes', filter: { $expr: { $function: { body: 'x', args: [], lang: 'js' } } } }), /\$function/],
  ['unknown find field refused', alice, req({ find: 'notes', filter: {}, noCursorTimeout: true }), /noCursorTimeout/],
  ['no rule for the collection', alice, req({ find: 'secrets' }), /no rule allows find on app.secrets/],
  ['other database', alice, req({ find: 'notes' }, {}, 'admin'), /no rule allows find on admin.notes/],
  ['reader cannot insert into public', reader, req({ insert: 'public', documents: [{ a: 1 }] }), /rule read-public does not allow insert/],
  ['reader cannot read notes', reader, req({ find: 'notes' }), /no rule allows find on app.notes/],
  ['explain refused', alice, req({ explain: { find: 'notes' } }), /explain is not allowed/],
  ['mapReduce refused', alice, req({ mapReduce: 'notes', map: 'f', reduce: 'g', out: { inline: 1 } }), /mapReduce is not allowed/],
  ['collMod refused', alice, req({ collMod: 'notes' }), /collMod is not allowed/],
  ['drop refused', alice, req({ drop: 'notes' }), /drop is not allowed/],
  ['bulkWrite refused', alice, req({ bulkWrite: 1, ops: [], nsInfo: [] }, {}, 'admin'), /bulkWrite is not allowed/],
  ['insert own document', alice, req({ insert: 'notes' }, { documents: [{ text: 'hi' }] }), 'allowed'],
  ['insert with another owner', alice, req({ insert: 'notes', documents: [{ owner: 'bob' }] }), /owner must equal/],
  ['mixed batch refused whole', alice, req({ insert: 'notes', documents: [{ owner: 'alice' }, { owner: 'bob' }] }), /document 1/],
  ['update own', alice, req({ update: 'notes', updates: [{ q: {}, u: { $set: { done: true } }, multi: true }] }), 'allowed'],
  ['update changing the owner', alice, req({ update: 'notes', updates: [{ q: {}, u: { $set: { owner: 'bob' } } }] }), /may not change owner/],
  ['$rename onto the owner', alice, req({ update: 'notes', updates: [{ q: {}, u: { $rename: { x: 'owner' } } }] }), /may not change owner/],
  ['$unset the owner', alice, req({ update: 'notes', updates: [{ q: {}, u: { $unset: { owner: 1 } } }] }), /may not change owner/],
  ['replacement escaping the filter', alice, req({ update: 'notes', updates: [{ q: {}, u: { owner: 'bob', t: 1 } }] }), /owner must equal/],
  ['upsert replacement escaping the filter', alice, req({ update: 'notes', updates: [{ q: { t: 1 }, u: { owner: 'bob' }, upsert: true }] }), /owner must equal/],
  ['upsert whose query names another owner (found by the fuzzer)', alice, req({ update: 'notes', updates: [{ q: { owner: 'bob' }, u: { $inc: { n: 1 } }, upsert: true }] }), /upsert's query may not constrain owner/],
  ['findAndModify upsert whose query names the owner', alice, req({ findAndModify: 'notes', query: { $and: [{ owner: 'bob' }] }, update: { $inc: { n: 1 } }, upsert: true }), /upsert's query may not constrain owner/],
  ['pipeline update refused', alice, req({ update: 'notes', updates: [{ q: {}, u: [{ $set: { owner: 'bob' } }] }] }), /pipeline updates/],
  ['delete own', alice, req({ delete: 'notes', deletes: [{ q: {}, limit: 0 }] }), 'allowed'],
  ['findAndModify own', alice, req({ findAndModify: 'notes', query: {}, update: { $inc: { n: 1 } } }), 'allowed'],
  ['findAndModify changing owner', alice, req({ findAndModify: 'notes', query: {}, update: { $set: { owner: 'x' } } }), /may not change owner/],
  ['aggregate with $out', alice, req({ aggregate: 'notes', pipeline: [{ $out: 'x' }], cursor: {} }), /\$out is not allowed/],
  ['aggregate with $merge', alice, req({ aggregate: 'notes', pipeline: [{ $merge: { into: 'x' } }], cursor: {} }), /\$merge is not allowed/],
  ['aggregate $accumulator', alice, req({ aggregate: 'notes', pipeline: [{ $group: { _id: 1, a: { $accumulator: {} } } }], cursor: {} }), /\$accumulator/],
  ['$lookup into a collection without a rule', alice, req({ aggregate: 'notes', pipeline: [{ $lookup: { from: 'secrets', localField: 'a', foreignField: 'b', as: 'c' } }], cursor: {} }), /\$lookup into app.secrets/],
  ['$lookup into an allowed collection', alice, req({ aggregate: 'notes', pipeline: [{ $lookup: { from: 'public', localField: 'a', foreignField: 'b', as: 'c' } }], cursor: {} }), 'allowed'],
  ['$unionWith into a collection without a rule', alice, req({ aggregate: 'notes', pipeline: [{ $unionWith: 'secrets' }], cursor: {} }), /\$unionWith into app.secrets/],
  ['$facet with $lookup inside', alice, req({ aggregate: 'notes', pipeline: [{ $facet: { a: [{ $lookup: { from: 'secrets', pipeline: [], as: 'x' } }] } }], cursor: {} }), /secrets/],
  ['$graphLookup into a collection without a rule', alice, req({ aggregate: 'notes', pipeline: [{ $graphLookup: { from: 'secrets', startWith: '$a', connectFromField: 'a', connectToField: 'b', as: 'c' } }], cursor: {} }), /secrets/],
  ['aggregate without cursor (explain)', alice, req({ aggregate: 'notes', pipeline: [], explain: true }), /explain/],
  ['hidden field in a filter', alice, req({ find: 'profiles', filter: { email: 'x' } }), /email is not readable/],
  ['$expr where fields are restricted', alice, req({ find: 'profiles', filter: { $expr: { $eq: ['$email', 'x'] } } }), /\$expr is not allowed/],
  ['projection of a hidden field', alice, req({ find: 'profiles', projection: { email: 1 } }), /email is not readable/],
  ['sort by a hidden field', alice, req({ find: 'profiles', sort: { email: 1 } }), /email is not readable/],
  ['admin may list indexes', admin, req({ listIndexes: 'notes' }), 'allowed'],
  ['user may not list indexes', alice, req({ listIndexes: 'notes' }), /does not allow listIndexes/],
  ['listCollections allowed', alice, req({ listCollections: 1 }), 'allowed'],
  ['listCollections for a reader without the action', reader, req({ listCollections: 1 }), /no rule allows listCollections/],
  ['a rule bound to a missing claim', { subject: 'x', claims: { role: 'user' } }, req({ find: 'notes' }), /no scalar claim sub/],
];

describe('authorize: a table of actions and bypasses', () => {
  for (const [name, who, request, expected] of rows) {
    it(name, () => {
      const result = authorize(policy, who, request);
      if (expected === 'allowed') {
        expect(result).toMatchObject({ allowed: true });
      } else {
        expect(result.allowed).toBe(false);
        if (!result.allowed) {
          expect(result.code).toBe(13);
          expect(result.message).toMatch(expected);
        }
      }
    });
  }

  it('AND-s the bound filter into reads and clamps limits', () => {
    const r = authorize(policy, alice, req({ find: 'notes', filter: { $or: [{ owner: 'bob' }] }, limit: 1000, batchSize: 500, maxTimeMS: 60_000 }));
    expect(r).toMatchObject({
      allowed: true,
      rule: 'own-notes',
      command: { filter: { $and: [{ owner: 'alice' }, { $or: [{ owner: 'bob' }] }] }, limit: 50, batchSize: 20, maxTimeMS: 2000 },
    });
  });

  it('fills the owner of inserted documents and adds $setOnInsert to upserts', () => {
    const ins = authorize(policy, alice, req({ insert: 'notes' }, { documents: [{ _id: 1 }] }));
    expect(ins).toMatchObject({ allowed: true, command: { documents: [{ _id: 1, owner: 'alice' }] } });
    const up = authorize(policy, alice, req({ update: 'notes', updates: [{ q: { _id: 1 }, u: { $set: { t: 1 } }, upsert: true }] }));
    expect(up).toMatchObject({ allowed: true, command: { updates: [{ q: { $and: [{ owner: 'alice' }, { _id: 1 }] }, u: { $set: { t: 1 }, $setOnInsert: { owner: 'alice' } } }] } });
  });

  it('prefixes pipelines with the filter, inside $lookup too, and the readable fields', () => {
    const r = authorize(policy, alice, req({ aggregate: 'notes', pipeline: [{ $lookup: { from: 'profiles', localField: 'owner', foreignField: 'owner', as: 'p' } }], cursor: {} }));
    expect(r).toMatchObject({
      allowed: true,
      command: {
        pipeline: [
          { $match: { owner: 'alice' } },
          { $lookup: { from: 'profiles', pipeline: [{ $match: { owner: 'alice' } }, { $project: { _id: 1, name: 1, owner: 1 } }] } },
          { $limit: 50 },
        ],
      },
    });
  });

  it('restricts listCollections to the collections the rules name', () => {
    const r = authorize(policy, alice, req({ listCollections: 1, nameOnly: true }));
    expect(r).toMatchObject({ allowed: true, command: { filter: { name: { $in: ['notes'] } } } });
  });

  it('refuses deeply nested commands without overflowing the stack', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 100_000; i++) deep = { $and: [deep] };
    const r = authorize(policy, alice, req({ find: 'notes', filter: deep }));
    expect(r).toMatchObject({ allowed: false, code: 13 });
    if (!r.allowed) expect(r.message).toMatch(/nests deeper/);
  });
});
