// Authentication: SCRAM-SHA-256 / SCRAM-SHA-1 on WebCrypto, PLAIN, MONGODB-X509.
export type { Authenticator, AuthContext, SpeculativeAuth } from '../auth-hook.js';
export { AuthMechanism } from './types.js';
export type { AuthRun } from './types.js';
export { defaultAuthenticator, describeCredentials, negotiateMechanism } from './authenticator.js';
export type { AuthenticatorOptions } from './authenticator.js';
export type { AuthCrypto } from './crypto.js';
export { ScramKeyCache, defaultScramKeyCache } from './key-cache.js';
export type { ScramKeys } from './key-cache.js';
export {
  ScramMechanism,
  SCRAM_MIN_ITERATIONS,
  computeClientFinal,
  createClientFirst,
  deriveScramKeys,
  escapeSaslName,
  parseServerFirst,
  runScramConversation,
  scramPassword,
  verifyServerFinal,
} from './scram.js';
export type { ScramClientFirst, ScramClientFinal, ScramServerFirst } from './scram.js';
export { saslprep } from './saslprep.js';
export type { SaslprepOptions } from './saslprep.js';
export { md5, md5Hex } from './md5.js';
export { base64Decode, base64Encode } from './base64.js';
