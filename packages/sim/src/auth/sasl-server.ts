/**
 * The server side of MongoDB's SASL conversations (saslStart / saslContinue, speculative
 * authentication in hello, saslSupportedMechs) for SCRAM-SHA-1, SCRAM-SHA-256, and optionally
 * PLAIN; MONGODB-X509 through `authenticate` given the client certificate's subject. Pure:
 * the sim's dispatcher feeds commands in and sends the returned documents back.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Binary } from 'bson';
import {
  deriveServerKeys,
  isScramMechanism,
  nodeHashOf,
  scramPasswordFor,
  ScramMechanism,
  type ScramCredential,
  type SimUserDocument,
} from './scram-credentials.js';

type Document = Record<string, unknown>;

/** Finds a user by authentication database and name (exact bytes, no normalization). */
export type UserLookup = (db: string, user: string) => SimUserDocument | undefined;

export const AUTHENTICATION_FAILED: Readonly<Document> = Object.freeze({
  ok: 0,
  errmsg: 'Authentication failed.',
  code: 18,
  codeName: 'AuthenticationFailed',
});

const failure = (): Document => ({ ...AUTHENTICATION_FAILED });
const error = (code: number, codeName: string, errmsg: string): Document => ({ ok: 0, errmsg, code, codeName });

/** A SCRAM step the client got wrong: the conversation ends with AuthenticationFailed. */
export class ScramServerError extends Error {
  override get name(): string {
    return 'ScramServerError';
  }
}

export interface ScramServerStep {
  readonly payload: Uint8Array;
  readonly done: boolean;
}

export interface ScramServerConversationOptions {
  mechanism: ScramMechanism;
  /** Authentication database. */
  db: string;
  lookupUser: UserLookup;
  /** saslStart `options.skipEmptyExchange`: finish with the server signature (4.4+). */
  skipEmptyExchange?: boolean;
  random?: (n: number) => Uint8Array;
  /** The server's part of the nonce (tests); default base64 of 24 random bytes. */
  serverNonce?: () => string;
}

type ScramState = 'first' | 'final' | 'empty' | 'done' | 'failed';

function unescapeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramServerError('invalid saslname escape');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** One SCRAM conversation, step by step. Any bad step throws ScramServerError and fails it. */
export class ScramServerConversation {
  readonly mechanism: ScramMechanism;
  readonly db: string;
  #state: ScramState = 'first';
  #user: SimUserDocument | undefined;
  #credential: ScramCredential | undefined;
  #gs2Header = '';
  #clientFirstBare = '';
  #serverFirst = '';
  #nonce = '';
  readonly #options: ScramServerConversationOptions;

  constructor(options: ScramServerConversationOptions) {
    this.mechanism = options.mechanism;
    this.db = options.db;
    this.#options = options;
  }

  get state(): ScramState {
    return this.#state;
  }

  /** The user, once the conversation is done. */
  get user(): SimUserDocument | undefined {
    return this.#state === 'done' ? this.#user : undefined;
  }

  step(payload: Uint8Array): ScramServerStep {
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
      switch (this.#state) {
        case 'first':
          return this.#first(text);
        case 'final':
          return this.#final(text);
        case 'empty':
          if (payload.length !== 0) throw new ScramServerError('expected an empty final exchange');
          this.#state = 'done';
          return { payload: new Uint8Array(0), done: true };
        case 'done':
        case 'failed':
          throw new ScramServerError('conversation is over');
        default: {
          const never: never = this.#state;
          throw new ScramServerError(`bad state ${String(never)}`);
        }
      }
    } catch (e) {
      this.#state = 'failed';
      throw e instanceof ScramServerError ? e : new ScramServerError((e as Error).message);
    }
  }

  #first(message: string): ScramServerStep {
    // gs2-header: cbind-flag "," [authzid] ","
    const c1 = message.indexOf(',');
    const c2 = message.indexOf(',', c1 + 1);
    if (c1 < 0 || c2 < 0) throw new ScramServerError('malformed client-first-message');
    const cbind = message.slice(0, c1);
    if (cbind !== 'n' && cbind !== 'y') throw new ScramServerError('channel binding is not supported');
    const authzid = message.slice(c1 + 1, c2);
    this.#gs2Header = message.slice(0, c2 + 1);
    this.#clientFirstBare = message.slice(c2 + 1);
    const parts = this.#clientFirstBare.split(',');
    if (parts[0]?.startsWith('m=')) throw new ScramServerError('unsupported mandatory extension');
    if (!parts[0]?.startsWith('n=') || !parts[1]?.startsWith('r=')) throw new ScramServerError('malformed client-first-message-bare');
    const username = unescapeSaslName(parts[0].slice(2));
    if (authzid !== '' && authzid !== `a=${parts[0].slice(2)}`) throw new ScramServerError('authzid differs from the user');
    const clientNonce = parts[1].slice(2);
    if (clientNonce.length === 0 || /[^\x21-\x2b\x2d-\x7e]/.test(clientNonce)) throw new ScramServerError('bad client nonce');

    const user = this.#options.lookupUser(this.db, username);
    const credential = user?.credentials[this.mechanism];
    if (!user || !credential) throw new ScramServerError('unknown user or mechanism');
    this.#user = user;
    this.#credential = credential;
    const random = this.#options.random ?? ((n: number) => randomBytes(n));
    this.#nonce = clientNonce + (this.#options.serverNonce?.() ?? Buffer.from(random(24)).toString('base64'));
    this.#serverFirst = `r=${this.#nonce},s=${credential.salt},i=${credential.iterationCount}`;
    this.#state = 'final';
    return { payload: Buffer.from(this.#serverFirst, 'utf8'), done: false };
  }

  #final(message: string): ScramServerStep {
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramServerError('client-final-message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = new Map<string, string>();
    for (const part of withoutProof.split(',')) {
      if (part[1] !== '=') throw new ScramServerError('malformed client-final-message');
      attrs.set(part[0]!, part.slice(2));
    }
    if (attrs.get('c') !== Buffer.from(this.#gs2Header, 'utf8').toString('base64')) throw new ScramServerError('channel binding mismatch');
    if (attrs.get('r') !== this.#nonce) throw new ScramServerError('nonce mismatch');
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');

    const credential = this.#credential!;
    const hash = nodeHashOf(this.mechanism);
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(credential.storedKey, 'base64');
    const clientSignature = createHmac(hash, storedKey).update(authMessage, 'utf8').digest();
    if (proof.length !== clientSignature.length) throw new ScramServerError('bad proof length');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(createHash(hash).update(clientKey).digest(), storedKey)) throw new ScramServerError('wrong proof');

    const serverSignature = createHmac(hash, Buffer.from(credential.serverKey, 'base64')).update(authMessage, 'utf8').digest();
    const done = this.#options.skipEmptyExchange === true;
    this.#state = done ? 'done' : 'empty';
    return { payload: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), done };
  }
}

/** Bytes of a command's `payload`: BSON Binary, raw bytes, or a base64 string. */
export function payloadOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (value !== null && typeof value === 'object') {
    const b = value as { buffer?: unknown; position?: unknown };
    if (b.buffer instanceof Uint8Array && typeof b.position === 'number') return b.buffer.subarray(0, b.position);
  }
  return undefined;
}

export interface AuthenticatedUser {
  readonly user: string;
  readonly db: string;
  readonly mechanism: string;
}

export interface SaslServerSessionOptions {
  lookupUser: UserLookup;
  /** Mechanisms saslStart accepts; default SCRAM-SHA-1, SCRAM-SHA-256. Add 'PLAIN' to allow it. */
  mechanisms?: readonly string[];
  /** The TLS client certificate's subject (RFC 2253), enabling MONGODB-X509. */
  clientCertificateSubject?: string;
  /** MONGODB-X509 needs a `$external` user named by the subject (mongod); default: any subject. */
  requireX509User?: boolean;
  random?: (n: number) => Uint8Array;
}

interface Conversation {
  readonly id: number;
  readonly db: string;
  readonly scram: ScramServerConversation;
}

/** Authentication state of one client connection. */
export class SaslServerSession {
  readonly #options: SaslServerSessionOptions;
  #nextConversationId = 1;
  #conversation: Conversation | undefined;
  #authenticated: AuthenticatedUser[] = [];

  constructor(options: SaslServerSessionOptions) {
    this.#options = options;
  }

  get authenticatedUsers(): readonly AuthenticatedUser[] {
    return this.#authenticated;
  }

  get mechanisms(): readonly string[] {
    return this.#options.mechanisms ?? [ScramMechanism.ScramSha1, ScramMechanism.ScramSha256];
  }

  /** `logout`: forget the authenticated user and any conversation in progress. */
  logout(): void {
    this.#authenticated = [];
    this.#conversation = undefined;
  }

  #succeed(user: string, db: string, mechanism: string): void {
    this.#authenticated = [{ user, db, mechanism }];
  }

  /** `saslStart` on database `db`. */
  saslStart(db: string, cmd: Document): Document {
    const mechanism = cmd.mechanism;
    if (typeof mechanism !== 'string') return error(2, 'BadValue', 'saslStart requires a mechanism');
    if (!this.mechanisms.includes(mechanism)) {
      return error(334, 'MechanismUnavailable', `Received authentication for mechanism ${mechanism} which is not enabled`);
    }
    const payload = payloadOf(cmd.payload);
    if (!payload) return error(14, 'TypeMismatch', 'saslStart payload must be BinData');
    this.#conversation = undefined;
    const id = this.#nextConversationId++;
    if (mechanism === 'PLAIN') return this.#plain(db, id, payload);
    if (!isScramMechanism(mechanism)) {
      return error(334, 'MechanismUnavailable', `Received authentication for mechanism ${mechanism} which is not supported`);
    }
    const options = cmd.options as Document | undefined;
    const scram = new ScramServerConversation({
      mechanism,
      db,
      lookupUser: this.#options.lookupUser,
      skipEmptyExchange: options?.skipEmptyExchange === true,
      ...(this.#options.random ? { random: this.#options.random } : {}),
    });
    return this.#step({ id, db, scram }, payload);
  }

  /** `saslContinue` on database `db`. */
  saslContinue(db: string, cmd: Document): Document {
    const conv = this.#conversation;
    if (!conv) return error(17, 'ProtocolError', 'No SASL session state found');
    if (Number(cmd.conversationId) !== conv.id) {
      this.#conversation = undefined;
      return error(17, 'ProtocolError', 'sasl: Mismatched conversation id');
    }
    if (db !== conv.db) {
      this.#conversation = undefined;
      return error(17, 'ProtocolError', 'sasl: Mismatched database name');
    }
    const payload = payloadOf(cmd.payload);
    if (!payload) return error(14, 'TypeMismatch', 'saslContinue payload must be BinData');
    return this.#step(conv, payload);
  }

  #step(conv: Conversation, payload: Uint8Array): Document {
    let step: ScramServerStep;
    try {
      step = conv.scram.step(payload);
    } catch (e) {
      if (!(e instanceof ScramServerError)) throw e;
      this.#conversation = undefined;
      return failure();
    }
    if (step.done) {
      this.#conversation = undefined;
      const user = conv.scram.user!;
      this.#succeed(user.user, user.db, conv.scram.mechanism);
    } else {
      this.#conversation = conv;
    }
    return { conversationId: conv.id, done: step.done, payload: new Binary(step.payload, Binary.SUBTYPE_DEFAULT), ok: 1 };
  }

  /** PLAIN ("[authzid]\0user\0password"), checked against the user's SCRAM-SHA-256 (else SHA-1) credential. */
  #plain(db: string, id: number, payload: Uint8Array): Document {
    const parts = Buffer.from(payload).toString('utf8').split('\u0000');
    if (parts.length !== 3) return failure();
    const [authzid, username, password] = parts as [string, string, string];
    if (authzid !== '' && authzid !== username) return failure();
    const user = this.#options.lookupUser(db, username);
    const mechanism = user?.credentials['SCRAM-SHA-256'] ? ScramMechanism.ScramSha256 : ScramMechanism.ScramSha1;
    const credential = user?.credentials[mechanism];
    if (!user || !credential) return failure();
    const { storedKey } = deriveServerKeys(
      mechanism,
      scramPasswordFor(mechanism, username, password),
      Buffer.from(credential.salt, 'base64'),
      credential.iterationCount,
    );
    if (!timingSafeEqual(storedKey, Buffer.from(credential.storedKey, 'base64'))) return failure();
    this.#succeed(user.user, user.db, 'PLAIN');
    return { conversationId: id, done: true, payload: new Binary(new Uint8Array(0), Binary.SUBTYPE_DEFAULT), ok: 1 };
  }

  /** `authenticate` (MONGODB-X509 only) on database `db`. */
  authenticate(db: string, cmd: Document): Document {
    if (cmd.mechanism !== 'MONGODB-X509') {
      return error(334, 'MechanismUnavailable', `Received authentication for mechanism ${String(cmd.mechanism)} which is not enabled`);
    }
    if (db !== '$external') return error(2, 'BadValue', 'X.509 authentication must always use the $external database.');
    const subject = this.#options.clientCertificateSubject;
    if (subject === undefined) return failure();
    if (cmd.user !== undefined && cmd.user !== subject) return failure();
    if (this.#options.requireX509User && !this.#options.lookupUser('$external', subject)) {
      return error(11, 'UserNotFound', `Could not find user "${subject}" for db "$external"`);
    }
    this.#succeed(subject, '$external', 'MONGODB-X509');
    return { dbname: '$external', user: subject, ok: 1 };
  }

  /**
   * Fields to merge into a hello reply: `saslSupportedMechs` for `hello.saslSupportedMechs`
   * ("db.user"; omitted for unknown users) and `speculativeAuthenticate` when the hello's
   * speculation succeeded (a failed speculation is silently omitted, as mongod does).
   */
  helloFields(hello: Document): Document {
    const out: Document = {};
    const mechsFor = hello.saslSupportedMechs;
    if (typeof mechsFor === 'string') {
      const dot = mechsFor.indexOf('.');
      const user = dot > 0 ? this.#options.lookupUser(mechsFor.slice(0, dot), mechsFor.slice(dot + 1)) : undefined;
      if (user) out.saslSupportedMechs = Object.keys(user.credentials).filter((m) => this.mechanisms.includes(m));
    }
    const spec = hello.speculativeAuthenticate;
    if (spec !== null && typeof spec === 'object') {
      const doc = spec as Document;
      const db = typeof doc.db === 'string' ? doc.db : undefined;
      let reply: Document | undefined;
      if (db !== undefined && doc.saslStart !== undefined) reply = this.saslStart(db, doc);
      else if (db !== undefined && doc.authenticate !== undefined) reply = this.authenticate(db, doc);
      if (reply?.ok === 1) {
        const { ok: _ok, ...rest } = reply;
        out.speculativeAuthenticate = rest;
      }
    }
    return out;
  }
}
