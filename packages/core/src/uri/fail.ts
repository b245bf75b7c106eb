import { MongoParseError } from '../errors.js';

/** Throws the MongoParseError that reports an invalid connection string, option or DNS record. */
export function fail(message: string, cause?: unknown): never {
  throw new MongoParseError(message, { cause });
}
