/** MONGODB-X509: the TLS client certificate's subject is the user; `authenticate` on $external. */
import { MongoInvalidArgumentError, type Document } from '../../errors.js';
import type { MongoCredentials } from '../types.js';
import type { AuthRun } from './types.js';

export const X509_SOURCE = '$external';

export function x509AuthenticateCommand(credentials: MongoCredentials): Document {
  if (typeof credentials.password === 'string' && credentials.password !== '') {
    throw new MongoInvalidArgumentError('MONGODB-X509 does not take a password');
  }
  const cmd: Document = { authenticate: 1, mechanism: 'MONGODB-X509' };
  // Servers 3.4+ take the user from the certificate; send it only when the application gave one.
  if (credentials.username) cmd.user = credentials.username;
  return cmd;
}

export async function authenticateX509(ctx: AuthRun): Promise<void> {
  await ctx.connection.command(X509_SOURCE, x509AuthenticateCommand(ctx.credentials));
}
