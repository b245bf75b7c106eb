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
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionPoolCreated';
  /** The non-default options the pool was created with. */
  readonly options: Readonly<Record<string, unknown>>;
}
export interface ConnectionPoolReadyEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionPoolReady';
}
export interface ConnectionPoolClearedEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionPoolCleared';
  /** Load-balanced mode: the service whose connections were cleared. */
  readonly serviceId?: unknown;
  readonly interruptInUseConnections?: boolean;
}
export interface ConnectionPoolClosedEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionPoolClosed';
}
export interface ConnectionCreatedEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionCreated';
  readonly connectionId: number;
}
export interface ConnectionReadyEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionReady';
  readonly connectionId: number;
  /** From ConnectionCreated to ready. */
  readonly durationMS: number;
}
export interface ConnectionClosedEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionClosed';
  readonly connectionId: number;
  readonly reason: ConnectionClosedReason;
  readonly error?: Error;
}
export interface ConnectionCheckOutStartedEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionCheckOutStarted';
}
export interface ConnectionCheckOutFailedEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionCheckOutFailed';
  readonly reason: ConnectionCheckOutFailedReason;
  readonly error?: Error;
  /** From ConnectionCheckOutStarted to the failure. */
  readonly durationMS: number;
}
export interface ConnectionCheckedOutEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionCheckedOut';
  readonly connectionId: number;
  /** From ConnectionCheckOutStarted to checked out. */
  readonly durationMS: number;
}
export interface ConnectionCheckedInEvent {
  readonly address: string;
  /** The event's name (as the official driver's events carry it). */
  readonly name: 'connectionCheckedIn';
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
