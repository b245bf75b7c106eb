/**
 * Opens a connection and runs the MongoDB handshake (spec "Connection Handshake"):
 * transport connect, `hello` with client metadata over OP_MSG on `admin`, then
 * authentication through the injected Authenticator when credentials are given.
 */
import {
  MongoAuthError,
  MongoCompatibilityError,
  MongoErrorLabel,
  MongoNetworkError,
  isNetworkTimeoutError,
  type Document,
} from '../errors.js';
import { parseAddress } from './address.js';
import type { SpeculativeAuth } from './auth-hook.js';
import { WireConnection } from './connection.js';
import { makeClientMetadata } from './metadata.js';
import { monotonicNow } from '../util/clock.js';
import type { ConnectOptions } from './types.js';
import type { Transport } from '../transport/transport.js';
import { isOpenFailure } from '../transport/open-failure.js';

let nextConnectionId = 1;

/** Builds the handshake command (without $db). */
export function buildHelloCommand(options: ConnectOptions, speculative?: SpeculativeAuth): Document {
  const cmd: Document = {
    hello: 1,
    helloOk: true,
    client:
      options.metadata ??
      makeClientMetadata({ appName: options.appName, driverInfo: options.driverInfo }),
  };
  if (options.loadBalanced) cmd.loadBalanced = true;
  const api = options.serverApi;
  if (api) {
    cmd.apiVersion = api.version;
    if (api.strict !== undefined) cmd.apiStrict = api.strict;
    if (api.deprecationErrors !== undefined) cmd.apiDeprecationErrors = api.deprecationErrors;
  }
  const creds = options.credentials;
  if (creds && !options.monitoring) {
    if (creds.mechanism === undefined) cmd.saslSupportedMechs = `${creds.source}.${creds.username}`;
    if (speculative) cmd.speculativeAuthenticate = speculative.document;
  }
  return cmd;
}

/**
 * Connects to `options.address` and completes the handshake. Rejects with
 * MongoNetworkError (beforeHandshake true until hello succeeded, label HandshakeError),
 * MongoServerError (hello ok:0), MongoCompatibilityError (load balancer mismatch),
 * MongoAuthError, or the signal's reason.
 */
export async function connect(options: ConnectOptions): Promise<WireConnection> {
  const { signal } = options;
  const address = parseAddress(options.address);
  const id = options.id ?? nextConnectionId++;
  const connectTimeoutMS = options.connectTimeoutMS ?? 30_000;
  let socket: Awaited<ReturnType<Transport['connect']>>;
  try {
    socket = await options.transport.connect({ ...address, tls: options.tls, connectTimeoutMS, signal });
  } catch (error) {
    // A refused TCP connection means nothing listens there (a dead or stopped server), not an
    // ingress rate limiter (which accepts, then sheds): only a connect timeout is overload.
    throw isNetworkTimeoutError(error) ? labelEstablishmentError(error, options) : error;
  }
  const conn = new WireConnection(socket, {
    id,
    generation: options.generation ?? 0,
    socketTimeoutMS: options.socketTimeoutMS ?? 0,
  });
  /** The hello's reply arrived: later errors (authentication) are not connection-establishment overload. */
  let helloDone = false;
  try {
    const creds = options.monitoring ? undefined : options.credentials;
    const authenticator = options.authenticator;
    if (creds && !authenticator) {
      throw new MongoAuthError(`credentials for "${creds.username}" were given, but no authenticator is configured`);
    }
    const speculative =
      creds && authenticator?.speculativeAuthenticate
        ? await authenticator.speculativeAuthenticate(creds, { address: conn.address })
        : undefined;
    // The handshake is bounded by connectTimeoutMS (then socketTimeoutMS, if that is unset).
    const helloTimeoutMS = connectTimeoutMS > 0 ? connectTimeoutMS : (options.socketTimeoutMS ?? 0);
    const helloStarted = monotonicNow();
    // Handshake pipelining: connect() returns right after sending the hello, and the first
    // command goes out behind it (one round trip less per new connection); its reply waits
    // for the handshake (WireConnection.awaitHandshake). Only when the transport says its
    // peer runs nothing on a connection whose hello failed (Transport.handshakePipelining:
    // the mongo-edge gateway), never with authentication (it needs the hello's reply), never
    // on monitoring connections.
    // Transport.readPipelining: reads only (the connection holds other commands until the hello's reply).
    const transport = options.transport;
    const pipelined = (transport.handshakePipelining || transport.readPipelining) && !options.monitoring && !options.credentials;
    // A pipelined hello outlives connect(): the pool's signal (which cancels a connect) is not its.
    const hello = conn.command('admin', buildHelloCommand(options, speculative), { timeoutMS: helloTimeoutMS, signal: pipelined ? undefined : signal });
    const complete = async (reply: Document): Promise<void> => {
      helloDone = true;
      // The hello round trip alone (no TCP/TLS/bridge-channel setup): the monitor's first RTT sample.
      conn.handshakeRoundTripMS = monotonicNow() - helloStarted;
      if (options.loadBalanced && reply.serviceId === undefined) {
        throw new MongoCompatibilityError(
          'Driver attempted to initialize in load balancing mode, but the server does not support this mode',
        );
      }
      conn.setHello(reply);
      if (creds && authenticator) await authenticator.authenticate(conn, creds, reply, speculative);
      conn.established = true;
    };
    if (pipelined) {
      conn.awaitHandshake(
        hello.then(complete).catch((error: unknown) => {
          throw failed(conn, helloDone ? error : labelEstablishmentError(error, options));
        }),
        { readsOnly: !transport.handshakePipelining },
      );
      return conn;
    }
    await complete(await hello);
    return conn;
  } catch (error) {
    throw failed(conn, helloDone ? error : labelEstablishmentError(error, options));
  }
}

/**
 * Client Backpressure / CMAP: a network error (or timeout) while establishing a pooled
 * connection, before the hello's reply (a TCP connect timeout, TLS, hello), is how a server's ingress
 * connection rate limiter sheds load: it gets the SystemOverloadedError and RetryableError
 * labels, so SDAM keeps the server's description and pool and the operation may retry.
 * Monitoring connections are not subject to it (their failures mark the server Unknown).
 */
function labelEstablishmentError(error: unknown, options: ConnectOptions): unknown {
  // A socket that failed to open after connect() returned it (transport/open-failure.ts): as connect() failing.
  if (isOpenFailure(error) && !isNetworkTimeoutError(error)) return error;
  if (error instanceof MongoNetworkError && !options.monitoring) {
    error.addErrorLabel(MongoErrorLabel.SystemOverloadedError);
    error.addErrorLabel(MongoErrorLabel.RetryableError);
  }
  return error;
}

/** A failed handshake closes the connection; network errors get the HandshakeError label. */
function failed(conn: WireConnection, error: unknown): unknown {
  conn.close();
  if (error instanceof MongoNetworkError) error.addErrorLabel(MongoErrorLabel.HandshakeError);
  return error;
}
