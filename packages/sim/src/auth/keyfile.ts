/**
 * `--keyFile`: internal (member to member) authentication with a shared key, as mongod does
 * it. The key is the file's contents without whitespace: 6 to 1024 characters of the base64
 * alphabet (no '=' padding), and on POSIX the file must not be accessible by group or others.
 * Members authenticate to each other as `__system` on `local` with SCRAM, using the key as
 * the password (SCRAM-SHA-1 digests it as md5("__system:mongo:" + key), like any user).
 */
import { readFileSync, statSync } from 'node:fs';
import { UUID } from 'bson';
import { createScramCredentials, ScramMechanism, type SimUserDocument } from './scram-credentials.js';

export const INTERNAL_USER = '__system';
export const INTERNAL_DB = 'local';
const MIN_KEY = 6;
const MAX_KEY = 1024;

export class KeyFileError extends Error {
  override get name(): string {
    return 'KeyFileError';
  }
}

/** Validates keyfile contents and returns the key (whitespace removed). `path` names it in errors. */
export function parseKeyFile(contents: string, path = '<keyFile>'): string {
  const key = contents.replace(/\s+/g, '');
  if (key.length < MIN_KEY || key.length > MAX_KEY) {
    throw new KeyFileError(`security key in ${path} has length ${key.length}, must be between ${MIN_KEY} and ${MAX_KEY} chars`);
  }
  const bad = /[^A-Za-z0-9+/]/.exec(key);
  if (bad) throw new KeyFileError(`invalid char in key file ${path}: ${bad[0]}`);
  return key;
}

/** Reads and validates a keyfile; refuses one that group or others may access (POSIX). */
export function loadKeyFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new KeyFileError(`error getting file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw new KeyFileError(`permissions on ${path} are too open`);
  return parseKeyFile(readFileSync(path, 'utf8'), path);
}

/** What a member's internal client authenticates with (the driver's MongoCredentials shape). */
export interface InternalCredentials {
  readonly username: typeof INTERNAL_USER;
  readonly password: string;
  readonly source: typeof INTERNAL_DB;
  readonly mechanism: typeof ScramMechanism.ScramSha256;
}

export function internalCredentials(key: string): InternalCredentials {
  return { username: INTERNAL_USER, password: key, source: INTERNAL_DB, mechanism: ScramMechanism.ScramSha256 };
}

/** The `__system@local` user a keyFile node accepts (never stored; both SCRAM mechanisms). */
export function internalUserDocument(key: string): SimUserDocument {
  return {
    _id: `${INTERNAL_DB}.${INTERNAL_USER}`,
    userId: new UUID(),
    user: INTERNAL_USER,
    db: INTERNAL_DB,
    credentials: {
      'SCRAM-SHA-1': createScramCredentials(key, ScramMechanism.ScramSha1, undefined, { username: INTERNAL_USER }),
      'SCRAM-SHA-256': createScramCredentials(key, ScramMechanism.ScramSha256),
    },
    roles: [{ role: '__system', db: 'admin' }],
  };
}
