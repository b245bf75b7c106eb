// Internal entry for sibling packages (sim, bridge, web-client, bench): not public API.
export * from './wire/index.js';
export * from './transport/bridge-protocol.js';
export * from './runtime/bridge/transport.js';
