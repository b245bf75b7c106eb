/**
 * The default authenticator: picks the mechanism from the credentials or negotiates it from
 * the handshake's `saslSupportedMechs`, and speculates (handshake spec) so that SCRAM and
 * X.509 save a round trip when the server accepts the speculation. Implements the seam of
 * connection/auth-hook.ts.
 */
import { MongoAuthError, type Document } from '../../errors.js';
import type { Authenticator, AuthContext, SpeculativeAuth } from '../auth-hook.js';
import type { Connection, MongoCredentials } from '../types.js';
import { defaultAuthCrypto, type AuthCrypto } from './crypto.js';
import { defaultScramKeyCache, type ScramKeyCache } from './key-cache.js';
import { authenticatePlain } from './plain.js';
import { fromUtf8, payloadBytes, requirePassword } from './sasl.js';
import {
  ScramMechanism,
  createClientFirst,
  isScramMechanism,
  newClientNonce,
  runScramConversation,
  saslStartCommand,
  scramPassword,
  type ScramClientFirst,
} from './scram.js';
import { AuthMechanism } from './types.js';
import { X509_SOURCE, authenticateX509, x509AuthenticateCommand } from './x509.js';

export interface AuthenticatorOptions {
  /** WebCrypto implementation; default `globalThis.crypto`. */
  crypto?: AuthCrypto;
  /** SCRAM key cache; default the process-wide `defaultScramKeyCache`; `null` disables caching. */
  keyCache?: ScramKeyCache | null;
}

/** Auth spec "Default Authentication Methods": SCRAM-SHA-256 if offered, else SCRAM-SHA-1. */
export function negotiateMechanism(hello: Document): ScramMechanism {
  const offered = hello.saslSupportedMechs;
  if (Array.isArray(offered) && offered.includes(ScramMechanism.ScramSha256)) return ScramMechanism.ScramSha256;
  return ScramMechanism.ScramSha1;
}

function normalizeMechanism(mechanism: string | undefined): string | undefined {
  return mechanism === undefined || mechanism === '' ? undefined : mechanism.toUpperCase();
}

/** GSSAPI, MONGODB-AWS, MONGODB-OIDC (defined by the specs, not implemented) or a name no spec defines. */
function unsupported(mechanism: string): MongoAuthError {
  return new MongoAuthError(`authentication mechanism ${JSON.stringify(mechanism)} is not supported by mongo-edge`);
}

/** A safe one-line description of credentials for logs and errors: never the password. */
export function describeCredentials(credentials: MongoCredentials): string {
  const pw = credentials.password === undefined ? 'none' : '<redacted>';
  return `MongoCredentials(username=${JSON.stringify(credentials.username)}, source=${JSON.stringify(credentials.source)}, mechanism=${credentials.mechanism ?? 'negotiate'}, password=${pw})`;
}

/** The private state of a SCRAM speculation, handed back to `authenticate`. */
interface ScramSpeculationState {
  readonly kind: 'scram';
  readonly first: ScramClientFirst;
}

function isScramSpeculationState(state: unknown): state is ScramSpeculationState {
  return (state as Partial<ScramSpeculationState> | null | undefined)?.kind === 'scram';
}

/** Whether the server's speculative reply answers our client-first (its nonce extends ours). */
function answers(first: ScramClientFirst, reply: unknown): reply is Document {
  // Anything but a reply document with a UTF-8 payload fails inside the try.
  try {
    const text = fromUtf8(payloadBytes((reply as Document).payload));
    const nonce = /(?:^|,)r=([^,]*)/.exec(text)?.[1];
    return nonce !== undefined && nonce.startsWith(first.nonce);
  } catch {
    return false;
  }
}

class DefaultAuthenticator implements Authenticator {
  readonly #crypto: AuthCrypto | undefined;
  readonly #cache: ScramKeyCache | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#crypto = options.crypto;
    this.#cache = options.keyCache === null ? undefined : (options.keyCache ?? defaultScramKeyCache);
  }

  get #c(): AuthCrypto {
    return this.#crypto ?? defaultAuthCrypto();
  }

  async speculativeAuthenticate(credentials: MongoCredentials, _context?: AuthContext): Promise<SpeculativeAuth | undefined> {
    // Handshake spec: without a mechanism, speculate with SCRAM-SHA-256.
    const mechanism = normalizeMechanism(credentials.mechanism) ?? ScramMechanism.ScramSha256;
    if (isScramMechanism(mechanism)) {
      const password = requirePassword(credentials, mechanism);
      scramPassword(mechanism, credentials.username, password); // fail before the hello if it cannot be prepared
      const first = createClientFirst(mechanism, credentials.username, newClientNonce(this.#c));
      const state: ScramSpeculationState = { kind: 'scram', first };
      return { document: { ...saslStartCommand(first), db: credentials.source }, state };
    }
    if (mechanism === AuthMechanism.MONGODB_X509) {
      return { document: { ...x509AuthenticateCommand(credentials), db: X509_SOURCE } };
    }
    return undefined;
  }

  async authenticate(
    conn: Pick<Connection, 'command'>,
    credentials: MongoCredentials,
    helloReply: Document,
    speculative?: SpeculativeAuth,
  ): Promise<void> {
    const run = { connection: conn, credentials, hello: helloReply };
    const requested = normalizeMechanism(credentials.mechanism);
    const speculativeReply = helloReply.speculativeAuthenticate;

    if (requested === undefined || isScramMechanism(requested)) {
      const state = speculative?.state;
      const resumed =
        isScramSpeculationState(state) && answers(state.first, speculativeReply)
          ? { first: state.first, reply: speculativeReply }
          : undefined;
      // A speculation the server accepted fixes the mechanism (SCRAM-SHA-256 when negotiating).
      const mechanism = resumed?.first.mechanism ?? requested ?? negotiateMechanism(helloReply);
      await runScramConversation(run, mechanism, { crypto: this.#c, cache: this.#cache, speculative: resumed });
      return;
    }
    switch (requested) {
      case AuthMechanism.MONGODB_X509:
        // An accepted speculative `authenticate` finishes X.509 within the handshake.
        if (speculative && speculativeReply !== undefined && speculativeReply !== null) return;
        await authenticateX509(run);
        return;
      case AuthMechanism.MONGODB_PLAIN:
        await authenticatePlain(run);
        return;
      default:
        throw unsupported(requested);
    }
  }
}

/** An authenticator for connect(); stateless between connections (speculation state rides in SpeculativeAuth). */
export function defaultAuthenticator(options: AuthenticatorOptions = {}): Authenticator {
  return new DefaultAuthenticator(options);
}
