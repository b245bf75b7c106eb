/**
 * Credentials from connection-string / client options, per the Authentication
 * spec's rules for each mechanism (required and forbidden fields, default source,
 * default and allowed mechanism properties). Pure.
 */
import { MongoMissingCredentialsError, MongoParseError } from '../errors.js';
import type { MongoCredentials } from '../connection/types.js';

export const AuthMechanism = Object.freeze({
  SCRAM_SHA_1: 'SCRAM-SHA-1',
  SCRAM_SHA_256: 'SCRAM-SHA-256',
  MONGODB_X509: 'MONGODB-X509',
  GSSAPI: 'GSSAPI',
  PLAIN: 'PLAIN',
  MONGODB_AWS: 'MONGODB-AWS',
  MONGODB_OIDC: 'MONGODB-OIDC',
} as const);
export type AuthMechanism = (typeof AuthMechanism)[keyof typeof AuthMechanism];

const MECHANISMS = new Set<string>(Object.values(AuthMechanism));
const OIDC_ENVIRONMENTS = new Set(['test', 'azure', 'gcp', 'k8s']);
const OIDC_PROPERTIES = new Set(['ENVIRONMENT', 'TOKEN_RESOURCE', 'OIDC_CALLBACK', 'OIDC_HUMAN_CALLBACK', 'ALLOWED_HOSTS']);
const GSSAPI_PROPERTIES = new Set(['SERVICE_NAME', 'CANONICALIZE_HOST_NAME', 'SERVICE_REALM', 'SERVICE_HOST']);
const GSSAPI_CANONICALIZE = new Set(['true', 'false', 'none', 'forward', 'forwardAndReverse']);
const EXTERNAL = '$external';

export interface CredentialInput {
  readonly username?: string | null | undefined;
  readonly password?: string | null | undefined;
  /** The authSource option. */
  readonly authSource?: string | undefined;
  /** The auth database from the connection string path. */
  readonly db?: string | null | undefined;
  readonly authMechanism?: string | undefined;
  readonly authMechanismProperties?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Builds and validates credentials, or returns undefined when neither a username
 * nor a mechanism is given (an auth database or authSource alone does not ask for
 * authentication). Throws MongoParseError / MongoMissingCredentialsError.
 */
export function buildCredentials(input: CredentialInput): MongoCredentials | undefined {
  const username = input.username ?? undefined;
  const password = input.password ?? undefined;
  const mechanism = input.authMechanism;
  const props: Record<string, unknown> = { ...(input.authMechanismProperties ?? {}) };
  if (input.authSource === '') throw new MongoParseError('authSource must not be empty');
  if (mechanism === undefined && username === undefined) return undefined;
  if (mechanism !== undefined && !MECHANISMS.has(mechanism)) {
    throw new MongoParseError(`Unsupported authMechanism "${mechanism}"; expected one of ${[...MECHANISMS].join(', ')}`);
  }
  const source = input.authSource;
  const requireExternal = (): string => {
    if (source !== undefined && source !== EXTERNAL) {
      throw new MongoParseError(`authMechanism ${mechanism} requires authSource "$external" (got "${source}")`);
    }
    return EXTERNAL;
  };
  const requireUsername = (): string => {
    if (!username) throw new MongoMissingCredentialsError(`authMechanism ${mechanism ?? '(default)'} requires a username`);
    return username;
  };
  const requirePassword = (): string => {
    if (password === undefined) throw new MongoMissingCredentialsError(`authMechanism ${mechanism ?? '(default)'} requires a password`);
    return password;
  };
  const make = (c: { username: string; password?: string | undefined; source: string; properties?: Record<string, unknown> }): MongoCredentials =>
    Object.freeze({
      username: c.username,
      password: c.password,
      source: c.source,
      mechanism,
      mechanismProperties: Object.freeze({ ...(c.properties ?? {}) }),
    });

  const m = mechanism as AuthMechanism | undefined; // checked against MECHANISMS above
  switch (m) {
    case undefined:
    case AuthMechanism.SCRAM_SHA_1:
    case AuthMechanism.SCRAM_SHA_256: {
      const u = requireUsername();
      const p = requirePassword();
      return make({ username: u, password: p, source: source ?? input.db ?? 'admin' });
    }
    case AuthMechanism.PLAIN: {
      const u = requireUsername();
      const p = requirePassword();
      return make({ username: u, password: p, source: source ?? input.db ?? EXTERNAL });
    }
    case AuthMechanism.MONGODB_X509: {
      if (password !== undefined && password !== '') throw new MongoParseError('authMechanism MONGODB-X509 does not accept a password');
      return make({ username: username ?? '', source: requireExternal() });
    }
    case AuthMechanism.GSSAPI: {
      const u = requireUsername();
      for (const k of Object.keys(props)) {
        if (!GSSAPI_PROPERTIES.has(k)) throw new MongoParseError(`Unsupported authMechanismProperties key "${k}" for GSSAPI`);
      }
      const canon = props.CANONICALIZE_HOST_NAME;
      if (canon !== undefined && !GSSAPI_CANONICALIZE.has(String(canon))) {
        throw new MongoParseError(`Invalid CANONICALIZE_HOST_NAME "${String(canon)}"; expected one of ${[...GSSAPI_CANONICALIZE].join(', ')}`);
      }
      return make({ username: u, password, source: requireExternal(), properties: { SERVICE_NAME: 'mongodb', ...props } });
    }
    case AuthMechanism.MONGODB_AWS: {
      // Credentials for MONGODB-AWS come from the environment, never from the connection string.
      if (username !== undefined || password !== undefined) {
        throw new MongoParseError('authMechanism MONGODB-AWS does not accept a username or password; use the AWS environment');
      }
      if (props.AWS_SESSION_TOKEN !== undefined) {
        throw new MongoParseError('authMechanism MONGODB-AWS does not accept AWS_SESSION_TOKEN; use the AWS environment');
      }
      return make({ username: '', source: requireExternal(), properties: props });
    }
    case AuthMechanism.MONGODB_OIDC: {
      for (const k of Object.keys(props)) {
        if (!OIDC_PROPERTIES.has(k)) throw new MongoParseError(`Unsupported authMechanismProperties key "${k}" for MONGODB-OIDC`);
      }
      if (password !== undefined) throw new MongoParseError('authMechanism MONGODB-OIDC does not accept a password');
      const env = props.ENVIRONMENT;
      const hasCallback = props.OIDC_CALLBACK !== undefined || props.OIDC_HUMAN_CALLBACK !== undefined;
      if (env === undefined && !hasCallback) {
        throw new MongoParseError('authMechanism MONGODB-OIDC requires ENVIRONMENT, OIDC_CALLBACK or OIDC_HUMAN_CALLBACK');
      }
      if (env !== undefined) {
        if (typeof env !== 'string' || !OIDC_ENVIRONMENTS.has(env)) {
          throw new MongoParseError(`Unsupported MONGODB-OIDC ENVIRONMENT "${String(env)}"; expected one of ${[...OIDC_ENVIRONMENTS].join(', ')}`);
        }
        if (hasCallback) throw new MongoParseError('MONGODB-OIDC ENVIRONMENT cannot be combined with OIDC_CALLBACK or OIDC_HUMAN_CALLBACK');
        if (username !== undefined && env !== 'azure') {
          throw new MongoParseError(`MONGODB-OIDC ENVIRONMENT "${env}" does not accept a username`);
        }
        if ((env === 'azure' || env === 'gcp') && props.TOKEN_RESOURCE === undefined) {
          throw new MongoParseError(`MONGODB-OIDC ENVIRONMENT "${env}" requires TOKEN_RESOURCE`);
        }
      }
      return make({ username: username ?? '', source: requireExternal(), properties: props });
    }
    default: {
      const never: never = m;
      throw new MongoParseError(`Unsupported authMechanism "${String(never)}"`);
    }
  }
}
