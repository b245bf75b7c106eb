/**
 * The mongo-edge-bridge command. `main(argv)` validates flags + environment (exit 2
 * with a clear message on bad configuration), starts the bridge and shuts it down
 * gracefully on SIGTERM/SIGINT. `mongo-edge-bridge token --jwt-secret S` prints a token.
 */
import { parseArgs } from 'node:util';
import { signBridgeToken } from './auth.js';
import { BridgeConfigError, ENV_PREFIX, USAGE, parseCliConfig } from './config.js';
import { startBridge, type BridgeHandle } from './server.js';
import { GatewayConfigError, loadGatewayConfig } from './gateway/config.js';
import { startGateway } from './gateway/index.js';

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): void;
  /** Install SIGTERM/SIGINT handlers (default true). */
  signals?: boolean;
  /** Log line sink (default stdout). */
  log?: (line: string) => void;
}

const defaultIo = (): CliIo => ({
  env: process.env,
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  exit: (code) => process.exit(code),
});

const TOKEN_USAGE = `Usage: mongo-edge-bridge token --jwt-secret S [--ttl SECONDS] [--sub NAME] [--allow host:port ...]
Prints an HS256 token the bridge accepts (secret also from ${ENV_PREFIX}JWT_SECRET).
`;

async function tokenCommand(argv: readonly string[], io: CliIo): Promise<undefined> {
  let values: { 'jwt-secret'?: string; ttl?: string; sub?: string; allow?: string[]; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: { 'jwt-secret': { type: 'string' }, ttl: { type: 'string' }, sub: { type: 'string' }, allow: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (e) {
    io.stderr(`mongo-edge-bridge token: ${(e as Error).message}\n${TOKEN_USAGE}`);
    io.exit(2);
    return undefined;
  }
  if (values.help) {
    io.stdout(TOKEN_USAGE);
    io.exit(0);
    return undefined;
  }
  const secret = values['jwt-secret'] ?? io.env[`${ENV_PREFIX}JWT_SECRET`];
  const ttl = Number(values.ttl ?? 3600);
  if (!secret || secret.length < 32 || !Number.isInteger(ttl) || ttl <= 0) {
    io.stderr(`mongo-edge-bridge token: need --jwt-secret (32+ characters) and a positive integer --ttl\n${TOKEN_USAGE}`);
    io.exit(2);
    return undefined;
  }
  const token = await signBridgeToken(secret, { expiresInSeconds: ttl, subject: values.sub, allow: values.allow });
  io.stdout(token + '\n');
  io.exit(0);
  return undefined;
}

const GATEWAY_USAGE = `Usage: mongo-edge-bridge --gateway --config gateway.json
Gateway mode (docs/gateway.md): the bridge holds the cluster credentials (from the
environment or files named in gateway.json), verifies end-user JWTs and runs every
command through the rules of gateway.json. It relays nothing.
`;

async function gatewayCommand(argv: readonly string[], io: CliIo): Promise<BridgeHandle | undefined> {
  let values: { gateway?: boolean; config?: string; help?: boolean };
  try {
    values = parseArgs({ args: [...argv], options: { gateway: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    io.stderr(`mongo-edge-bridge --gateway: ${(e as Error).message}\n${GATEWAY_USAGE}`);
    io.exit(2);
    return undefined;
  }
  if (values.help) {
    io.stdout(GATEWAY_USAGE);
    io.exit(0);
    return undefined;
  }
  if (!values.config) {
    io.stderr(`mongo-edge-bridge --gateway: --config gateway.json is required\n${GATEWAY_USAGE}`);
    io.exit(2);
    return undefined;
  }
  try {
    const config = loadGatewayConfig(values.config);
    return await startGateway(config, { env: io.env, ...(io.log ? { log: io.log } : {}) });
  } catch (e) {
    if (e instanceof GatewayConfigError) {
      io.stderr(`mongo-edge-bridge: ${e.message}\n`);
      io.exit(2);
      return undefined;
    }
    io.stderr(`mongo-edge-bridge: cannot start the gateway: ${(e as Error).message}\n`);
    io.exit(1);
    return undefined;
  }
}

/** Runs the CLI. Resolves with the running bridge (undefined if it exited). */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<BridgeHandle | undefined> {
  if (argv[0] === 'token') return tokenCommand(argv.slice(1), io);
  if (argv.includes('--gateway')) {
    const gateway = await gatewayCommand(argv, io);
    if (gateway && io.signals !== false) onSignals(gateway, io);
    return gateway;
  }
  let parsed;
  try {
    parsed = parseCliConfig(argv, io.env);
  } catch (e) {
    if (e instanceof BridgeConfigError) {
      io.stderr(`mongo-edge-bridge: ${e.message}\n\nRun mongo-edge-bridge --help for usage.\n`);
      io.exit(2);
      return undefined;
    }
    throw e;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    io.exit(0);
    return undefined;
  }
  let bridge: BridgeHandle;
  try {
    bridge = await startBridge({ ...parsed.config, ...(io.log ? { log: io.log } : {}) });
  } catch (e) {
    io.stderr(`mongo-edge-bridge: cannot start: ${(e as Error).message}\n`);
    io.exit(1);
    return undefined;
  }
  if (io.signals !== false) onSignals(bridge, io);
  return bridge;
}

function onSignals(bridge: BridgeHandle, io: CliIo): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      io.stderr(`mongo-edge-bridge: ${signal} again, exiting now\n`);
      io.exit(1);
      return;
    }
    stopping = true;
    void bridge.close().then(
      () => io.exit(0),
      (e: unknown) => {
        io.stderr(`mongo-edge-bridge: shutdown failed: ${(e as Error).message}\n`);
        io.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
