/**
 * Credentials from connection-string / client options, per the Authentication
 * spec's rules for each mechanism (required and forbidden fields, default source,
 * default and allowed mechanism properties). Pure.
 */
import { MongoMissingCredentialsError } from '../errors.js';
import { fail } from './fail.js';
import type { MongoCredentials } from '../connection/types.js';
import { AuthMechanism } from '../connection/auth/types.js';

/**
 * The mechanisms the Authentication spec still defines (MONGODB-CR was removed in MongoDB
 * 4.0), and DEFAULT, which the official driver accepts as "negotiate", as when none is given.
 */
const MECHANISMS: readonly string[] = Object.values(AuthMechanism);
const OIDC_ENVIRONMENTS: readonly unknown[] = ['test', 'azure', 'gcp', 'k8s'];
const OIDC_PROPERTIES: readonly string[] = ['ENVIRONMENT', 'TOKEN_RESOURCE', 'OIDC_CALLBACK', 'OIDC_HUMAN_CALLBACK', 'ALLOWED_HOSTS'];
const GSSAPI_PROPERTIES: readonly string[] = ['SERVICE_NAME', 'CANONICALIZE_HOST_NAME', 'SERVICE_REALM', 'SERVICE_HOST'];
const GSSAPI_CANONICALIZE: readonly string[] = ['true', 'false', 'none', 'forward', 'forwardAndReverse'];
const EXTERNAL = '$external';
const OIDC_CALLBACKS = 'OIDC_CALLBACK or OIDC_HUMAN_CALLBACK';
const USE_AWS_ENVIRONMENT = '; use the AWS environment';

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
  const source = input.authSource;
  const mechanism = input.authMechanism === AuthMechanism.MONGODB_DEFAULT ? undefined : input.authMechanism;
  const props: Record<string, unknown> = { ...input.authMechanismProperties };
  if (source === '') fail('authSource must not be empty');
  if (mechanism === undefined && username === undefined) return undefined;
  if (mechanism !== undefined && !MECHANISMS.includes(mechanism)) {
    fail(`Unsupported authMechanism "${mechanism}"; expected one of ${MECHANISMS.join(', ')}`);
  }
  const requireExternal = (): string => {
    if (source !== undefined && source !== EXTERNAL) fail(`authMechanism ${mechanism} requires authSource "$external" (got "${source}")`);
    return EXTERNAL;
  };
  const missing = (what: string): MongoMissingCredentialsError =>
    new MongoMissingCredentialsError(`authMechanism ${mechanism ?? '(default)'} requires a ${what}`);
  const notAccepted = (what: string): never => fail(`authMechanism ${mechanism} does not accept ${what}`);
  const onlyProperties = (allowed: readonly string[]): void => {
    for (const k of Object.keys(props)) {
      if (!allowed.includes(k)) fail(`Unsupported authMechanismProperties key "${k}" for ${mechanism}`);
    }
  };
  const make = (user: string, src: string, pass?: string, properties: Record<string, unknown> = {}): MongoCredentials =>
    Object.freeze({ username: user, password: pass, source: src, mechanism, mechanismProperties: Object.freeze({ ...properties }) });

  const m = mechanism as Exclude<AuthMechanism, typeof AuthMechanism.MONGODB_DEFAULT> | undefined; // checked against MECHANISMS above
  switch (m) {
    case undefined:
    case AuthMechanism.MONGODB_SCRAM_SHA1:
    case AuthMechanism.MONGODB_SCRAM_SHA256:
    case AuthMechanism.MONGODB_PLAIN: {
      if (!username) throw missing('username');
      if (password === undefined) throw missing('password');
      return make(username, source ?? input.db ?? (m === AuthMechanism.MONGODB_PLAIN ? EXTERNAL : 'admin'), password);
    }
    case AuthMechanism.MONGODB_X509: {
      if (password !== undefined && password !== '') notAccepted('a password');
      return make(username ?? '', requireExternal());
    }
    case AuthMechanism.MONGODB_GSSAPI: {
      if (!username) throw missing('username');
      onlyProperties(GSSAPI_PROPERTIES);
      const canon = props.CANONICALIZE_HOST_NAME;
      if (canon !== undefined && !GSSAPI_CANONICALIZE.includes(String(canon))) {
        fail(`Invalid CANONICALIZE_HOST_NAME "${String(canon)}"; expected one of ${GSSAPI_CANONICALIZE.join(', ')}`);
      }
      return make(username, requireExternal(), password, { SERVICE_NAME: 'mongodb', ...props });
    }
    case AuthMechanism.MONGODB_AWS: {
      // Credentials for MONGODB-AWS come from the environment, never from the connection string.
      if (username !== undefined || password !== undefined) notAccepted(`a username or password${USE_AWS_ENVIRONMENT}`);
      if (props.AWS_SESSION_TOKEN !== undefined) notAccepted(`AWS_SESSION_TOKEN${USE_AWS_ENVIRONMENT}`);
      return make('', requireExternal(), undefined, props);
    }
    case AuthMechanism.MONGODB_OIDC: {
      onlyProperties(OIDC_PROPERTIES);
      if (password !== undefined) notAccepted('a password');
      const env = props.ENVIRONMENT;
      const hasCallback = props.OIDC_CALLBACK !== undefined || props.OIDC_HUMAN_CALLBACK !== undefined;
      if (env === undefined && !hasCallback) fail(`authMechanism MONGODB-OIDC requires ENVIRONMENT, ${OIDC_CALLBACKS}`);
      if (env !== undefined) {
        if (!OIDC_ENVIRONMENTS.includes(env)) {
          fail(`Unsupported MONGODB-OIDC ENVIRONMENT "${String(env)}"; expected one of ${OIDC_ENVIRONMENTS.join(', ')}`);
        }
        if (hasCallback) fail(`MONGODB-OIDC ENVIRONMENT cannot be combined with ${OIDC_CALLBACKS}`);
        if (username !== undefined && env !== 'azure') fail(`MONGODB-OIDC ENVIRONMENT "${String(env)}" does not accept a username`);
        if ((env === 'azure' || env === 'gcp') && props.TOKEN_RESOURCE === undefined) {
          fail(`MONGODB-OIDC ENVIRONMENT "${String(env)}" requires TOKEN_RESOURCE`);
        }
      }
      return make(username ?? '', requireExternal(), undefined, props);
    }
    default: {
      const never: never = m;
      return fail(`Unsupported authMechanism "${String(never)}"`);
    }
  }
}
