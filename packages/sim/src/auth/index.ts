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
