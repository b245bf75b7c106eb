/**
 * CMAP monitoring events (Connection Monitoring and Pooling spec, "Events"). Event
 * names on the emitter are the spec's names in lowerCamelCase, the way the official
 * Node.js driver names them. Durations are milliseconds (`durationMS`).
 */
import { keyMirror } from '../util/key-mirror.js';

export const ConnectionClosedReason = keyMirror('stale', 'idle', 'error', 'poolClosed');
export type ConnectionClosedReason = (typeof ConnectionClosedReason)[keyof typeof ConnectionClosedReason];

export const ConnectionCheckOutFailedReason = keyMirror('poolClosed', 'timeout', 'connectionError');
export type ConnectionCheckOutFailedReason =
  (typeof ConnectionCheckOutFailedReason)[keyof typeof ConnectionCheckOutFailedReason];

export interface ConnectionPoolCreatedEvent {
  readonly address: string;
  /** The non-default options the pool was created with. */
  readonly options: Readonly<Record<string, unknown>>;
}
export interface ConnectionPoolReadyEvent {
  readonly address: string;
}
export interface ConnectionPoolClearedEvent {
  readonly address: string;
  /** Load-balanced mode: the service whose connections were cleared. */
  readonly serviceId?: unknown;
  readonly interruptInUseConnections?: boolean;
}
export interface ConnectionPoolClosedEvent {
  readonly address: string;
}
export interface ConnectionCreatedEvent {
  readonly address: string;
  readonly connectionId: number;
}
export interface ConnectionReadyEvent {
  readonly address: string;
  readonly connectionId: number;
  /** From ConnectionCreated to ready. */
  readonly durationMS: number;
}
export interface ConnectionClosedEvent {
  readonly address: string;
  readonly connectionId: number;
  readonly reason: ConnectionClosedReason;
  readonly error?: Error;
}
export interface ConnectionCheckOutStartedEvent {
  readonly address: string;
}
export interface ConnectionCheckOutFailedEvent {
  readonly address: string;
  readonly reason: ConnectionCheckOutFailedReason;
  readonly error?: Error;
  /** From ConnectionCheckOutStarted to the failure. */
  readonly durationMS: number;
}
export interface ConnectionCheckedOutEvent {
  readonly address: string;
  readonly connectionId: number;
  /** From ConnectionCheckOutStarted to checked out. */
  readonly durationMS: number;
}
export interface ConnectionCheckedInEvent {
  readonly address: string;
  readonly connectionId: number;
}

/** Event name -> payload, for TypedEmitter. */
export type ConnectionPoolEvents = {
  connectionPoolCreated: ConnectionPoolCreatedEvent;
  connectionPoolReady: ConnectionPoolReadyEvent;
  connectionPoolCleared: ConnectionPoolClearedEvent;
  connectionPoolClosed: ConnectionPoolClosedEvent;
  connectionCreated: ConnectionCreatedEvent;
  connectionReady: ConnectionReadyEvent;
  connectionClosed: ConnectionClosedEvent;
  connectionCheckOutStarted: ConnectionCheckOutStartedEvent;
  connectionCheckOutFailed: ConnectionCheckOutFailedEvent;
  connectionCheckedOut: ConnectionCheckedOutEvent;
  connectionCheckedIn: ConnectionCheckedInEvent;
};

export type ConnectionPoolEventName = keyof ConnectionPoolEvents;

/** Every CMAP event name, in the spec's order. */
export const CONNECTION_POOL_EVENTS: readonly ConnectionPoolEventName[] = Object.freeze([
  'connectionPoolCreated',
  'connectionPoolReady',
  'connectionPoolCleared',
  'connectionPoolClosed',
  'connectionCreated',
  'connectionReady',
  'connectionClosed',
  'connectionCheckOutStarted',
  'connectionCheckOutFailed',
  'connectionCheckedOut',
  'connectionCheckedIn',
]);
