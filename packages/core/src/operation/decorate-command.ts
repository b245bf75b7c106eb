/**
 * Command decoration: the fields the driver adds to a command built by the client
 * layer before it goes on the wire, for one attempt on one server. One pure function
 * (no I/O, no state; reading `session.id` checks out the lazily created server
 * session, which is why it is only read when the lsid is sent). New fields
 * (transactions: `startTransaction`, `autocommit`) belong here.
 */
import type { Document } from '../errors.js';
import { readPreferenceForCommand } from '../selection/read-preference-for-command.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import type { MongoOptions } from '../uri/client-options.js';
import { laterClusterTime, type ClusterTime } from './cluster-time.js';
import type { ExecuteOptions, TransactionStatement } from './executor.js';

export interface DecorateCommandInput {
  /** The command as the client layer built it (not modified). */
  readonly command: Document;
  readonly topology: TopologyDescription;
  /** The server the attempt goes to. */
  readonly server: ServerDescription;
  readonly options: Pick<ExecuteOptions, 'session' | 'readPreference' | 'pinnedServer' | 'retryable' | 'moreToCome' | 'transaction' | 'rawData'>;
  /** The retryable write's transaction number; undefined when the write is not retryable. */
  readonly txnNumber: unknown;
  /** The client-wide `$clusterTime` gossip. */
  readonly clusterTime: ClusterTime | undefined;
  /** Stable API (Versioned API spec): sent with every command, getMore included (the spec's crud-api-version-1 tests). */
  readonly serverApi: MongoOptions['serverApi'];
}

/**
 * The command with `lsid`, `txnNumber`, `$clusterTime`, `$readPreference` and the
 * Stable API fields where they apply (`$db` is the connection's).
 */
/** Servers 8.2+ (wire version 27) take `rawData`. */
export const MIN_RAW_DATA_WIRE_VERSION = 27;

export function decorateCommand(input: DecorateCommandInput): Document {
  const { command, topology: td, server: sd, options, txnNumber, serverApi: api } = input;
  const full: Document = { ...command };
  const sessionsSupported = sd.logicalSessionTimeoutMinutes !== null || td.type === TopologyType.LoadBalanced;
  if (options.session && sessionsSupported && !options.moreToCome) full.lsid = options.session.id;
  if (txnNumber !== undefined) full.txnNumber = txnNumber;
  if (options.transaction) decorateTransactionStatement(full, options.transaction);
  if (options.rawData !== undefined && sd.maxWireVersion >= MIN_RAW_DATA_WIRE_VERSION) full.rawData = options.rawData;
  const clusterTime = laterClusterTime(input.clusterTime, options.session?.clusterTime);
  if (clusterTime && sd.type !== ServerType.Standalone) full.$clusterTime = clusterTime;
  // Reads; and a getMore on a secondary (the server needs to know reads may go there).
  const sendsReadPreference = options.pinnedServer ? options.readPreference !== undefined : options.retryable !== 'write';
  const rp = sendsReadPreference ? readPreferenceForCommand(td, sd, options.readPreference) : undefined;
  if (rp) full.$readPreference = rp;
  if (api) {
    full.apiVersion = api.version;
    if (api.strict !== undefined) full.apiStrict = api.strict;
    if (api.deprecationErrors !== undefined) full.apiDeprecationErrors = api.deprecationErrors;
  }
  return full;
}

/**
 * The Transactions spec's fields on a command of a transaction (in place): `txnNumber`
 * and `autocommit: false` on every one; `startTransaction: true` and the transaction's
 * readConcern on the first statement only; no readConcern on later ones and no
 * writeConcern on any statement (commitTransaction / abortTransaction keep theirs).
 */
export function decorateTransactionStatement(full: Document, txn: TransactionStatement): void {
  full.txnNumber = txn.txnNumber;
  if (txn.kind === 'start') full.startTransaction = true;
  full.autocommit = false;
  delete full.readConcern;
  if (txn.kind !== 'end') delete full.writeConcern;
  if (txn.kind === 'start' && txn.readConcern) full.readConcern = txn.readConcern;
}
