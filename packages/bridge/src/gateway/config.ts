/**
 * gateway.json: one zod schema (docs/gateway.md §Configuration). The cluster's
 * connection string and credentials come from the environment or a file named in the
 * config, never from a client; `describeConfig` is the only form that is logged
 * (it names where secrets came from, never their values).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GATEWAY_ACTIONS } from './rules.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

/** A secret: inline only in tests (`value`), else from an environment variable or a file. */
const secretSource = z.union([
  z.object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ value: z.string().min(1) }).strict(),
]);
export type SecretSource = z.infer<typeof secretSource>;

/** A template value: a literal, or `%%user.<claim path>` bound to the caller's JWT. */
const templateScalar = z.union([z.string().max(512), z.number(), z.boolean()]);

const ruleSchema = z
  .object({
    /** Named in every refusal, audit line and metric. */
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
    /** Roles (from the role claim) this rule applies to; '*' = every authenticated user. */
    roles: z.array(z.string().min(1).max(128)).min(1),
    database: z.string().regex(/^[^/\\. "$\0]{1,63}$/, 'a database name'),
    collection: z.string().regex(/^[^$\0]{1,200}$/, 'a collection name'),
    actions: z.array(z.enum(GATEWAY_ACTIONS)).min(1),
    /**
     * Equality template AND-ed into every read, update, delete and $match, and enforced
     * on every written document: `{ "owner": "%%user.sub" }`.
     */
    filter: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/, 'a plain field path'), templateScalar).default({}),
    /** Fields a reader may see, filter and sort on (absent: all). `_id` is always readable. */
    readFields: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/)).optional(),
    /** Top-level fields a writer may set (absent: all). The filter's fields and `_id` are always writable as the filter demands. */
    writeFields: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/)).optional(),
  })
  .strict();
export type GatewayRuleInput = z.infer<typeof ruleSchema>;

export const GATEWAY_DEFAULTS = Object.freeze({
  maxDocuments: 1000,
  maxTimeMS: 10_000,
  maxBatchSize: 1000,
  maxCommandBytes: 1024 * 1024,
  maxDepth: 40,
  maxCursorsPerPrincipal: 100,
});

export const gatewayConfigSchema = z
  .object({
    listen: z
      .object({
        port: int(0, 65535).default(8080),
        host: z.string().min(1).default('127.0.0.1'),
        path: z.string().regex(/^\/[A-Za-z0-9._~/-]*$/).default('/ws'),
        /** Browser origins allowed on the WebSocket and the Data API (CORS). */
        origins: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ port: 8080, host: '127.0.0.1', path: '/ws', origins: [] }),
    cluster: z
      .object({
        /** mongodb:// or mongodb+srv:// URI, with or without credentials. */
        uri: secretSource,
        username: secretSource.optional(),
        password: secretSource.optional(),
        /** Extra core MongoClient options (serverSelectionTimeoutMS, tls, ...). */
        options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      })
      .strict(),
    jwt: z
      .object({
        /** HS256 shared secret (32+ characters once read). */
        secret: secretSource.optional(),
        /** RS256/ES256 keys of an OIDC provider (rotated keys are fetched again on an unknown kid). */
        jwksUrl: z.string().url().optional(),
        algorithms: z.array(z.enum(['HS256', 'RS256', 'ES256'])).min(1).optional(),
        issuer: z.string().min(1),
        audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        clockToleranceSec: int(0, 300).default(5),
        /** Claim path holding the role(s): a string or an array of strings. */
        roleClaim: z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/).default('role'),
        /** The role of a user whose token names none. */
        defaultRole: z.string().min(1).default('user'),
      })
      .strict()
      .refine((j) => j.secret !== undefined || j.jwksUrl !== undefined, { message: 'set jwt.secret (HS256) and/or jwt.jwksUrl (RS256/ES256)' }),
    limits: z
      .object({
        maxDocuments: int(1).default(GATEWAY_DEFAULTS.maxDocuments),
        maxTimeMS: int(1).default(GATEWAY_DEFAULTS.maxTimeMS),
        maxBatchSize: int(1).default(GATEWAY_DEFAULTS.maxBatchSize),
        maxCommandBytes: int(1024, 48_000_000).default(GATEWAY_DEFAULTS.maxCommandBytes),
        maxDepth: int(4, 180).default(GATEWAY_DEFAULTS.maxDepth),
        maxCursorsPerPrincipal: int(1).default(GATEWAY_DEFAULTS.maxCursorsPerPrincipal),
        /** Per-principal rate limit (commands per second, token bucket of `burst`); absent: none. */
        commandsPerSecond: int(1).optional(),
        burst: int(1).optional(),
      })
      .strict()
      .default({ ...GATEWAY_DEFAULTS }),
    /** Per-principal quotas (quota.ts); each absent: none. */
    quotas: z
      .object({
        /** Transactions one principal may have open at once. */
        maxTransactionsPerPrincipal: int(1).optional(),
        /** Documents returned plus written per principal per window (with quotaWindowSeconds). */
        documentsPerWindow: int(1).optional(),
        quotaWindowSeconds: int(1, 366 * 86_400).optional(),
      })
      .strict()
      .refine((q) => (q.documentsPerWindow === undefined) === (q.quotaWindowSeconds === undefined), {
        message: 'documentsPerWindow and quotaWindowSeconds go together (the quota and its window)',
      })
      .default({}),
    rules: z.array(ruleSchema).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.rules.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name ${r.name}` });
      names.add(r.name);
    });
  });

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayLimits = GatewayConfig['limits'];
export type GatewayQuotas = GatewayConfig['quotas'];

export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  constructor(readonly issues: readonly string[]) {
    super(`invalid gateway configuration:\n  ${issues.join('\n  ')}`);
  }
}

/** Validates a parsed gateway.json (throws GatewayConfigError listing every issue). */
export function validateGatewayConfig(input: unknown): GatewayConfig {
  const parsed = gatewayConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new GatewayConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`));
  }
  return parsed.data;
}

/** Reads and validates gateway.json. */
export function loadGatewayConfig(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GatewayConfigError([`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GatewayConfigError([`${path} is not JSON: ${(e as Error).message}`]);
  }
  return validateGatewayConfig(json);
}

/** The secret's value (trailing newline of a file trimmed). Throws GatewayConfigError naming the source, never the value. */
export function readSecret(source: SecretSource, env: Readonly<Record<string, string | undefined>>): string {
  if ('value' in source) return source.value;
  if ('env' in source) {
    const v = env[source.env];
    if (v === undefined || v === '') throw new GatewayConfigError([`environment variable ${source.env} is not set`]);
    return v;
  }
  try {
    return readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new GatewayConfigError([`cannot read secret file ${source.file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
}

const describeSource = (s: SecretSource | undefined): string | undefined =>
  s === undefined ? undefined : 'env' in s ? `env:${s.env}` : 'file' in s ? `file:${s.file}` : 'inline';

/** What may be logged of the configuration: where secrets come from, never what they are. */
export function describeConfig(c: GatewayConfig): Record<string, unknown> {
  return {
    listen: c.listen,
    cluster: { uri: describeSource(c.cluster.uri), username: describeSource(c.cluster.username), password: describeSource(c.cluster.password) },
    jwt: { secret: describeSource(c.jwt.secret), jwksUrl: c.jwt.jwksUrl, issuer: c.jwt.issuer, audience: c.jwt.audience },
    limits: c.limits,
    quotas: c.quotas,
    rules: c.rules.map((r) => r.name),
  };
}
