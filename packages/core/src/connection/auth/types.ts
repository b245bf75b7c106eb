import type { Document } from '../../errors.js';
import type { Connection, MongoCredentials } from '../types.js';

/** What a mechanism needs from a freshly handshaken connection. */
export interface AuthRun {
  readonly connection: Pick<Connection, 'command'>;
  readonly credentials: MongoCredentials;
  /** The handshake (hello) reply. */
  readonly hello: Document;
}

/** The `authMechanism` values the specs define, and DEFAULT (negotiate), under the official driver's keys. */
export const AuthMechanism = Object.freeze({
  MONGODB_AWS: 'MONGODB-AWS',
  MONGODB_DEFAULT: 'DEFAULT',
  MONGODB_GSSAPI: 'GSSAPI',
  MONGODB_PLAIN: 'PLAIN',
  MONGODB_SCRAM_SHA1: 'SCRAM-SHA-1',
  MONGODB_SCRAM_SHA256: 'SCRAM-SHA-256',
  MONGODB_X509: 'MONGODB-X509',
  MONGODB_OIDC: 'MONGODB-OIDC',
} as const);
export type AuthMechanism = (typeof AuthMechanism)[keyof typeof AuthMechanism];
