/**
 * End-user tokens (jose): HS256 with a shared secret, RS256/ES256 against a JWKS URL
 * (createRemoteJWKSet refetches on an unknown `kid`, so a provider's key rotation is
 * followed), `iss`, `aud`, `exp` (required) and `nbf` checked with a small clock
 * tolerance. `alg: none` and any algorithm not configured are refused by jose.
 * Returns the bridge's TokenVerifier shape, with the claims the rules bind to.
 */
import { SignJWT, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { TokenCheck, TokenVerifier } from '../auth.js';

export interface JwtSettings {
  readonly secret: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly algorithms: readonly ('HS256' | 'RS256' | 'ES256')[] | undefined;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly clockToleranceSec: number;
}

const MAX_TOKEN_LENGTH = 8192;

/** Why a token was refused, from jose's typed errors (never the token itself). */
function refusal(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `token claim ${e.claim} failed: ${e.reason}`;
  if (e instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (e instanceof errors.JWKSNoMatchingKey) return 'no key of the JWKS matches the token';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (e instanceof errors.JWKSTimeout) return 'the JWKS URL timed out';
  if (e instanceof errors.JOSEError) return `invalid token (${e.code})`;
  return 'invalid token';
}

export function createJwtVerifier(settings: JwtSettings): TokenVerifier {
  if (settings.secret !== undefined && settings.secret.length < 32) throw new TypeError('the HS256 secret must be at least 32 characters');
  const hmacKey = settings.secret === undefined ? undefined : new TextEncoder().encode(settings.secret);
  const jwks: JWTVerifyGetKey | undefined = settings.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 1000 });
  const asymmetric = (settings.algorithms ?? ['RS256', 'ES256']).filter((a) => a !== 'HS256');
  const symmetric = (settings.algorithms ?? ['HS256']).includes('HS256');
  const common = {
    issuer: settings.issuer,
    audience: typeof settings.audience === 'string' ? settings.audience : [...settings.audience],
    clockTolerance: settings.clockToleranceSec,
    requiredClaims: ['exp', 'sub'],
  };
  return {
    async verify(token): Promise<TokenCheck> {
      if (token === undefined || token === '') return { ok: false, message: 'missing token' };
      if (token.length > MAX_TOKEN_LENGTH) return { ok: false, message: 'token too long' };
      let header: { alg?: unknown };
      try {
        header = JSON.parse(new TextDecoder().decode(base64UrlDecode(token.split('.')[0] ?? ''))) as { alg?: unknown };
      } catch {
        return { ok: false, message: 'invalid token' };
      }
      let payload: JWTPayload;
      try {
        if (header.alg === 'HS256' && hmacKey && symmetric) {
          payload = (await jwtVerify(token, hmacKey, { ...common, algorithms: ['HS256'] })).payload;
        } else if (jwks && asymmetric.length > 0) {
          payload = (await jwtVerify(token, jwks, { ...common, algorithms: asymmetric })).payload;
        } else {
          return { ok: false, message: 'token algorithm not allowed' };
        }
      } catch (e) {
        return { ok: false, message: refusal(e) };
      }
      const subject = String(payload.sub).slice(0, 200);
      return { ok: true, grant: { subject, expiresAt: payload.exp, allow: undefined, claims: Object.freeze({ ...payload }) } };
    },
  };
}

function base64UrlDecode(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(s)) throw new TypeError('not base64url');
  return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

export interface SignGatewayTokenOptions {
  readonly subject: string;
  readonly issuer: string;
  readonly audience: string;
  /** Lifetime in seconds (default 3600). */
  readonly expiresInSeconds?: number;
  /** Extra claims (role, org, ...). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** An HS256 token a gateway with this shared secret accepts (for development, token services and tests). */
export async function signGatewayToken(secret: string, options: SignGatewayTokenOptions): Promise<string> {
  return new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(secret));
}
