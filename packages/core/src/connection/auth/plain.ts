/** PLAIN (RFC 4616) for LDAP through `$external`: one saslStart carrying "\0user\0password". */
import { MongoAuthError, MongoMissingCredentialsError, type Document } from '../../errors.js';
import type { MongoCredentials } from '../types.js';
import { binaryPayload, utf8 } from './sasl.js';
import type { AuthRun } from './types.js';

export function plainSaslStart(credentials: MongoCredentials): Document {
  if (!credentials.username) throw new MongoMissingCredentialsError('PLAIN requires a username');
  if (typeof credentials.password !== 'string') throw new MongoMissingCredentialsError('PLAIN requires a password');
  return {
    saslStart: 1,
    mechanism: 'PLAIN',
    payload: binaryPayload(utf8(`\u0000${credentials.username}\u0000${credentials.password}`)),
    autoAuthorize: 1,
  };
}

export async function authenticatePlain(ctx: AuthRun): Promise<void> {
  const reply = await ctx.connection.command(ctx.credentials.source, plainSaslStart(ctx.credentials));
  if (reply.done !== true) throw new MongoAuthError('PLAIN conversation did not complete in one step');
}
