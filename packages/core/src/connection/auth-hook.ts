/**
 * The seam between the handshake (connection/connect.ts) and authentication
 * (connection/auth/, implemented separately). connect() calls an injected
 * `Authenticator` when credentials are given and the connection is not a
 * monitoring connection.
 *
 * Order inside connect():
 *   1. `speculativeAuthenticate?(credentials, context)`; a returned document is
 *      sent as `speculativeAuthenticate` inside the hello command;
 *   2. hello round trip;
 *   3. `authenticate(conn, credentials, helloReply, speculative)`: the reply's
 *      `speculativeAuthenticate` field (if any) is in `helloReply`, and whatever
 *      step 1 returned comes back as `speculative` (e.g. the SCRAM client nonce).
 */
import type { Document } from '../errors.js';
import type { Connection, MongoCredentials } from './types.js';

export interface SpeculativeAuth {
  /** Sent as `speculativeAuthenticate` in the hello command. */
  readonly document: Document;
  /** Private state handed back to `authenticate` (e.g. the first SCRAM message). */
  readonly state?: unknown;
}

export interface AuthContext {
  /** "host:port" of the server. */
  readonly address: string;
}

export interface Authenticator {
  /** Optional speculative authentication for the hello (auth spec). */
  speculativeAuthenticate?(credentials: MongoCredentials, context: AuthContext): Promise<SpeculativeAuth | undefined>;
  /**
   * Finish (or run) authentication on a connection whose hello succeeded.
   * Rejects with MongoAuthError / MongoServerError / MongoNetworkError.
   */
  authenticate(
    conn: Connection,
    credentials: MongoCredentials,
    helloReply: Document,
    speculative?: SpeculativeAuth,
  ): Promise<void>;
}
