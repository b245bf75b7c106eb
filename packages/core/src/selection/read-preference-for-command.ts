/**
 * Which `$readPreference` (if any) to put on an OP_MSG command sent to the selected
 * server, per the Server Selection spec: "Passing read preference to mongos and load
 * balancers", "Topology type: Single" and the replica-set OP_MSG rule. Pure.
 */
import type { Document } from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import { ReadPreferenceMode, type ReadPreference } from './read-preference.js';

function assertNever(x: never, what: string): never {
  throw new Error(`unexpected ${what}: ${String(x)}`);
}

/** Mongos / load balancer (OP_MSG): nothing for primary, the full document for any other mode. */
function forMongos(rp: ReadPreference | undefined): Document | undefined {
  if (!rp || rp.mode === ReadPreferenceMode.primary) return undefined;
  return rp.toJSON();
}

/** Replica-set member (OP_MSG): set for every mode but primary. */
const forReplicaSetMember = forMongos;

/**
 * A direct connection (topology Single) to a replica-set member or other non-mongos,
 * non-standalone server: an unset or primary read preference becomes primaryPreferred so
 * that any member accepts the read; any other preference is sent as is.
 */
function forDirectConnection(rp: ReadPreference | undefined): Document {
  if (!rp || rp.mode === ReadPreferenceMode.primary) return { mode: ReadPreferenceMode.primaryPreferred };
  return rp.toJSON();
}

/** By server type, for a topology type that does not decide it (Single, Unknown). */
function byServerType(serverType: ServerType, rp: ReadPreference | undefined, direct: boolean): Document | undefined {
  switch (serverType) {
    case ServerType.Mongos:
    case ServerType.LoadBalancer:
      return forMongos(rp);
    case ServerType.Standalone:
      return undefined;
    case ServerType.RSPrimary:
    case ServerType.RSSecondary:
    case ServerType.RSArbiter:
    case ServerType.RSOther:
    case ServerType.RSGhost:
    case ServerType.PossiblePrimary:
    case ServerType.Unknown:
      return direct ? forDirectConnection(rp) : forReplicaSetMember(rp);
    default:
      return assertNever(serverType, 'server type');
  }
}

/**
 * The `$readPreference` document to send with a read command to `server`, or undefined
 * to send none. `readPreference` is the operation's (undefined: none configured).
 *
 * - Sharded, LoadBalanced: none for primary, otherwise the read preference (mongos applies it).
 * - ReplicaSetWithPrimary / ReplicaSetNoPrimary: none for primary, otherwise the read preference.
 * - Single: a Standalone gets none; a Mongos follows the mongos rule; any other server type gets
 *   `{ mode: 'primaryPreferred' }` when the preference is unset or primary (so a secondary
 *   accepts it), otherwise the read preference.
 * - Unknown: decided by the server's type as for Single, without the direct-connection upgrade.
 *
 * Writes carry no read preference: call this for reads only.
 */
export function readPreferenceForCommand(
  td: Pick<TopologyDescription, 'type'>,
  server: Pick<ServerDescription, 'type'>,
  readPreference: ReadPreference | undefined,
): Document | undefined {
  const topologyType = td.type;
  switch (topologyType) {
    case TopologyType.Sharded:
    case TopologyType.LoadBalanced:
      return forMongos(readPreference);
    case TopologyType.ReplicaSetWithPrimary:
    case TopologyType.ReplicaSetNoPrimary:
      return forReplicaSetMember(readPreference);
    case TopologyType.Single:
      return byServerType(server.type, readPreference, true);
    case TopologyType.Unknown:
      return byServerType(server.type, readPreference, false);
    default:
      return assertNever(topologyType, 'topology type');
  }
}

/**
 * OP_QUERY only (legacy handshake path): whether to set the SecondaryOk flag on a read.
 * Mongos/LB: set for every mode but primary. Single: never for a Standalone (no read preference
 * is sent to it), always for other non-mongos servers. Replica sets: every mode but primary.
 */
export function secondaryOkForQuery(
  td: Pick<TopologyDescription, 'type'>,
  server: Pick<ServerDescription, 'type'>,
  readPreference: ReadPreference | undefined,
): boolean {
  const nonPrimary = readPreference !== undefined && readPreference.mode !== ReadPreferenceMode.primary;
  if (td.type === TopologyType.Single) {
    if (server.type === ServerType.Mongos) return nonPrimary;
    return server.type !== ServerType.Standalone;
  }
  return nonPrimary;
}
