/**
 * The gatekeeper: the first look at every decoded command, pure. It takes the
 * envelope (fields the gateway owns: $db, lsid, txnNumber, $clusterTime,
 * $readPreference, Stable API) off the command and says who answers it: the gateway
 * itself (hello, ping, buildInfo, getMore, killCursors, endSessions, killSessions,
 * commitTransaction, abortTransaction) or the rules (authorize.ts). Commands on no list
 * are refused here. A statement of a transaction (`autocommit: false`, the first with
 * `startTransaction: true`) is checked here for the Transactions spec's shape (lsid,
 * txnNumber) and then goes to the rules like any other command.
 */
import type { Document } from '@mongo-edge/core';
import { isPlainDocument } from './filter.js';

export type GatewayCommandKind = 'hello' | 'ping' | 'buildInfo' | 'getMore' | 'killCursors' | 'endSessions' | 'killSessions' | 'endTransaction' | 'rules';

/** A command of a multi-document transaction: the first (`startTransaction: true`) or a later one. */
export interface TransactionPart {
  readonly start: boolean;
}

export interface Envelope {
  readonly db: string;
  readonly lsid: Document | undefined;
  readonly txnNumber: unknown;
  readonly readPreference: unknown;
  /** Set on every command of a transaction (`autocommit: false`), commit and abort included. */
  readonly transaction: TransactionPart | undefined;
}

export type Gate =
  | { readonly ok: true; readonly kind: GatewayCommandKind; readonly name: string; readonly envelope: Envelope; readonly body: Document }
  | { readonly ok: false; readonly code: number; readonly codeName: string; readonly message: string };

const ENVELOPE_FIELDS: ReadonlySet<string> = new Set(['$db', 'lsid', 'txnNumber', 'startTransaction', 'autocommit', '$clusterTime', '$readPreference', 'apiVersion', 'apiStrict', 'apiDeprecationErrors']);

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
  killSessions: 'killSessions',
  commitTransaction: 'endTransaction',
  abortTransaction: 'endTransaction',
});

const isTxnNumber = (v: unknown): boolean =>
  (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n) || (typeof v === 'object' && v !== null && (v as { _bsontype?: unknown })._bsontype === 'Long');

const refused = (code: number, codeName: string, message: string): Gate => ({ ok: false, code, codeName, message });

export function gate(body: Document): Gate {
  const name = Object.keys(body)[0];
  if (name === undefined) return refused(9, 'FailedToParse', 'Command document is empty');
  const db = body.$db;
  if (typeof db !== 'string' || db === '' || db.length > 63 || /[/\\. "$\0]/.test(db)) return refused(73, 'InvalidNamespace', 'OP_MSG requests need a valid $db');
  const lsid = body.lsid;
  if (lsid !== undefined && !(isPlainDocument(lsid) && Object.keys(lsid).length === 1 && lsid.id !== undefined)) return refused(9, 'FailedToParse', 'lsid must be { id: UUID }');
  const txn = transactionPart(name, body);
  if (!txn.ok) return txn.gate;
  const command: Document = {};
  for (const [k, v] of Object.entries(body)) if (!ENVELOPE_FIELDS.has(k)) command[k] = v;
  const envelope: Envelope = { db, lsid: lsid as Document | undefined, txnNumber: body.txnNumber, readPreference: body.$readPreference, transaction: txn.part };
  const kind = Object.hasOwn(ANSWERED, name) ? ANSWERED[name]! : 'rules';
  return { ok: true, kind, name, envelope, body: command };
}

/**
 * The Transactions spec's fields, as mongod checks them: `autocommit` only as false and
 * only with an lsid and a txnNumber; `startTransaction` only as true and only with
 * `autocommit: false`; commitTransaction / abortTransaction only inside a transaction.
 */
function transactionPart(name: string, body: Document): { ok: true; part: TransactionPart | undefined } | { ok: false; gate: Gate } {
  const { autocommit, startTransaction } = body;
  const ending = name === 'commitTransaction' || name === 'abortTransaction';
  if (autocommit === undefined && startTransaction === undefined && !ending) return { ok: true, part: undefined };
  if (autocommit !== false) {
    const message = ending ? `${name} must be run within a transaction (autocommit: false)` : startTransaction !== undefined ? 'startTransaction needs autocommit: false' : 'autocommit may only be false';
    return { ok: false, gate: refused(72, 'InvalidOptions', message) };
  }
  if (startTransaction !== undefined && startTransaction !== true) return { ok: false, gate: refused(72, 'InvalidOptions', 'startTransaction may only be true') };
  if (ending && startTransaction !== undefined) return { ok: false, gate: refused(72, 'InvalidOptions', `${name} cannot start a transaction`) };
  if (body.lsid === undefined) return { ok: false, gate: refused(72, 'InvalidOptions', 'a transaction needs a session id (lsid)') };
  if (!isTxnNumber(body.txnNumber)) return { ok: false, gate: refused(72, 'InvalidOptions', 'a transaction needs a txnNumber') };
  return { ok: true, part: { start: startTransaction === true } };
}
