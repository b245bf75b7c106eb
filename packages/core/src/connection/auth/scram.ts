/**
 * SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) clients as MongoDB speaks them (auth
 * spec): no channel binding (gs2 header "n,,"), user names escaped but not SASLprepped,
 * SCRAM-SHA-1 keyed on hex(md5(user:mongo:password)), SCRAM-SHA-256 on SASLprep(password),
 * minimum 4096 iterations, `options.skipEmptyExchange`, keys cached across connections.
 */
import { MongoAuthError, type Document } from '../../errors.js';
import { base64Decode, base64Encode } from './base64.js';
import { digest, hi, hmac, randomBytes, timingSafeEqual, xor, type AuthCrypto, type ScramHashName } from './crypto.js';
import type { ScramKeyCache, ScramKeys } from './key-cache.js';
import { md5Hex, toHex } from './md5.js';
import { conversationIdOf, fromUtf8, payloadBytes, requirePassword, saslContinue, saslStart, utf8 } from './sasl.js';
import { saslprep } from './saslprep.js';
import { AuthMechanism, type AuthRun } from './types.js';

export const ScramMechanism = Object.freeze({
  ScramSha1: AuthMechanism.MONGODB_SCRAM_SHA1,
  ScramSha256: AuthMechanism.MONGODB_SCRAM_SHA256,
} as const);
export type ScramMechanism = (typeof ScramMechanism)[keyof typeof ScramMechanism];

export const SCRAM_MIN_ITERATIONS = 4096;
/** Bytes of randomness in a client nonce (base64: 32 characters). */
export const SCRAM_NONCE_BYTES = 24;
const GS2_HEADER = 'n,,';
/** base64("n,,") */
const CHANNEL_BINDING = 'biws';

export function isScramMechanism(m: unknown): m is ScramMechanism {
  return m === ScramMechanism.ScramSha1 || m === ScramMechanism.ScramSha256;
}

function hashOf(mechanism: ScramMechanism): ScramHashName {
  return mechanism === ScramMechanism.ScramSha1 ? 'SHA-1' : 'SHA-256';
}

/** RFC 5802 saslname: '=' -> '=3D', ',' -> '=2C'. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The client's first message, kept until the server's first reply arrives. */
export interface ScramClientFirst {
  readonly mechanism: ScramMechanism;
  readonly nonce: string;
  /** client-first-message-bare: "n=<user>,r=<nonce>" */
  readonly bare: string;
}

export function createClientFirst(mechanism: ScramMechanism, username: string, nonce: string): ScramClientFirst {
  return { mechanism, nonce, bare: `n=${escapeSaslName(username)},r=${nonce}` };
}

export function newClientNonce(crypto: AuthCrypto): string {
  return base64Encode(randomBytes(crypto, SCRAM_NONCE_BYTES));
}

export function saslStartCommand(first: ScramClientFirst): Document {
  return { ...saslStart(first.mechanism, utf8(GS2_HEADER + first.bare)), options: { skipEmptyExchange: true } };
}

/** Parse a server message "k=v,k=v" (values may contain '='); throws its "e=<error>". */
function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part.indexOf('=') !== 1) throw new MongoAuthError('malformed SCRAM message from server');
    const key = part[0]!;
    if (!out.has(key)) out.set(key, part.slice(2));
  }
  const error = out.get('e');
  if (error !== undefined) throw new MongoAuthError(`SCRAM server error: ${error}`);
  return out;
}

/** base64 from a server message; `what` names the field in the error. */
function decodeAttribute(text: string, what: string): Uint8Array {
  try {
    return base64Decode(text);
  } catch (cause) {
    throw new MongoAuthError(`malformed SCRAM ${what}`, { cause });
  }
}

export interface ScramServerFirst {
  /** The full server-first-message, part of the AuthMessage. */
  readonly message: string;
  /** Combined nonce (client nonce + server part). */
  readonly nonce: string;
  readonly salt: Uint8Array;
  readonly iterations: number;
}

export function parseServerFirst(message: string, clientNonce: string): ScramServerFirst {
  if (message.startsWith('m=')) throw new MongoAuthError('SCRAM server requires an unsupported extension');
  const attrs = parseAttributes(message);
  const nonce = attrs.get('r');
  const saltText = attrs.get('s');
  const iterText = attrs.get('i');
  if (nonce === undefined || saltText === undefined || iterText === undefined) {
    throw new MongoAuthError('malformed SCRAM server-first-message: missing r, s or i');
  }
  if (!nonce.startsWith(clientNonce) || nonce.length <= clientNonce.length) {
    throw new MongoAuthError('SCRAM server nonce does not extend the client nonce');
  }
  const iterations = Number(iterText);
  if (!/^[0-9]+$/.test(iterText) || !Number.isSafeInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS) {
    throw new MongoAuthError(`SCRAM iteration count ${iterText} is not an integer at or above the minimum of ${SCRAM_MIN_ITERATIONS}`);
  }
  const salt = decodeAttribute(saltText, 'salt');
  if (salt.length === 0) throw new MongoAuthError('malformed SCRAM salt: empty');
  return { message, nonce, salt, iterations };
}

/** The password SCRAM keys are derived from, per mechanism (auth spec). */
export function scramPassword(mechanism: ScramMechanism, username: string, password: string): string {
  if (mechanism === ScramMechanism.ScramSha1) return md5Hex(`${username}:mongo:${password}`);
  try {
    return saslprep(password);
  } catch (cause) {
    // The SASLprep message names the failed rule only; keep it, drop nothing secret.
    throw new MongoAuthError(`password is not valid for SCRAM-SHA-256: ${(cause as Error).message}`);
  }
}

export interface ScramKeyOptions {
  crypto: AuthCrypto;
  cache?: ScramKeyCache | undefined;
}

/** ClientKey and ServerKey from the prepared password, via the cache when possible. */
export async function deriveScramKeys(
  mechanism: ScramMechanism,
  preparedPassword: string,
  salt: Uint8Array,
  iterations: number,
  { crypto, cache }: ScramKeyOptions,
): Promise<ScramKeys> {
  const hash = hashOf(mechanism);
  const passwordBytes = utf8(preparedPassword);
  let cacheKey: string | undefined;
  if (cache) {
    const fingerprint = toHex(await digest(crypto, 'SHA-256', passwordBytes));
    cacheKey = `${mechanism}\u0000${fingerprint}\u0000${base64Encode(salt)}\u0000${iterations}`;
    const hit = cache.get(cacheKey);
    if (hit) return hit;
  }
  const salted = await hi(crypto, hash, passwordBytes, salt, iterations);
  const keys: ScramKeys = {
    clientKey: await hmac(crypto, hash, salted, utf8('Client Key')),
    serverKey: await hmac(crypto, hash, salted, utf8('Server Key')),
  };
  if (cache && cacheKey) cache.set(cacheKey, keys);
  return keys;
}

export interface ScramClientFinal {
  /** client-final-message: "c=biws,r=<nonce>,p=<proof>" */
  readonly message: string;
  readonly expectedServerSignature: Uint8Array;
}

export async function computeClientFinal(
  crypto: AuthCrypto,
  mechanism: ScramMechanism,
  keys: ScramKeys,
  first: ScramClientFirst,
  serverFirst: ScramServerFirst,
): Promise<ScramClientFinal> {
  const hash = hashOf(mechanism);
  const withoutProof = `c=${CHANNEL_BINDING},r=${serverFirst.nonce}`;
  const authMessage = utf8(`${first.bare},${serverFirst.message},${withoutProof}`);
  const storedKey = await digest(crypto, hash, keys.clientKey);
  const clientSignature = await hmac(crypto, hash, storedKey, authMessage);
  const proof = xor(keys.clientKey, clientSignature);
  const expectedServerSignature = await hmac(crypto, hash, keys.serverKey, authMessage);
  return { message: `${withoutProof},p=${base64Encode(proof)}`, expectedServerSignature };
}

/** Check the server-final-message ("v=<signature>" or "e=<error>"). */
export function verifyServerFinal(message: string, expected: Uint8Array): void {
  const v = parseAttributes(message).get('v');
  if (v === undefined) throw new MongoAuthError('malformed SCRAM server-final-message: missing v');
  if (!timingSafeEqual(decodeAttribute(v, 'server signature'), expected)) {
    throw new MongoAuthError('SCRAM server signature is invalid: the server does not know the password');
  }
}

export interface ScramConversationOptions extends ScramKeyOptions {
  /** Continue a speculative conversation: our first message and the server's reply to it. */
  speculative?: { first: ScramClientFirst; reply: Document } | undefined;
}

/** Longest tail of empty saslContinue exchanges accepted after the server signature. */
const MAX_EMPTY_EXCHANGES = 2;

export async function runScramConversation(
  ctx: AuthRun,
  mechanism: ScramMechanism,
  options: ScramConversationOptions,
): Promise<void> {
  const { connection, credentials } = ctx;
  const password = requirePassword(credentials, mechanism);
  const prepared = scramPassword(mechanism, credentials.username, password);
  const db = credentials.source;

  let first: ScramClientFirst;
  let reply: Document;
  if (options.speculative) {
    ({ first, reply } = options.speculative);
  } else {
    first = createClientFirst(mechanism, credentials.username, newClientNonce(options.crypto));
    reply = await connection.command(db, saslStartCommand(first));
  }
  const conversationId = conversationIdOf(reply);
  if (reply.done === true) throw new MongoAuthError('SCRAM server ended the conversation after the first message');
  const serverFirst = parseServerFirst(fromUtf8(payloadBytes(reply.payload)), first.nonce);

  let final: ScramClientFinal;
  try {
    const keys = await deriveScramKeys(mechanism, prepared, serverFirst.salt, serverFirst.iterations, options);
    final = await computeClientFinal(options.crypto, mechanism, keys, first, serverFirst);
  } catch (cause) {
    if (cause instanceof MongoAuthError) throw cause;
    throw new MongoAuthError(`${mechanism} key derivation failed`, { cause });
  }

  reply = await connection.command(db, saslContinue(conversationId, utf8(final.message)));
  verifyServerFinal(fromUtf8(payloadBytes(reply.payload)), final.expectedServerSignature);

  // Servers before 4.4 (or that ignore skipEmptyExchange) want one more, empty, exchange.
  for (let i = 0; reply.done !== true; i++) {
    if (i >= MAX_EMPTY_EXCHANGES) throw new MongoAuthError('SCRAM conversation did not complete');
    reply = await connection.command(db, saslContinue(conversationIdOf(reply), new Uint8Array(0)));
  }
}
