// Public API of @mongo-edge/bridge.
export { startBridge, type BridgeHandle } from './server.js';
export { main, type CliIo } from './cli.js';
export {
  validateConfig,
  parseCliConfig,
  bridgeConfigSchema,
  BridgeConfigError,
  DEFAULTS,
  type BridgeConfig,
  type BridgeConfigInput,
  type BridgeOptions,
} from './config.js';
export { signBridgeToken, type SignBridgeTokenOptions } from './auth.js';
export { renderPrometheus, type BridgeMetricsSnapshot } from './metrics.js';
export type { LogSink } from './log.js';
export {
  startGateway,
  validateGatewayConfig,
  loadGatewayConfig,
  GatewayConfigError,
  gatewayConfigSchema,
  authorize,
  createJwtVerifier,
  signGatewayToken,
  type SignGatewayTokenOptions,
  GATEWAY_ACTIONS,
  DATA_API_ACTIONS,
  type GatewayHandle,
  type StartGatewayOptions,
  type GatewayConfig,
  type GatewayConfigInput,
  type Authorization,
  type AuthorizePolicy,
  type CommandRequest,
  type GatewayAction,
  type GatewayRule,
  type GatewayPrincipal,
} from './gateway/index.js';
