// Internal entry for sibling packages (sim, bridge, web-client, bench): not public API.
export * from './wire/index.js';
export * from './transport/bridge-protocol.js';
export * from './runtime/bridge/transport.js';
// Selection explanations (loaded lazily by the topology; not in the public barrel so the split web build keeps them out of the entry chunk).
export { explainNoSuitableServer } from './selection/explain.js';
