/**
 * The authenticator the client uses by default: the same seam as defaultAuthenticator(),
 * whose code (SCRAM, SASLprep and its tables, MD5, X.509, PLAIN) is loaded (cold/index.ts)
 * on the first handshake that carries credentials. Clients without credentials never load it.
 */
import { loadCold } from '../../cold/load.js';
import type { Authenticator } from '../auth-hook.js';

export function lazyAuthenticator(): Authenticator {
  let real: Authenticator | undefined;
  const get = async () => (real ??= (await loadCold()).defaultAuthenticator());
  return {
    speculativeAuthenticate: async (credentials, context) => (await get()).speculativeAuthenticate?.(credentials, context),
    authenticate: async (conn, credentials, hello, speculative) => (await get()).authenticate(conn, credentials, hello, speculative),
  };
}
