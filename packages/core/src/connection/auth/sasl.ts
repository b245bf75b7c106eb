/** SASL command plumbing shared by the mechanisms: payload coding and reply checks. */
import { Binary } from 'bson';
import { MongoAuthError, MongoMissingCredentialsError, type Document } from '../../errors.js';
import type { MongoCredentials } from '../types.js';
import { base64Decode } from './base64.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export const utf8 = (text: string): Uint8Array => encoder.encode(text);

export function fromUtf8(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new MongoAuthError('malformed SASL payload from server: not UTF-8', { cause });
  }
}

/** A BSON binary (subtype 0) payload for saslStart / saslContinue. */
export function binaryPayload(bytes: Uint8Array): Binary {
  return new Binary(bytes, Binary.SUBTYPE_DEFAULT);
}

/** saslStart for `mechanism`, carrying the first client message. */
export function saslStart(mechanism: string, payload: Uint8Array): Document {
  return { saslStart: 1, mechanism, payload: binaryPayload(payload), autoAuthorize: 1 };
}

/** saslContinue of conversation `conversationId` with the next client message. */
export function saslContinue(conversationId: unknown, payload: Uint8Array): Document {
  return { saslContinue: 1, conversationId, payload: binaryPayload(payload) };
}

/** The password of username/password credentials; MongoMissingCredentialsError names what is missing. */
export function requirePassword(credentials: MongoCredentials, mechanism: string): string {
  if (!credentials.username) throw new MongoMissingCredentialsError(`${mechanism} requires a username`);
  if (typeof credentials.password !== 'string') throw new MongoMissingCredentialsError(`${mechanism} requires a password`);
  return credentials.password;
}

/** The bytes of a reply's `payload`: BSON Binary, raw bytes, or (legacy) a base64 string. */
export function payloadBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    try {
      return base64Decode(value);
    } catch (cause) {
      throw new MongoAuthError('malformed SASL payload from server: bad base64', { cause });
    }
  }
  if (value !== null && typeof value === 'object') {
    const b = value as { buffer?: unknown; position?: unknown; sub_type?: unknown };
    if (b.buffer instanceof Uint8Array && typeof b.position === 'number') return b.buffer.subarray(0, b.position);
  }
  throw new MongoAuthError('malformed SASL reply from server: missing payload');
}

/** conversationId of a saslStart/saslContinue reply. */
export function conversationIdOf(reply: Document): unknown {
  const id = reply.conversationId;
  if (id === undefined || id === null) throw new MongoAuthError('malformed SASL reply from server: missing conversationId');
  return id;
}
