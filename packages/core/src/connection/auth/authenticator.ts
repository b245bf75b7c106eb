/**
 * The default authenticator: picks the mechanism from the credentials or negotiates it from
 * the handshake's `saslSupportedMechs`, and speculates (handshake spec) so that SCRAM and
 * X.509 save a round trip when the server accepts the speculation.
 */
import { MongoAuthError, type Document } from '../../errors.js';
import type { MongoCredentials } from '../types.js';
import { defaultAuthCrypto, type AuthCrypto } from './crypto.js';
import { defaultScramKeyCache, type ScramKeyCache } from './key-cache.js';
import { authenticatePlain } from './plain.js';
import { fromUtf8, payloadBytes } from './sasl.js';
import {
  ScramMechanism,
  checkScramCredentials,
  createClientFirst,
  isScramMechanism,
  newClientNonce,
  runScramConversation,
  saslStartCommand,
  scramPassword,
  type ScramClientFirst,
} from './scram.js';
import { AuthMechanism, type AuthContext, type Authenticator } from './types.js';
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

function unsupported(mechanism: string): MongoAuthError {
  const known = (Object.values(AuthMechanism) as string[]).includes(mechanism);
  return new MongoAuthError(
    known
      ? `authentication mechanism ${mechanism} is not supported by mongo-edge`
      : `unknown authentication mechanism ${JSON.stringify(mechanism)}`,
  );
}

/** A safe one-line description of credentials for logs and errors: never the password. */
export function describeCredentials(credentials: MongoCredentials): string {
  const pw = credentials.password === undefined ? 'none' : '<redacted>';
  return `MongoCredentials(username=${JSON.stringify(credentials.username)}, source=${JSON.stringify(credentials.source)}, mechanism=${credentials.mechanism ?? 'negotiate'}, password=${pw})`;
}

interface PendingSpeculation {
  readonly first: ScramClientFirst;
  readonly credentials: MongoCredentials;
}

/** Speculations awaiting their hello reply, per authenticator (bounded; oldest dropped). */
const MAX_PENDING = 32;

class DefaultAuthenticator implements Authenticator {
  readonly #crypto: AuthCrypto | undefined;
  readonly #cache: ScramKeyCache | undefined;
  readonly #pending = new Map<string, PendingSpeculation>();

  constructor(options: AuthenticatorOptions) {
    this.#crypto = options.crypto;
    this.#cache = options.keyCache === null ? undefined : (options.keyCache ?? defaultScramKeyCache);
  }

  get #c(): AuthCrypto {
    return this.#crypto ?? defaultAuthCrypto();
  }

  async prepare(credentials: MongoCredentials): Promise<Document | undefined> {
    // Handshake spec: without a mechanism, speculate with SCRAM-SHA-256.
    const mechanism = normalizeMechanism(credentials.mechanism) ?? ScramMechanism.ScramSha256;
    if (isScramMechanism(mechanism)) {
      const password = checkScramCredentials(credentials, mechanism);
      scramPassword(mechanism, credentials.username, password); // fail before the hello if it cannot be prepared
      const first = createClientFirst(mechanism, credentials.username, newClientNonce(this.#c));
      this.#pending.set(first.nonce, { first, credentials });
      while (this.#pending.size > MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value as string);
      return { ...saslStartCommand(first), db: credentials.source };
    }
    if (mechanism === AuthMechanism.X509) return { ...x509AuthenticateCommand(credentials), db: X509_SOURCE };
    return undefined;
  }

  /** Our pending speculation that the server's speculative reply answers, if any. */
  #takeSpeculation(credentials: MongoCredentials, reply: unknown): { first: ScramClientFirst; reply: Document } | undefined {
    if (reply === null || typeof reply !== 'object') return undefined;
    let serverNonce: string | undefined;
    try {
      const text = fromUtf8(payloadBytes((reply as Document).payload));
      serverNonce = /(?:^|,)r=([^,]*)/.exec(text)?.[1];
    } catch {
      return undefined;
    }
    if (!serverNonce) return undefined;
    for (const [nonce, pending] of this.#pending) {
      if (
        pending.credentials.username === credentials.username &&
        pending.credentials.source === credentials.source &&
        serverNonce.startsWith(nonce)
      ) {
        this.#pending.delete(nonce);
        return { first: pending.first, reply: reply as Document };
      }
    }
    return undefined;
  }

  async authenticate(ctx: AuthContext): Promise<void> {
    const { credentials, hello } = ctx;
    const requested = normalizeMechanism(credentials.mechanism);
    const speculativeReply = hello.speculativeAuthenticate;

    if (requested === undefined || isScramMechanism(requested)) {
      const speculative =
        speculativeReply === undefined ? undefined : this.#takeSpeculation(credentials, speculativeReply);
      const mechanism = speculative?.first.mechanism ?? requested ?? negotiateMechanism(hello);
      if (speculative && requested !== undefined && speculative.first.mechanism !== requested) {
        throw new MongoAuthError('speculative authentication used a different mechanism than requested');
      }
      await runScramConversation(ctx, mechanism, { crypto: this.#c, cache: this.#cache, speculative });
      return;
    }
    switch (requested) {
      case AuthMechanism.X509:
        // An accepted speculative `authenticate` finishes X.509 in the handshake.
        if (speculativeReply !== undefined && speculativeReply !== null) return;
        await authenticateX509(ctx);
        return;
      case AuthMechanism.Plain:
        await authenticatePlain(ctx);
        return;
      default:
        throw unsupported(requested);
    }
  }
}

/** A new authenticator (one per connection, or shared: speculation state is keyed by nonce). */
export function defaultAuthenticator(options: AuthenticatorOptions = {}): Authenticator {
  return new DefaultAuthenticator(options);
}
