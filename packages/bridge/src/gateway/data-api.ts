/**
 * A Data API compatible HTTP surface on the same rules: `POST
 * /app/<id>/endpoint/data/v1/action/<action>` (the Atlas Data API's path, so a client
 * changes only its base URL) and `POST /data/v1/action/<action>`. Requests are EJSON
 * (canonical or relaxed); replies are relaxed EJSON for `Accept: application/json`
 * (the default) and canonical for `application/ejson`. `Authorization: Bearer <jwt>`.
 * Every action becomes one or more commands through GatewayService, so it is gated,
 * authorized and audited exactly like the WebSocket path.
 */
import { EJSON, ObjectId } from 'bson';
import type { Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Document } from '@mongo-edge/core';
import { originMatcher } from '../admission.js';
import type { TokenVerifier } from '../auth.js';
import { callerOf } from './channel.js';
import { isPlainDocument } from './filter.js';
import type { GatewayCaller, GatewayService } from './service.js';

export const DATA_API_ACTIONS = ['findOne', 'find', 'insertOne', 'insertMany', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'aggregate'] as const;
type DataApiAction = (typeof DATA_API_ACTIONS)[number];

export interface DataApiDeps {
  readonly service: GatewayService;
  readonly verifier: TokenVerifier;
  readonly origins: readonly string[];
  readonly maxBodyBytes: number;
}

class DataApiError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 413 | 500 | 502, readonly errorCode: string, message: string) {
    super(message);
  }
}

const NAME = /^[^\0$]{1,200}$/;

export function registerDataApi(app: Hono, deps: DataApiDeps): void {
  const allowed = originMatcher(deps.origins);
  const corsMw = cors({
    origin: (origin) => (origin && allowed(origin) ? origin : null),
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'apiKey'],
    maxAge: 600,
  });
  const handle = async (c: Context): Promise<Response> => {
    const action = c.req.param('action') as DataApiAction;
    const canonical = (c.req.header('accept') ?? '').includes('application/ejson');
    const send = (status: number, body: Document) =>
      new Response(EJSON.stringify(body, { relaxed: !canonical }), { status, headers: { 'content-type': canonical ? 'application/ejson' : 'application/json' } });
    try {
      if (!(DATA_API_ACTIONS as readonly string[]).includes(action)) throw new DataApiError(404, 'InvalidAction', `unknown action ${action.slice(0, 40)}`);
      const caller = await authenticate(c, deps.verifier);
      const length = Number(c.req.header('content-length') ?? '0');
      if (length > deps.maxBodyBytes) throw new DataApiError(413, 'RequestTooLarge', `the body exceeds ${deps.maxBodyBytes} bytes`);
      const text = await c.req.text();
      if (text.length > deps.maxBodyBytes) throw new DataApiError(413, 'RequestTooLarge', `the body exceeds ${deps.maxBodyBytes} bytes`);
      let req: unknown;
      try {
        req = EJSON.parse(text, { relaxed: false });
      } catch {
        throw new DataApiError(400, 'InvalidParameter', 'the body must be a JSON or EJSON document');
      }
      if (!isPlainDocument(req)) throw new DataApiError(400, 'InvalidParameter', 'the body must be a document');
      return send(200, await runAction(deps.service, caller, action, req));
    } catch (e) {
      if (e instanceof DataApiError) return send(e.status, { error: e.message, error_code: e.errorCode });
      return send(500, { error: 'the gateway failed to run the action', error_code: 'InternalServerError' });
    }
  };
  for (const path of ['/app/:appId/endpoint/data/v1/action/:action', '/data/v1/action/:action']) {
    app.use(path, corsMw);
    app.post(path, handle);
  }
}

async function authenticate(c: Context, verifier: TokenVerifier): Promise<GatewayCaller> {
  const header = c.req.header('authorization') ?? '';
  const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!m) throw new DataApiError(401, 'InvalidSession', 'send Authorization: Bearer <jwt>');
  const result = await verifier.verify(m[1]);
  if (!result.ok) throw new DataApiError(401, 'InvalidSession', `authentication failed: ${result.message}`);
  const g = result.grant;
  return callerOf({ subject: g.subject, expiresAt: g.expiresAt, allow: undefined, claims: g.claims });
}

async function run(service: GatewayService, caller: GatewayCaller, db: string, command: Document): Promise<Document> {
  const reply = await service.command(caller, { ...command, $db: db }, {}, 0);
  if (reply.ok === 1) return reply;
  const code = typeof reply.code === 'number' ? reply.code : 0;
  const codeName = typeof reply.codeName === 'string' ? reply.codeName : 'Error';
  const message = typeof reply.errmsg === 'string' ? reply.errmsg : 'command failed';
  throw new DataApiError(code === 13 ? 403 : code === 6 || code === 133 ? 502 : 400, codeName, message);
}

function field(req: Document, name: string, kind: 'document' | 'array' | 'number', required = false): unknown {
  const v = req[name];
  if (v === undefined) {
    if (required) throw new DataApiError(400, 'InvalidParameter', `${name} is required`);
    return undefined;
  }
  const ok = kind === 'document' ? isPlainDocument(v) : kind === 'array' ? Array.isArray(v) : typeof v === 'number';
  if (!ok) throw new DataApiError(400, 'InvalidParameter', `${name} must be a${kind === 'array' ? 'n' : ''} ${kind}`);
  return v;
}

function writeResult(reply: Document): void {
  const errs = reply.writeErrors;
  if (Array.isArray(errs) && errs.length > 0) {
    const first = errs[0] as Document;
    throw new DataApiError(400, String(first.codeName ?? 'WriteError'), String(first.errmsg ?? 'write failed'));
  }
}

/** One Data API action -> commands -> the Data API's response shape. */
async function runAction(service: GatewayService, caller: GatewayCaller, action: DataApiAction, req: Document): Promise<Document> {
  const { database, collection } = req;
  if (typeof database !== 'string' || !NAME.test(database)) throw new DataApiError(400, 'InvalidParameter', 'database is required');
  if (typeof collection !== 'string' || !NAME.test(collection)) throw new DataApiError(400, 'InvalidParameter', 'collection is required');
  const filter = (field(req, 'filter', 'document') as Document | undefined) ?? {};
  switch (action) {
    case 'findOne':
    case 'find': {
      const cmd: Document = { find: collection, filter, singleBatch: true };
      const projection = field(req, 'projection', 'document');
      const sort = field(req, 'sort', 'document');
      const limit = field(req, 'limit', 'number');
      const skip = field(req, 'skip', 'number');
      if (projection) cmd.projection = projection;
      if (sort) cmd.sort = sort;
      if (skip !== undefined) cmd.skip = skip;
      if (action === 'findOne') cmd.limit = 1;
      else if (limit !== undefined) cmd.limit = limit;
      const reply = await run(service, caller, database, cmd);
      const docs = ((reply.cursor as Document | undefined)?.firstBatch as Document[] | undefined) ?? [];
      return action === 'findOne' ? { document: docs[0] ?? null } : { documents: docs };
    }
    case 'insertOne': {
      const doc = field(req, 'document', 'document', true) as Document;
      const withId = doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc;
      writeResult(await run(service, caller, database, { insert: collection, documents: [withId] }));
      return { insertedId: withId._id };
    }
    case 'insertMany': {
      const docs = field(req, 'documents', 'array', true) as unknown[];
      const withIds = docs.map((d) => {
        if (!isPlainDocument(d)) throw new DataApiError(400, 'InvalidParameter', 'documents must be documents');
        return d._id === undefined ? { _id: new ObjectId(), ...d } : d;
      });
      writeResult(await run(service, caller, database, { insert: collection, documents: withIds, ordered: true }));
      return { insertedIds: withIds.map((d) => d._id) };
    }
    case 'updateOne':
    case 'updateMany':
    case 'replaceOne': {
      const u = action === 'replaceOne' ? field(req, 'replacement', 'document', true) : field(req, 'update', 'document', true);
      const upsert = req.upsert === true;
      const reply = await run(service, caller, database, { update: collection, updates: [{ q: filter, u, upsert, multi: action === 'updateMany' }] });
      writeResult(reply);
      const upserted = Array.isArray(reply.upserted) && reply.upserted.length > 0 ? (reply.upserted[0] as Document)._id : undefined;
      const n = Number(reply.n ?? 0);
      return { matchedCount: upserted === undefined ? n : 0, modifiedCount: Number(reply.nModified ?? 0), ...(upserted !== undefined ? { upsertedId: upserted } : {}) };
    }
    case 'deleteOne':
    case 'deleteMany': {
      const reply = await run(service, caller, database, { delete: collection, deletes: [{ q: filter, limit: action === 'deleteOne' ? 1 : 0 }] });
      writeResult(reply);
      return { deletedCount: Number(reply.n ?? 0) };
    }
    case 'aggregate': {
      const pipeline = field(req, 'pipeline', 'array', true);
      const reply = await run(service, caller, database, { aggregate: collection, pipeline, cursor: {} });
      const cursor = reply.cursor as Document;
      const docs = [...((cursor.firstBatch as Document[] | undefined) ?? [])];
      let id = cursor.id;
      while (id !== undefined && String(id) !== '0') {
        const more = await run(service, caller, database, { getMore: id, collection });
        const c = more.cursor as Document;
        docs.push(...((c.nextBatch as Document[] | undefined) ?? []));
        id = c.id;
      }
      return { documents: docs };
    }
  }
}
