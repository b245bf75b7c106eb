/**
 * Bridge configuration: one zod schema for the library (startBridge) and the CLI
 * (flags, then MONGO_EDGE_BRIDGE_* environment variables, then defaults).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseTargetPattern } from './allowlist.js';
import type { LogSink } from './log.js';

export const DEFAULTS = Object.freeze({
  port: 8080,
  host: '127.0.0.1',
  path: '/ws',
  maxMessageSize: 48_000_000,
  maxChannelsPerSocket: 100,
  maxSocketsPerIp: 100,
  maxPendingPerIp: 20,
  maxPending: 1000,
  upgradeTimeoutMs: 5000,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 600_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  shutdownTimeoutMs: 10_000,
  seedsRefreshMs: 30_000,
  pingIntervalMs: 30_000,
} as const);

const ORIGIN_RE = /^(\*|https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?|https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?|null)$/;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const message = max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
};
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes')]);

const bridgeConfigObject = z
  .object({
    port: int(0, 65535).default(DEFAULTS.port),
    host: z.string().min(1).default(DEFAULTS.host),
    path: z.string().regex(/^\/[A-Za-z0-9._~\/-]*$/, 'must be an absolute URL path').default(DEFAULTS.path),
    allow: z
      .array(
        z.string().superRefine((pattern, ctx) => {
          const parsed = parseTargetPattern(pattern);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
        }),
      )
      .default([]),
    seeds: z
      .string()
      .regex(/^mongodb:\/\//, 'must be a mongodb:// connection string (mongodb+srv is not supported)')
      .optional(),
    seedsRefreshMs: int(100).default(DEFAULTS.seedsRefreshMs),
    origins: z.array(z.string().regex(ORIGIN_RE, 'expected an origin like https://app.example.com, https://*.example.com or *')).default([]),
    jwtSecret: z.string().min(32, 'must be at least 32 characters (HS256 key)').optional(),
    tokens: z.array(z.string().min(16, 'static tokens must be at least 16 characters')).default([]),
    noAuth: bool.default(false),
    maxMessageSize: int(1024, 2 ** 31 - 1).default(DEFAULTS.maxMessageSize),
    maxChannelsPerSocket: int(1).default(DEFAULTS.maxChannelsPerSocket),
    maxSocketsPerIp: int(1).default(DEFAULTS.maxSocketsPerIp),
    maxPendingPerIp: int(1).default(DEFAULTS.maxPendingPerIp),
    maxPending: int(1).default(DEFAULTS.maxPending),
    upgradeTimeoutMs: int(1).default(DEFAULTS.upgradeTimeoutMs),
    handshakeTimeoutMs: int(1).default(DEFAULTS.handshakeTimeoutMs),
    idleTimeoutMs: int(0).default(DEFAULTS.idleTimeoutMs),
    maxBufferedBytes: int(65536).default(DEFAULTS.maxBufferedBytes),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    requireTargetTls: bool.default(false),
    /** PEM of extra CA certificates trusted for TLS to targets (added to Node's roots). */
    targetCa: z.string().min(1).optional(),
    shutdownTimeoutMs: int(0).default(DEFAULTS.shutdownTimeoutMs),
    pingIntervalMs: int(0).default(DEFAULTS.pingIntervalMs),
  })
  .strict();

/** What a server needs whatever its mode: TLS certificate and key go together. */
const serverRefine = (c: z.output<typeof bridgeConfigObject>, ctx: z.RefinementCtx): void => {
  if (Boolean(c.tlsCert) !== Boolean(c.tlsKey)) {
    ctx.addIssue({ code: 'custom', path: ['tlsCert'], message: '--tls-cert and --tls-key go together' });
  }
};

/** The server options of another mode (gateway): no relay targets, its own authentication. */
export const modeServerConfigSchema = bridgeConfigObject.superRefine(serverRefine);

export const bridgeConfigSchema = bridgeConfigObject
  .superRefine((c, ctx) => {
    if (!c.noAuth && !c.jwtSecret && c.tokens.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['jwtSecret'], message: 'no authentication configured: set --jwt-secret or --token (or --no-auth for local development)' });
    }
    if (c.allow.length === 0 && !c.seeds) {
      ctx.addIssue({ code: 'custom', path: ['allow'], message: 'no targets allowed: set --allow host:port and/or --seeds' });
    }
  })
  .superRefine(serverRefine);

export type BridgeConfigInput = z.input<typeof bridgeConfigSchema>;
export type BridgeConfig = z.output<typeof bridgeConfigSchema>;

/** Options of startBridge: the config plus things only a program can pass. */
export interface BridgeOptions extends BridgeConfigInput {
  /** Where JSON log lines go (default: stdout). */
  log?: LogSink;
}

export class BridgeConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid bridge configuration:\n  ${issues.join('\n  ')}`);
  }
  override get name(): string {
    return 'BridgeConfigError';
  }
}

/** Flag name for a config key (for messages): maxMessageSize -> --max-message-size. */
function flagFor(key: string): string {
  const special: Record<string, string> = { origins: 'origin', tokens: 'token' };
  const k = special[key] ?? key;
  return '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

export function validateConfig(input: unknown, schema: typeof bridgeConfigSchema | typeof modeServerConfigSchema = bridgeConfigSchema): BridgeConfig {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new BridgeConfigError(
    result.error.issues.map((i) => {
      const key = i.path[0];
      return `${typeof key === 'string' ? flagFor(key) : 'config'}: ${i.message}`;
    }),
  );
}

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  path: { type: 'string' },
  allow: { type: 'string', multiple: true },
  seeds: { type: 'string' },
  'seeds-refresh-ms': { type: 'string' },
  origin: { type: 'string', multiple: true },
  'jwt-secret': { type: 'string' },
  token: { type: 'string', multiple: true },
  'no-auth': { type: 'boolean' },
  'max-message-size': { type: 'string' },
  'max-channels-per-socket': { type: 'string' },
  'max-sockets-per-ip': { type: 'string' },
  'max-pending-per-ip': { type: 'string' },
  'max-pending': { type: 'string' },
  'upgrade-timeout-ms': { type: 'string' },
  'handshake-timeout-ms': { type: 'string' },
  'idle-timeout-ms': { type: 'string' },
  'max-buffered-bytes': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'require-target-tls': { type: 'boolean' },
  'target-ca': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  'ping-interval-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const ENV_PREFIX = 'MONGO_EDGE_BRIDGE_';

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const envName = (flag: string) => ENV_PREFIX + flag.replace(/-/g, '_').toUpperCase();
const KEY_FOR_FLAG: Record<string, string> = { origin: 'origins', token: 'tokens' };

export const USAGE = `Usage: mongo-edge-bridge [options]

WebSocket-to-TCP relay for the MongoDB wire protocol (docs/bridge-protocol.md).
Every option can also be set as an environment variable MONGO_EDGE_BRIDGE_<NAME>
(e.g. MONGO_EDGE_BRIDGE_JWT_SECRET); lists in the environment are comma-separated.
Flags win over the environment.
Gateway mode: mongo-edge-bridge --gateway --config gateway.json (docs/gateway.md).

  --port N                    listen port (default ${DEFAULTS.port}; 0 = any free port)
  --host H                    listen address (default ${DEFAULTS.host})
  --path P                    WebSocket path (default ${DEFAULTS.path})
  --allow host:port           allowed target, repeatable. * is one IPv4 octet ("10.0.0.*:27017"),
                              one IPv6 group ("[fd00::*]:27017") or one DNS label
                              ("*.db.internal:27017"), never a dot; the port a number or *
  --seeds mongodb://h1,h2/    also allow the members these seeds report (hello), refreshed
  --seeds-refresh-ms N        seed refresh interval (default ${DEFAULTS.seedsRefreshMs})
  --origin O                  allowed browser Origin, repeatable ("https://app.example.com",
                              "https://*.example.com", "*"). Requests without Origin
                              (non-browser clients) are always allowed.
  --jwt-secret S              accept HS256 JWTs signed with S (exp claim required)
  --token T                   accept this static bearer token, repeatable
  --no-auth                   accept clients without a token (local development only)
  --max-message-size N        largest wire message relayed (default ${DEFAULTS.maxMessageSize})
  --max-channels-per-socket N (default ${DEFAULTS.maxChannelsPerSocket})
  --max-sockets-per-ip N      (default ${DEFAULTS.maxSocketsPerIp})
  --max-pending-per-ip N      connections from one address not (or no longer) a WebSocket
                              session: opening, refused, closing (default ${DEFAULTS.maxPendingPerIp})
  --max-pending N             the same for all addresses together (default ${DEFAULTS.maxPending})
  --upgrade-timeout-ms N      a connection must upgrade (or finish an HTTP request) this soon;
                              also bounds WebSocket close handshakes (default ${DEFAULTS.upgradeTimeoutMs})
  --handshake-timeout-ms N    auth frame deadline and target connect timeout (default ${DEFAULTS.handshakeTimeoutMs})
  --idle-timeout-ms N         close channels idle this long; 0 = never (default ${DEFAULTS.idleTimeoutMs})
  --max-buffered-bytes N      per-channel buffer bound before pausing the other side (default ${DEFAULTS.maxBufferedBytes})
  --tls-cert FILE --tls-key FILE   serve wss:// (PEM files)
  --require-target-tls        refuse channels that do not ask for TLS to the target
  --target-ca FILE            extra CA certificates (PEM) for TLS to targets
  --shutdown-timeout-ms N     on SIGTERM, how long in-flight replies may take (default ${DEFAULTS.shutdownTimeoutMs})
  --ping-interval-ms N        WebSocket keepalive ping; 0 = off (default ${DEFAULTS.pingIntervalMs})

Subcommand:
  mongo-edge-bridge token --jwt-secret S [--ttl SECONDS] [--sub NAME] [--allow host:port ...]
                              print an HS256 token this bridge accepts (token --help)
`;

export interface ParsedCli {
  help: boolean;
  config: BridgeConfig;
}

/** argv + environment -> validated config. Throws BridgeConfigError. */
export function parseCliConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCli {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values as Record<string, unknown>;
  } catch (e) {
    throw new BridgeConfigError([(e as Error).message]);
  }
  if (values.help) return { help: true, config: undefined as never };
  const raw: Record<string, unknown> = {};
  for (const [flag, def] of Object.entries(FLAGS)) {
    if (flag === 'help') continue;
    const key = KEY_FOR_FLAG[flag] ?? camel(flag);
    let value = values[flag];
    if (value === undefined) {
      const fromEnv = env[envName(flag)];
      if (fromEnv !== undefined && fromEnv !== '') {
        value = 'multiple' in def && def.multiple ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : fromEnv;
      }
    }
    if (value !== undefined) raw[key] = value;
  }
  const issues: string[] = [];
  for (const key of ['tlsCert', 'tlsKey', 'targetCa'] as const) {
    const file = raw[key];
    if (typeof file === 'string') {
      try {
        raw[key] = readFileSync(file, 'utf8');
      } catch (e) {
        issues.push(`${flagFor(key)}: cannot read ${file}: ${(e as Error).message}`);
      }
    }
  }
  if (issues.length) throw new BridgeConfigError(issues);
  return { help: false, config: validateConfig(raw) };
}
