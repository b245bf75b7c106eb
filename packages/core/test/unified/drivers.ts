/**
 * One adapter per driver: how to build a client and read the few driver internals the
 * runner asserts on (session state, pinning, error classes). The operations themselves
 * (operation name -> driver call) are shared in operations.ts: both drivers expose the
 * same public API shape (mongo-edge mirrors the official one), so one table drives both,
 * and a method our driver lacks fails the test that needs it, visibly.
 */
import * as official from 'mongodb';
import * as edge from '@mongo-edge/core/node';
import type { Doc } from './match.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type AnyObj = any;

export type DriverName = 'official' | 'edge';

export interface DriverAdapter {
  readonly name: DriverName;
  /** A new, unconnected client. */
  newClient(uri: string, options: Doc): AnyObj;
  /** GridFS bucket on a database (undefined: the driver has none). */
  newBucket(db: AnyObj, options: Doc): AnyObj;
  /** A client-side error (not from a server reply, not a network error). */
  isClientError(e: unknown): boolean;
  isTimeoutError(e: unknown): boolean;
  /** Spec names: none, starting, in_progress, committed, aborted. */
  transactionState(session: AnyObj): string;
  /** Address of the mongos a session is pinned to. */
  pinnedAddress(session: AnyObj): string | undefined;
  isDirty(session: AnyObj): boolean;
  /** The lsid document of a session. */
  lsid(session: AnyObj): Doc;
}

const TXN_STATES: Record<string, string> = {
  NO_TRANSACTION: 'none',
  STARTING_TRANSACTION: 'starting',
  TRANSACTION_IN_PROGRESS: 'in_progress',
  TRANSACTION_COMMITTED: 'committed',
  TRANSACTION_COMMITTED_EMPTY: 'committed',
  TRANSACTION_ABORTED: 'aborted',
};

function txnState(session: AnyObj): string {
  const raw = session.transaction?.state ?? session.transactionState;
  if (raw === undefined) return 'none';
  return TXN_STATES[String(raw)] ?? String(raw);
}

function pinned(session: AnyObj): string | undefined {
  // official: transaction.server (a Server); ours: transaction.pinnedServer (an address)
  const server = session.transaction?.server ?? session.transaction?.pinnedServer ?? session.pinnedServer;
  if (!server) return undefined;
  return typeof server === 'string' ? server : (server.description?.address ?? server.address);
}

/**
 * The format's isClientError: the error did not come from a server reply (driver-side
 * validation, network errors, server selection timeouts all count).
 */
function isClientErrorBy(serverError: new (...a: any[]) => Error) {
  return (e: unknown): boolean => {
    if (!(e instanceof Error)) return false;
    const err: AnyObj = e;
    return !(err instanceof serverError) && err.errorResponse === undefined;
  };
}

export const officialAdapter: DriverAdapter = {
  name: 'official',
  // The runner connects every client when it creates it (entities.ts). The official driver's
  // connect() checks a connection out and in (lib/sdam/topology.js, unless
  // __skipPingOnConnect), which would be CMAP events the spec files do not expect; its own
  // unified runner skips that ping the same way.
  newClient: (uri, options) => new official.MongoClient(uri, { monitorCommands: true, __skipPingOnConnect: true, ...options } as official.MongoClientOptions),
  newBucket: (db, options) => new official.GridFSBucket(db, options),
  isClientError: isClientErrorBy(official.MongoServerError),
  isTimeoutError: (e) => e instanceof official.MongoOperationTimeoutError,
  transactionState: txnState,
  pinnedAddress: pinned,
  isDirty: (s) => Boolean(s.serverSession?.isDirty),
  lsid: (s) => s.id,
};

export const edgeAdapter: DriverAdapter = {
  name: 'edge',
  newClient: (uri, options) => new edge.MongoClient(uri, { monitorCommands: true, ...options } as edge.MongoClientOptions),
  newBucket: (db, options) => {
    const Bucket = (edge as AnyObj).GridFSBucket;
    if (!Bucket) throw new TypeError('mongo-edge has no GridFSBucket');
    return new Bucket(db, options);
  },
  isClientError: isClientErrorBy(edge.MongoServerError),
  isTimeoutError: (e) => (e as Error)?.name === 'MongoOperationTimeoutError',
  transactionState: txnState,
  pinnedAddress: pinned,
  isDirty: (s) => Boolean(s.serverSession?.isDirty ?? s.isDirty),
  lsid: (s) => s.id,
};

export const ADAPTERS: Record<DriverName, DriverAdapter> = { official: officialAdapter, edge: edgeAdapter };
