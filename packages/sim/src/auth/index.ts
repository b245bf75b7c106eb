// Server-side authentication for the sim: SCRAM credentials and SASL conversations.
export {
  DEFAULT_ITERATIONS,
  ScramMechanism,
  createScramCredentials,
  createUserDocument,
  deriveServerKeys,
  isScramMechanism,
  saslprepMapping,
  scramPasswordFor,
} from './scram-credentials.js';
export type {
  CreateScramCredentialsOptions,
  CreateUserOptions,
  ScramCredential,
  SimUserDocument,
  SimUserRole,
} from './scram-credentials.js';
export {
  AUTHENTICATION_FAILED,
  SaslServerSession,
  ScramServerConversation,
  ScramServerError,
  payloadOf,
} from './sasl-server.js';
export type {
  AuthenticatedUser,
  SaslServerSessionOptions,
  ScramServerConversationOptions,
  ScramServerStep,
  UserLookup,
} from './sasl-server.js';
export { INTERNAL_DB, INTERNAL_USER, KeyFileError, internalCredentials, internalUserDocument, loadKeyFile, parseKeyFile } from './keyfile.js';
export type { InternalCredentials } from './keyfile.js';
export { authenticateInternal, InternalAuthError } from './internal-client.js';
export { NO_AUTH_REQUIRED, SimAuth, USERS_NS, authOf, configureAuth, isLoopback, peerSubject, rfc2253Subject, userFromStored } from './sim-auth.js';
export type { AuthCounters, SimAuthOptions } from './sim-auth.js';
