import type { Document } from '../../errors.js';
import type { Connection, MongoCredentials } from '../types.js';

/** What a mechanism needs from a freshly handshaken connection. */
export interface AuthRun {
  readonly connection: Pick<Connection, 'command'>;
  readonly credentials: MongoCredentials;
  /** The handshake (hello) reply. */
  readonly hello: Document;
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
