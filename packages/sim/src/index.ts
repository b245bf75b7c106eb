/** @mongo-edge/sim: a mongod 7.0-compatible wire server for tests, demos and benchmarks. */
export { startSim, type StartSimOptions, type SimHandle } from './sim.js';
export { spawnSim, parseReadyLine, READY_MSG, type SpawnSimOptions, type SpawnedSim } from './spawn.js';
export { SimNode, SIM_VERSION, MAX_WIRE_VERSION, type NodeOptions, type ConnectionInfo } from './node.js';
export { WireServer, type WireServerOptions } from './server.js';
export { dispatch, registerCommands, registry, type CommandContext, type CommandHandler, type CommandSpec } from './dispatcher.js';
export { StandaloneRole, NodeRoleKind, type NodeRole, type TopologyVersion } from './role.js';
export { StorageEngine, CollectionState, type WriteEntry, type IndexSpec, type CommitListener } from './storage/engine.js';
export { Journal, JOURNAL_FILE, decodeRecords, encodeRecord } from './storage/journal.js';
export { FailPoints } from './failpoints.js';
export { CommandError, ErrorCode, codeName } from './errors.js';
export { parseArgs, USAGE, type CliOptions } from './options.js';
export { startCluster, type Cluster, type ClusterMember, type ClusterMemberOptions, type StartClusterOptions } from './cluster.js';
export { ReplicaSetRole } from './repl/coordinator.js';
export { MEMBER_STATE_CODE, type MemberState } from './repl/member-state.js';
export { PeerClient } from './repl/peer.js';
export { startMongos, mongosArgs, type StartMongosOptions, type MongosProcess } from './mongos/launch.js';
export { startMongosRouter, type StartMongosRouterOptions, type MongosRouterHandle } from './mongos/start.js';
export { MongosRouter, type RouterOptions } from './mongos/router.js';
