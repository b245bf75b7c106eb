/**
 * Bearer tokens: HS256 JWTs (hono/jwt; `exp` required; optional `sub` and `allow`, a
 * list of host:port patterns that narrows the bridge allowlist for this token) and/or
 * static tokens (compared in constant time).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { sign, verify } from 'hono/jwt';

export interface TokenGrant {
  /** Who the token names (JWT `sub`, or "static-token"), safe to log. */
  subject: string;
  /** Unix seconds; undefined for static tokens. */
  expiresAt: number | undefined;
  /** Extra target restriction from the token (JWT `allow`). */
  allow: readonly string[] | undefined;
  /** The verified JWT claims (gateway mode binds rules to them); undefined for static tokens. */
  claims?: Readonly<Record<string, unknown>>;
}

export type TokenCheck = { ok: true; grant: TokenGrant } | { ok: false; message: string };

export interface TokenVerifier {
  verify(token: string | undefined): Promise<TokenCheck>;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function createTokenVerifier(options: { jwtSecret?: string | undefined; tokens: readonly string[]; noAuth: boolean }): TokenVerifier {
  const statics = options.tokens.map(digest);
  return {
    async verify(token) {
      if (token === undefined || token === '') {
        if (options.noAuth) return { ok: true, grant: { subject: 'anonymous', expiresAt: undefined, allow: undefined } };
        return { ok: false, message: 'missing token' };
      }
      if (token.length > 8192) return { ok: false, message: 'token too long' };
      if (statics.length) {
        const d = digest(token);
        if (statics.some((s) => timingSafeEqual(s, d))) {
          return { ok: true, grant: { subject: 'static-token', expiresAt: undefined, allow: undefined } };
        }
      }
      if (options.jwtSecret && token.split('.').length === 3) {
        let payload: Record<string, unknown>;
        try {
          payload = (await verify(token, options.jwtSecret, 'HS256')) as Record<string, unknown>;
        } catch (e) {
          const name = (e as Error).name;
          return { ok: false, message: name === 'JwtTokenExpired' ? 'token expired' : 'invalid token' };
        }
        if (typeof payload.exp !== 'number') return { ok: false, message: 'token has no exp claim' };
        const allow = Array.isArray(payload.allow) && payload.allow.every((p) => typeof p === 'string') ? (payload.allow as string[]) : undefined;
        const subject = typeof payload.sub === 'string' ? payload.sub.slice(0, 200) : 'jwt';
        return { ok: true, grant: { subject, expiresAt: payload.exp, allow } };
      }
      if (options.noAuth) return { ok: true, grant: { subject: 'anonymous', expiresAt: undefined, allow: undefined } };
      return { ok: false, message: 'invalid token' };
    },
  };
}

export interface SignBridgeTokenOptions {
  /** Lifetime in seconds (default 3600). */
  expiresInSeconds?: number;
  subject?: string;
  /** host:port patterns this token may open (narrows the bridge allowlist). */
  allow?: readonly string[];
}

/** Issue an HS256 token the bridge accepts (for token services and tests). */
export async function signBridgeToken(secret: string, options: SignBridgeTokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iat: now, exp: now + (options.expiresInSeconds ?? 3600) };
  if (options.subject) payload.sub = options.subject;
  if (options.allow) payload.allow = [...options.allow];
  return sign(payload as Parameters<typeof sign>[0], secret, 'HS256');
}
