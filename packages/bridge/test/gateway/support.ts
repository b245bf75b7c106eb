/** Gateway test helpers: tokens, a config for the sim, a client through the gateway. */
import { SignJWT } from 'jose';
import { MongoClient } from '@mongo-edge/core';
import { validateGatewayConfig, type GatewayConfig } from '../../src/gateway/index.js';
import { wsTransport } from '../helpers.js';

export const JWT_SECRET = 'gateway-test-secret-0123456789abcdef';
export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'notes-app';

export async function tokenFor(sub: string, claims: Record<string, unknown> = {}, ttl: string | number = '10m'): Promise<string> {
  return new SignJWT({ role: 'user', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(JWT_SECRET));
}

/** Rules of the tests: each user owns their notes; a shared read-only collection. */
export function gatewayConfig(cluster: Record<string, unknown>, extra: Record<string, unknown> = {}): GatewayConfig {
  return validateGatewayConfig({
    listen: { port: 0, host: '127.0.0.1', path: '/ws', origins: ['*'] },
    cluster,
    jwt: { secret: { env: 'TEST_GATEWAY_JWT_SECRET' }, issuer: ISSUER, audience: AUDIENCE, clockToleranceSec: 0 },
    rules: [
      { name: 'own-notes', roles: ['user'], database: 'app', collection: 'notes', actions: ['find', 'count', 'distinct', 'aggregate', 'insert', 'update', 'delete', 'findAndModify', 'listCollections'], filter: { owner: '%%user.sub' } },
      { name: 'public-read', roles: ['user'], database: 'app', collection: 'public', actions: ['find'] },
    ],
    ...extra,
  });
}

export const gatewayEnv = (more: Record<string, string> = {}) => ({ TEST_GATEWAY_JWT_SECRET: JWT_SECRET, ...more });

/** A core MongoClient whose only server is the gateway (mongos face) over the bridge protocol. */
export function gatewayClient(url: string, token: string | (() => Promise<string>), uriOptions = 'serverSelectionTimeoutMS=15000&heartbeatFrequencyMS=500'): MongoClient {
  return new MongoClient(`mongodb://gateway:27017/?${uriOptions}`, { transport: wsTransport(url, { token }) });
}
