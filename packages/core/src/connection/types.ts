/**
 * The seam between the connection layer (connection/, pool/) and its users (sdam/
 * monitors, the client's operation executor). connection/connect.ts implements
 * `connect()`; pool/pool.ts implements `ConnectionPool`.
 */
import type { BsonDeserializeOptions } from '../wire/bson-io.js';
import type { Document, MongoNetworkError } from '../errors.js';
import type { Transport, TransportTlsOptions } from '../transport/transport.js';
import type { Authenticator } from './auth-hook.js';
import type { DriverInfo } from './metadata.js';

export interface MongoCredentials {
  readonly username: string;
  readonly password?: string | undefined;
  readonly source: string;
  /** e.g. 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'MONGODB-X509'; undefined = negotiate. */
  readonly mechanism?: string | undefined;
  readonly mechanismProperties?: Readonly<Record<string, unknown>>;
}

export interface ConnectOptions {
  transport: Transport;
  /** "host:port" (IPv6 in brackets). */
  address: string;
  tls?: TransportTlsOptions | undefined;
  connectTimeoutMS?: number;
  /** Per-request reply timeout; 0 = none. */
  socketTimeoutMS?: number;
  appName?: string | undefined;
  /** Extra driver info appended to the handshake metadata (official `driverInfo`). */
  driverInfo?: DriverInfo | readonly DriverInfo[] | undefined;
  credentials?: MongoCredentials | undefined;
  loadBalanced?: boolean;
  /** Stable API: { version: '1', strict?, deprecationErrors? } */
  serverApi?: { version: string; strict?: boolean; deprecationErrors?: boolean } | undefined;
  /** Monitoring connections skip authentication. */
  monitoring?: boolean;
  /** CMAP pool generation this connection belongs to. */
  generation?: number;
  id?: number;
  /** Cancels the connect + handshake. */
  signal?: AbortSignal;
  /** Runs authentication when `credentials` are set (connection/auth-hook.ts). */
  authenticator?: Authenticator | undefined;
  /** Precomputed `client` handshake metadata (default: connection/metadata.ts makeClientMetadata). */
  metadata?: Document | undefined;
}

export interface CommandOptions {
  /** OP_MSG kind 1 sections, e.g. { documents: [...] }. */
  sequences?: Readonly<Record<string, readonly Document[]>>;
  /** Reply timeout in ms for this request; overrides socketTimeoutMS; 0 = none. */
  timeoutMS?: number;
  signal?: AbortSignal;
  /** Send with moreToCome (fire and forget: w:0 writes); resolves with { ok: 1 } once written. */
  moreToCome?: boolean;
  /** Ask for an exhaust stream; read further replies with `nextReply()` while `moreToCome`. */
  exhaustAllowed?: boolean;
  /** Return ok:0 replies instead of throwing MongoServerError. */
  raw?: boolean;
  /** Undefined values in the command's documents: left out (true) or sent as null (false). Default true. */
  ignoreUndefined?: boolean;
  /** Also decode the reply with these options, for the application (wire/application-view.ts). */
  deserialize?: BsonDeserializeOptions;
  /**
   * The wire requestId to send with (from wire/header.ts newRequestId(), so that it is
   * unique); default a fresh one. Command monitoring allocates it to report it.
   */
  requestId?: number;
  /**
   * A read outside a transaction: may go out behind a pipelined hello even when the
   * transport pipelines reads only (Transport.readPipelining).
   */
  pipelineSafe?: boolean;
}

export interface Connection {
  readonly id: number;
  readonly address: string;
  readonly generation: number;
  /** The handshake (hello) reply. */
  readonly hello: Document;
  /** Whether the last reply had moreToCome set (an exhaust stream is open). */
  readonly moreToCome: boolean;
  readonly closed: boolean;
  /** Run a command on database `db` (adds `$db`). Throws MongoServerError on ok:0. */
  command(db: string, cmd: Document, options?: CommandOptions): Promise<Document>;
  /** Next reply of an exhaust stream. */
  nextReply(options?: { timeoutMS?: number; signal?: AbortSignal }): Promise<Document>;
  /** Milliseconds the handshake hello took, excluding connection setup (monitors' first RTT sample). */
  readonly handshakeRoundTripMS?: number | undefined;
  /** Round trips this connection made (requests with a reply); tests count them. */
  readonly roundTrips: number;
  /** Last `$clusterTime` seen in a reply (the client layer gossips it). */
  readonly lastClusterTime?: Document | undefined;
  /** Last `operationTime` seen in a reply. */
  readonly lastOperationTime?: unknown;
  /** Load-balanced mode: the hello reply's serviceId. */
  readonly serviceId?: unknown;
  close(): void;
  /** Close with an error: every pending request rejects with it (the pool interrupts in-use connections so). */
  destroy(error: MongoNetworkError): void;
}

export interface CheckOutOptions {
  signal?: AbortSignal;
  /** waitQueueTimeoutMS for this check-out. */
  timeoutMS?: number;
}

export interface ConnectionPool {
  readonly address: string;
  readonly generation: number;
  checkOut(options?: CheckOutOptions): Promise<Connection>;
  checkIn(connection: Connection): void;
  /** Mark the pool paused and bump the generation; stale connections close on check-in. */
  clear(options?: { interruptInUseConnections?: boolean; serviceId?: unknown }): void;
  /** Mark the pool ready (after a successful heartbeat). */
  ready(): void;
  close(): Promise<void>;
}
