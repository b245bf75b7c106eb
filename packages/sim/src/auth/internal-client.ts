/**
 * The client side of internal authentication: a member authenticating to another member
 * as `__system@local` with SCRAM-SHA-256 and the keyFile key (what mongod does over
 * `--keyFile`). It drives saslStart / saslContinue through any "run one command on this
 * connection" function, so the replica set's peer connections can call it right after
 * connecting, before their first heartbeat / vote / oplog command.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Binary } from 'bson';
import type { Doc } from '../storage/values.js';
import type { InternalCredentials } from './keyfile.js';
import { payloadOf } from './sasl-server.js';

export class InternalAuthError extends Error {
  override get name(): string {
    return 'InternalAuthError';
  }
}

/** SaltedPassword cache: key|salt|iterations -> salted (heartbeat connections come and go). */
const saltedCache = new Map<string, Buffer>();

function salted(password: string, salt: Buffer, iterations: number): Buffer {
  const k = `${createHash('sha256').update(password).digest('base64')}|${salt.toString('base64')}|${iterations}`;
  let v = saltedCache.get(k);
  if (!v) {
    v = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
    if (saltedCache.size > 64) saltedCache.clear();
    saltedCache.set(k, v);
  }
  return v;
}

function failed(reply: Doc, step: string): InternalAuthError {
  return new InternalAuthError(`internal authentication failed at ${step}: ${String(reply.errmsg ?? 'no payload')} (code ${String(reply.code ?? '?')})`);
}

/**
 * Authenticates the connection behind `run` as the internal user. `run` sends one command
 * document (with `$db` set) and resolves with the reply. Throws InternalAuthError.
 */
export async function authenticateInternal(run: (command: Doc) => Promise<Doc>, credentials: InternalCredentials): Promise<void> {
  const user = credentials.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
  const nonce = randomBytes(24).toString('base64');
  const clientFirstBare = `n=${user},r=${nonce}`;
  const start = await run({
    saslStart: 1,
    mechanism: credentials.mechanism,
    payload: new Binary(Buffer.from(`n,,${clientFirstBare}`, 'utf8')),
    options: { skipEmptyExchange: true },
    $db: credentials.source,
  });
  const firstPayload = start.ok === 1 ? payloadOf(start.payload) : undefined;
  if (!firstPayload) throw failed(start, 'saslStart');
  const serverFirst = Buffer.from(firstPayload).toString('utf8');
  const attrs = new Map(serverFirst.split(',').map((p) => [p[0], p.slice(2)] as const));
  const serverNonce = attrs.get('r');
  const salt = attrs.get('s');
  const iterations = Number(attrs.get('i'));
  if (!serverNonce?.startsWith(nonce) || salt === undefined || !Number.isInteger(iterations) || iterations < 4096) {
    throw new InternalAuthError('internal authentication failed: malformed server-first-message');
  }
  const saltedPassword = salted(credentials.password, Buffer.from(salt, 'base64'), iterations);
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${serverNonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;

  let reply = await run({
    saslContinue: 1,
    conversationId: start.conversationId,
    payload: new Binary(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8')),
    $db: credentials.source,
  });
  const finalPayload = reply.ok === 1 ? payloadOf(reply.payload) : undefined;
  if (!finalPayload) throw failed(reply, 'saslContinue');
  const v = /^v=(.*)$/.exec(Buffer.from(finalPayload).toString('utf8'))?.[1];
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  const expected = createHmac('sha256', serverKey).update(authMessage).digest();
  const got = Buffer.from(v ?? '', 'base64');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    throw new InternalAuthError('internal authentication failed: the server signature does not verify');
  }
  // A server that ignores skipEmptyExchange wants one more, empty, step.
  if (reply.done !== true) {
    reply = await run({ saslContinue: 1, conversationId: start.conversationId, payload: new Binary(new Uint8Array(0)), $db: credentials.source });
    if (reply.ok !== 1 || reply.done !== true) throw failed(reply, 'the final saslContinue');
  }
}
