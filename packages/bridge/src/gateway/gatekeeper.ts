/**
 * The gatekeeper: the first look at every decoded command, pure. It takes the
 * envelope (fields the gateway owns: $db, lsid, txnNumber, $clusterTime,
 * $readPreference, Stable API) off the command and says who answers it: the gateway
 * itself (hello, ping, buildInfo, getMore, killCursors, endSessions) or the rules
 * (authorize.ts). Commands on no list are refused here; transactions too (not yet
 * supported through the gateway).
 */
import type { Document } from '@mongo-edge/core';
import { isPlainDocument } from './filter.js';

export type GatewayCommandKind = 'hello' | 'ping' | 'buildInfo' | 'getMore' | 'killCursors' | 'endSessions' | 'rules';

export interface Envelope {
  readonly db: string;
  readonly lsid: Document | undefined;
  readonly txnNumber: unknown;
  readonly readPreference: unknown;
}

export type Gate =
  | { readonly ok: true; readonly kind: GatewayCommandKind; readonly name: string; readonly envelope: Envelope; readonly body: Document }
  | { readonly ok: false; readonly code: number; readonly codeName: string; readonly message: string };

const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(['$db', 'lsid', 'txnNumber', '$clusterTime', '$readPreference', 'apiVersion', 'apiStrict', 'apiDeprecationErrors']);

const ANSWERED: Readonly<Record<string, GatewayCommandKind>> = Object.freeze({
  hello: 'hello',
  isMaster: 'hello',
  ismaster: 'hello',
  ping: 'ping',
  buildInfo: 'buildInfo',
  buildinfo: 'buildInfo',
  getMore: 'getMore',
  killCursors: 'killCursors',
  endSessions: 'endSessions',
});

const refused = (code: number, codeName: string, message: string): Gate => ({ ok: false, code, codeName, message });

export function gate(body: Document): Gate {
  const name = Object.keys(body)[0];
  if (name === undefined) return refused(9, 'FailedToParse', 'Command document is empty');
  const db = body.$db;
  if (typeof db !== 'string' || db === '' || db.length > 63 || /[/\\. "$\0]/.test(db)) return refused(73, 'InvalidNamespace', 'OP_MSG requests need a valid $db');
  if (body.startTransaction !== undefined || body.autocommit !== undefined) {
    return refused(13, 'Unauthorized', 'transactions are not supported through the gateway yet');
  }
  if (name === 'commitTransaction' || name === 'abortTransaction') return refused(13, 'Unauthorized', 'transactions are not supported through the gateway yet');
  const lsid = body.lsid;
  if (lsid !== undefined && !(isPlainDocument(lsid) && Object.keys(lsid).length === 1 && lsid.id !== undefined)) return refused(9, 'FailedToParse', 'lsid must be { id: UUID }');
  const command: Document = {};
  for (const [k, v] of Object.entries(body)) if (!ENVELOPE_FIELDS.has(k)) command[k] = v;
  const envelope: Envelope = { db, lsid: lsid as Document | undefined, txnNumber: body.txnNumber, readPreference: body.$readPreference };
  const kind = Object.hasOwn(ANSWERED, name) ? ANSWERED[name]! : 'rules';
  return { ok: true, kind, name, envelope, body: command };
}
