/** PLAIN (RFC 4616) for LDAP through `$external`: one saslStart carrying "\0user\0password". */
import { MongoAuthError, type Document } from '../../errors.js';
import type { MongoCredentials } from '../types.js';
import { requirePassword, saslStart, utf8 } from './sasl.js';
import type { AuthRun } from './types.js';

export function plainSaslStart(credentials: MongoCredentials): Document {
  const password = requirePassword(credentials, 'PLAIN');
  return saslStart('PLAIN', utf8(`\u0000${credentials.username}\u0000${password}`));
}

export async function authenticatePlain(ctx: AuthRun): Promise<void> {
  const reply = await ctx.connection.command(ctx.credentials.source, plainSaslStart(ctx.credentials));
  if (reply.done !== true) throw new MongoAuthError('PLAIN conversation did not complete in one step');
}
