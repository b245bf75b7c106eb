// Public API of @mongo-edge/core (the only barrel). Modules are added as they land.
export * from './errors.js';
export type { Transport, TransportSocket, TransportConnectOptions, TransportTlsOptions } from './transport/transport.js';
export { ReadPreference, ReadPreferenceMode } from './selection/read-preference.js';
export type { ReadPreferenceLike, TagSet } from './selection/read-preference.js';
export { ServerType } from './sdam/server-description.js';
export type { ServerDescription } from './sdam/server-description.js';
export { TopologyType } from './sdam/topology-description.js';
export type { TopologyDescription } from './sdam/topology-description.js';
