/**
 * SCRAM credentials as mongod stores them in `admin.system.users`:
 *   { _id: 'admin.alice', userId: UUID, user: 'alice', db: 'admin',
 *     credentials: { 'SCRAM-SHA-1': { iterationCount, salt, storedKey, serverKey },
 *                    'SCRAM-SHA-256': { ... } },
 *     roles: [{ role, db }] }
 * salt/storedKey/serverKey are base64 strings. SCRAM-SHA-1 derives its keys from
 * hex(md5(user + ':mongo:' + password)); SCRAM-SHA-256 from SASLprep(password).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { UUID } from 'bson';

export const ScramMechanism = Object.freeze({
  ScramSha1: 'SCRAM-SHA-1',
  ScramSha256: 'SCRAM-SHA-256',
} as const);
export type ScramMechanism = (typeof ScramMechanism)[keyof typeof ScramMechanism];

export const isScramMechanism = (m: unknown): m is ScramMechanism =>
  m === ScramMechanism.ScramSha1 || m === ScramMechanism.ScramSha256;

/** mongod's defaults (scramIterationCount / scramSHA256IterationCount). */
export const DEFAULT_ITERATIONS: Readonly<Record<ScramMechanism, number>> = Object.freeze({
  'SCRAM-SHA-1': 10_000,
  'SCRAM-SHA-256': 15_000,
});

export interface ScramCredential {
  readonly iterationCount: number;
  /** base64 */
  readonly salt: string;
  /** base64 H(ClientKey) */
  readonly storedKey: string;
  /** base64 HMAC(SaltedPassword, "Server Key") */
  readonly serverKey: string;
}

export interface SimUserRole {
  readonly role: string;
  readonly db: string;
}

/** A user document shaped like mongod's admin.system.users entries. */
export interface SimUserDocument {
  readonly _id: string;
  readonly userId: UUID;
  readonly user: string;
  readonly db: string;
  /** SCRAM credentials; `external: true` for a `$external` user (X.509), which has none. */
  readonly credentials: Readonly<Partial<Record<ScramMechanism, ScramCredential>>> & { readonly external?: true };
  readonly roles: readonly SimUserRole[];
}

export type NodeHash = 'sha1' | 'sha256';
export const nodeHashOf = (m: ScramMechanism): NodeHash => (m === ScramMechanism.ScramSha1 ? 'sha1' : 'sha256');
const hashLength = (m: ScramMechanism): number => (m === ScramMechanism.ScramSha1 ? 20 : 32);

/**
 * The mapping steps of SASLprep (RFC 4013 §2.1-2.2): non-ASCII spaces to U+0020, "commonly
 * mapped to nothing" removed, NFKC. For any password a client's full SASLprep accepts the
 * result is identical; the prohibition checks (which only reject) are left to the client.
 */
export function saslprepMapping(password: string): string {
  return password
    .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
    .replace(/[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
    .normalize('NFKC');
}

/** The password SCRAM keys derive from (auth spec). */
export function scramPasswordFor(mechanism: ScramMechanism, username: string, password: string): string {
  return mechanism === ScramMechanism.ScramSha1
    ? createHash('md5').update(`${username}:mongo:${password}`, 'utf8').digest('hex')
    : saslprepMapping(password);
}

export interface CreateScramCredentialsOptions {
  /** Required for SCRAM-SHA-1, whose password is md5(user:mongo:password). */
  username?: string;
  /** Fixed salt (tests); default random, hash length - 4 bytes as mongod does. */
  salt?: Uint8Array;
}

export function deriveServerKeys(
  mechanism: ScramMechanism,
  preparedPassword: string,
  salt: Uint8Array,
  iterationCount: number,
): { storedKey: Buffer; serverKey: Buffer } {
  const hash = nodeHashOf(mechanism);
  const salted = pbkdf2Sync(Buffer.from(preparedPassword, 'utf8'), salt, iterationCount, hashLength(mechanism), hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  return {
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: createHmac(hash, salted).update('Server Key').digest(),
  };
}

export function createScramCredentials(
  password: string,
  mechanism: ScramMechanism,
  iterations: number = DEFAULT_ITERATIONS[mechanism],
  options: CreateScramCredentialsOptions = {},
): ScramCredential {
  if (!isScramMechanism(mechanism)) throw new TypeError(`not a SCRAM mechanism: ${String(mechanism)}`);
  if (mechanism === ScramMechanism.ScramSha1 && options.username === undefined) {
    throw new TypeError('SCRAM-SHA-1 credentials need the username (the password is md5(user:mongo:password))');
  }
  if (!Number.isInteger(iterations) || iterations < 4096) throw new RangeError('iterationCount must be an integer >= 4096');
  const salt = options.salt ?? randomBytes(hashLength(mechanism) - 4);
  const prepared = scramPasswordFor(mechanism, options.username ?? '', password);
  const { storedKey, serverKey } = deriveServerKeys(mechanism, prepared, salt, iterations);
  return {
    iterationCount: iterations,
    salt: Buffer.from(salt).toString('base64'),
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
  };
}

export interface CreateUserOptions {
  user: string;
  db: string;
  password: string;
  /** Default both SCRAM mechanisms, as createUser does. */
  mechanisms?: readonly ScramMechanism[];
  roles?: readonly (SimUserRole | string)[];
  iterationCount?: Partial<Record<ScramMechanism, number>>;
}

/** A system.users document, as `createUser` would store it. */
export function createUserDocument(options: CreateUserOptions): SimUserDocument {
  const mechanisms = options.mechanisms ?? [ScramMechanism.ScramSha1, ScramMechanism.ScramSha256];
  if (mechanisms.length === 0) throw new TypeError('at least one mechanism is required');
  const credentials: Partial<Record<ScramMechanism, ScramCredential>> = {};
  for (const m of mechanisms) {
    credentials[m] = createScramCredentials(options.password, m, options.iterationCount?.[m], { username: options.user });
  }
  return {
    _id: `${options.db}.${options.user}`,
    userId: new UUID(),
    user: options.user,
    db: options.db,
    credentials,
    roles: (options.roles ?? []).map((r) => (typeof r === 'string' ? { role: r, db: options.db } : r)),
  };
}
