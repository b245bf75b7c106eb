/**
 * The monitoring event types under the official driver's names, so code written for
 * `mongodb` that annotates its listeners (`(e: CommandStartedEvent) => ...`) ports
 * unchanged. Payloads are the ones MongoClientEvents carries; CMAP events keep their
 * spec names in pool/events.ts.
 */
import type { TopologyEvents } from '../sdam/topology.js';

export type { CommandStartedEvent, CommandSucceededEvent, CommandFailedEvent } from '../operation/command-monitoring.js';
export type { HeartbeatStartedEvent, HeartbeatSucceededEvent, HeartbeatFailedEvent } from '../sdam/monitor.js';

export type TopologyOpeningEvent = TopologyEvents['topologyOpening'];
export type TopologyClosedEvent = TopologyEvents['topologyClosed'];
export type TopologyDescriptionChangedEvent = TopologyEvents['topologyDescriptionChanged'];
export type ServerOpeningEvent = TopologyEvents['serverOpening'];
export type ServerClosedEvent = TopologyEvents['serverClosed'];
export type ServerDescriptionChangedEvent = TopologyEvents['serverDescriptionChanged'];
export type ServerHeartbeatStartedEvent = TopologyEvents['serverHeartbeatStarted'];
export type ServerHeartbeatSucceededEvent = TopologyEvents['serverHeartbeatSucceeded'];
export type ServerHeartbeatFailedEvent = TopologyEvents['serverHeartbeatFailed'];
