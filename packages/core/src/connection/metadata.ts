/**
 * Client metadata for the handshake (spec "MongoDB Handshake", `client` field).
 * The runtime is detected through `globalThis` only (no node:* imports), so this
 * file runs unchanged in browsers, workers, Deno and Node.
 */
import type { Document } from '../errors.js';
import { encodeDocument } from '../wire/bson-io.js';

export const DRIVER_NAME = 'mongo-edge';
/** Keep in step with packages/core/package.json "version". */
export const DRIVER_VERSION = '0.1.0';

/** The whole `client` document must not exceed this many BSON bytes. */
export const MAX_CLIENT_METADATA_BYTES = 512;
/** `client.application.name` must not exceed this many UTF-8 bytes. */
export const MAX_APP_NAME_BYTES = 128;

export interface ClientMetadata {
  application?: { name: string };
  driver: { name: string; version: string };
  os: { type: string; name?: string; architecture?: string; version?: string };
  platform: string;
  env?: { name?: string; region?: string; memory_mb?: number; timeout_sec?: number; agent?: string };
}

export interface RuntimeInfo {
  os: ClientMetadata['os'];
  platform: string;
  env?: ClientMetadata['env'];
}

/** What a library wrapping the driver adds to the handshake metadata (official `driverInfo`). */
export interface DriverInfo {
  name?: string;
  version?: string;
  platform?: string;
}

export interface MakeClientMetadataOptions {
  appName?: string | undefined;
  /** One wrapping library's info, or several (the client's, then each `appendMetadata`), joined with "|" in order. */
  driverInfo?: DriverInfo | readonly DriverInfo[] | undefined;
  /** Override runtime detection (tests). */
  runtime?: RuntimeInfo;
}

interface GlobalProbe {
  process?: {
    versions?: { node?: string; bun?: string };
    platform?: string;
    arch?: string;
    release?: { name?: string };
    env?: Record<string, string | undefined>;
  };
  Deno?: { version?: { deno?: string }; build?: { os?: string; arch?: string } };
  navigator?: { userAgent?: string };
  Bun?: unknown;
}

const NODE_OS_TYPE: Readonly<Record<string, string>> = Object.freeze({
  linux: 'Linux',
  darwin: 'Darwin',
  win32: 'Windows_NT',
  freebsd: 'FreeBSD',
  openbsd: 'OpenBSD',
  sunos: 'SunOS',
  aix: 'AIX',
  android: 'Android',
});

/** Detects the JavaScript runtime from globals; never throws. */
export function detectRuntime(g: GlobalProbe = globalThis as unknown as GlobalProbe): RuntimeInfo {
  try {
    const deno = g.Deno;
    if (deno?.version?.deno) {
      const os = deno.build?.os ?? 'unknown';
      return {
        os: { type: NODE_OS_TYPE[os] ?? (os === 'windows' ? 'Windows_NT' : os), name: os, ...(deno.build?.arch ? { architecture: deno.build.arch } : {}) },
        platform: `Deno v${deno.version.deno}`,
      };
    }
    const ua = g.navigator?.userAgent;
    if (ua === 'Cloudflare-Workers') {
      return { os: { type: 'unknown' }, platform: 'Cloudflare Workers' };
    }
    const proc = g.process;
    if (proc?.versions?.node) {
      const platform = proc.platform ?? 'unknown';
      const runtime = proc.versions.bun ? `Bun v${proc.versions.bun}` : `Node.js v${proc.versions.node}`;
      const env = detectFaasEnv(proc.env);
      return {
        os: { type: NODE_OS_TYPE[platform] ?? platform, name: platform, ...(proc.arch ? { architecture: proc.arch } : {}) },
        platform: `${runtime}, LE`,
        ...(env ? { env } : {}),
      };
    }
    if (typeof ua === 'string' && ua.length > 0) {
      return { os: { type: osTypeFromUserAgent(ua) }, platform: `Browser ${ua}` };
    }
  } catch {
    // fall through: metadata is best effort
  }
  return { os: { type: 'unknown' }, platform: 'unknown JavaScript runtime' };
}

function osTypeFromUserAgent(ua: string): string {
  if (/Windows/i.test(ua)) return 'Windows_NT';
  if (/Android/i.test(ua)) return 'Android';
  if (/iPhone|iPad|iPod/i.test(ua)) return 'iOS';
  if (/Mac OS X|Macintosh/i.test(ua)) return 'Darwin';
  if (/CrOS/i.test(ua)) return 'ChromeOS';
  if (/Linux/i.test(ua)) return 'Linux';
  return 'unknown';
}

/** FaaS detection from environment variables (handshake spec "Client environment"). */
function detectFaasEnv(env: Record<string, string | undefined> | undefined): ClientMetadata['env'] | undefined {
  if (!env) return undefined;
  const int = (v: string | undefined): number | undefined => {
    const n = Number.parseInt(String(v), 10);
    return Number.isFinite(n) ? n : undefined;
  };
  const found: string[] = [];
  if (env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda_') || env.AWS_LAMBDA_RUNTIME_API) found.push('aws.lambda');
  if (env.FUNCTIONS_WORKER_RUNTIME) found.push('azure.func');
  if (env.K_SERVICE || env.FUNCTION_NAME) found.push('gcp.func');
  if (env.VERCEL) found.push('vercel');
  // Vercel runs on AWS Lambda: vercel wins; any other combination is ambiguous.
  const name = found.length === 2 && found.includes('vercel') && found.includes('aws.lambda') ? 'vercel' : found.length === 1 ? found[0] : undefined;
  if (!name) return undefined;
  const out: NonNullable<ClientMetadata['env']> = { name };
  const set = (k: 'region' | 'memory_mb' | 'timeout_sec', v: string | number | undefined): void => {
    if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v;
  };
  switch (name) {
    case 'aws.lambda':
      set('region', env.AWS_REGION);
      set('memory_mb', int(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE));
      break;
    case 'gcp.func':
      set('region', env.FUNCTION_REGION);
      set('memory_mb', int(env.FUNCTION_MEMORY_MB));
      set('timeout_sec', int(env.FUNCTION_TIMEOUT_SEC));
      break;
    case 'vercel':
      set('region', env.VERCEL_REGION);
      break;
  }
  return out;
}

function utf8Truncate(s: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.byteLength <= maxBytes) return s;
  // fatal: false drops a trailing partial code point as U+FFFD; strip it.
  return new TextDecoder().decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD+$/, '');
}

function bsonSize(doc: ClientMetadata): number {
  return encodeDocument(doc as unknown as Document).byteLength;
}

/**
 * Builds the `client` document, then applies the spec's cumulative reductions until
 * it fits in 512 bytes: env fields except name/agent; env.agent; os fields except
 * type; env entirely; truncate platform.
 */
export function makeClientMetadata(options: MakeClientMetadataOptions = {}): ClientMetadata {
  const runtime = options.runtime ?? detectRuntime();
  const infos: readonly DriverInfo[] = Array.isArray(options.driverInfo) ? options.driverInfo : options.driverInfo ? [options.driverInfo as DriverInfo] : [];
  const joined = (base: string, field: keyof DriverInfo): string => [base, ...infos.map((i) => i[field]).filter((v): v is string => !!v)].join('|');
  const md: ClientMetadata = {
    ...(options.appName ? { application: { name: utf8Truncate(options.appName, MAX_APP_NAME_BYTES) } } : {}),
    driver: {
      name: joined(DRIVER_NAME, 'name'),
      version: joined(DRIVER_VERSION, 'version'),
    },
    os: { ...runtime.os },
    platform: joined(runtime.platform, 'platform'),
    ...(runtime.env ? { env: { ...runtime.env } } : {}),
  };
  if (bsonSize(md) <= MAX_CLIENT_METADATA_BYTES) return md;
  // 1. env: keep name and agent.
  if (md.env) {
    const { name, agent } = md.env;
    md.env = { ...(name !== undefined ? { name } : {}), ...(agent !== undefined ? { agent } : {}) };
    if (bsonSize(md) <= MAX_CLIENT_METADATA_BYTES) return md;
    // 2. drop env.agent; drop env when empty.
    delete md.env.agent;
    if (Object.keys(md.env).length === 0) delete md.env;
    if (bsonSize(md) <= MAX_CLIENT_METADATA_BYTES) return md;
  }
  // 3. os: keep type.
  md.os = { type: md.os.type };
  if (bsonSize(md) <= MAX_CLIENT_METADATA_BYTES) return md;
  // 4. drop env.
  delete md.env;
  if (bsonSize(md) <= MAX_CLIENT_METADATA_BYTES) return md;
  // 5. truncate platform (to as many bytes as are left).
  const over = bsonSize(md) - MAX_CLIENT_METADATA_BYTES;
  const platformBytes = new TextEncoder().encode(md.platform).byteLength;
  md.platform = utf8Truncate(md.platform, Math.max(0, platformBytes - over));
  if (bsonSize(md) <= MAX_CLIENT_METADATA_BYTES) return md;
  // Still too big (huge driverInfo): truncate driver fields and os.type as a last resort.
  md.platform = '';
  md.driver = { name: utf8Truncate(md.driver.name, 64), version: utf8Truncate(md.driver.version, 64) };
  md.os = { type: utf8Truncate(md.os.type, 32) };
  return md;
}
