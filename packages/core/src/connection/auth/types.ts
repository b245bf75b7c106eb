import type { Document } from '../../errors.js';
import type { Connection, MongoCredentials } from '../types.js';

/** What an authenticator needs from a freshly handshaken connection. */
export interface AuthContext {
  connection: Pick<Connection, 'command'>;
  credentials: MongoCredentials;
  /** The handshake (hello) reply. */
  hello: Document;
}

export interface Authenticator {
  /** Document to send as `speculativeAuthenticate` in the hello, or undefined. */
  prepare?(credentials: MongoCredentials): Promise<Document | undefined>;
  /** Finish authentication; `hello.speculativeAuthenticate` holds the server's first reply if the speculation was accepted. */
  authenticate(ctx: AuthContext): Promise<void>;
}

/** Mechanism names the specs define (`authMechanism` values). */
export const AuthMechanism = Object.freeze({
  ScramSha1: 'SCRAM-SHA-1',
  ScramSha256: 'SCRAM-SHA-256',
  Plain: 'PLAIN',
  X509: 'MONGODB-X509',
  MongoDbCr: 'MONGODB-CR',
  Gssapi: 'GSSAPI',
  Aws: 'MONGODB-AWS',
  Oidc: 'MONGODB-OIDC',
} as const);
export type AuthMechanism = (typeof AuthMechanism)[keyof typeof AuthMechanism];
