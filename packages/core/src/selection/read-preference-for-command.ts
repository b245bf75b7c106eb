/**
 * Which `$readPreference` (if any) to put on an OP_MSG command sent to the selected
 * server, per the Server Selection spec: "Passing read preference to mongos and load
 * balancers", "Topology type: Single" and the replica-set OP_MSG rule. Pure.
 */
import type { Document } from '../errors.js';
import { ServerType, type ServerDescription } from '../sdam/server-description.js';
import { TopologyType, type TopologyDescription } from '../sdam/topology-description.js';
import { ReadPreferenceMode, type ReadPreference } from './read-preference.js';

/**
 * The `$readPreference` document to send with a read command to `server`, or undefined
 * to send none. `readPreference` is the operation's (undefined: none configured).
 *
 * - Sharded, LoadBalanced (mongos / load balancer): none for primary, otherwise the read
 *   preference (mongos applies it).
 * - ReplicaSetWithPrimary / ReplicaSetNoPrimary: none for primary, otherwise the read preference.
 * - Single: a Standalone gets none; a Mongos or LoadBalancer follows the mongos rule; any other
 *   server type gets `{ mode: 'primaryPreferred' }` when the preference is unset or primary (so a
 *   secondary accepts it), otherwise the read preference.
 * - Unknown: decided by the server's type as for Single, without the direct-connection upgrade
 *   (a Standalone gets none, any other server the mongos rule).
 *
 * Writes carry no read preference: call this for reads only.
 */
export function readPreferenceForCommand(
  td: Pick<TopologyDescription, 'type'>,
  server: Pick<ServerDescription, 'type'>,
  readPreference: ReadPreference | undefined,
): Document | undefined {
  const decidedByServer = td.type === TopologyType.Single || td.type === TopologyType.Unknown;
  if (decidedByServer && server.type === ServerType.Standalone) return undefined;
  const primary = !readPreference || readPreference.mode === ReadPreferenceMode.primary;
  const direct = td.type === TopologyType.Single && server.type !== ServerType.Mongos && server.type !== ServerType.LoadBalancer;
  // A direct connection to a replica-set member (or other non-mongos server): primary becomes
  // primaryPreferred so that any member accepts the read.
  if (direct && primary) return { mode: ReadPreferenceMode.primaryPreferred };
  return primary ? undefined : readPreference.toJSON();
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
