/**
 * Command Logging and Monitoring: the commandStarted / commandSucceeded /
 * commandFailed events of one command sent on one connection. `requestId` is the
 * wire request id of the OP_MSG that carried the command (the spec's "the driver
 * generated request id"), so the caller sends the command with the id it gets here.
 * The events themselves are made in command-events.ts, which loads with the cold code
 * when a client has monitorCommands (the executor loads it before its first operation).
 */
import type { Document } from '../errors.js';
import { newRequestId } from '../wire/header.js';

/** The fields the three events share, as the spec names them. */
export interface CommandEventBase {
  commandName: string;
  databaseName: string;
  /** The requestId of the wire message that carried the command. */
  requestId: number;
  /** "host:port" of the server. */
  address: string;
  /** The driver's id of the connection (CMAP connectionId). */
  connectionId: number;
  /** The server's id of the connection (its hello's `connectionId`), null when it sent none. */
  serverConnectionId: bigint | null;
  /** Load-balanced mode: the hello's serviceId. */
  serviceId?: unknown;
}

/**
 * The events are instances of classes of the official driver's names (applications log
 * `event.constructor.name` or test `instanceof`); each takes its fields as given.
 */
abstract class CommandEvent {
  declare commandName: string;
  declare databaseName: string;
  declare requestId: number;
  declare address: string;
  declare connectionId: number;
  declare serverConnectionId: bigint | null;
  declare serviceId?: unknown;
  /** The base fields and the event's own (command; reply or failure, and duration). */
  constructor(fields: CommandEventBase & Record<string, unknown>) {
    Object.assign(this, fields);
  }
}

export class CommandStartedEvent extends CommandEvent {
  /** The command as sent, with its `$db`; kind-1 document sequences appear as array fields. */
  declare command: Document;
}

export class CommandSucceededEvent extends CommandEvent {
  declare reply: Document;
  /** Milliseconds from sending to the reply. */
  declare duration: number;
}

export class CommandFailedEvent extends CommandEvent {
  declare failure: unknown;
  declare duration: number;
}

/** The command monitoring events, by name. */
export interface CommandMonitoringEvents {
  commandStarted: CommandStartedEvent;
  commandSucceeded: CommandSucceededEvent;
  commandFailed: CommandFailedEvent;
}

export type CommandEventEmitter = <K extends keyof CommandMonitoringEvents>(name: K, event: CommandMonitoringEvents[K]) => void;

export interface MonitoredCommand {
  /** Send the command with this wire request id. */
  readonly requestId: number;
  /** Emit commandSucceeded (when monitoring). */
  succeeded(reply: Document): void;
  /** Emit commandFailed (when monitoring). */
  failed(failure: unknown): void;
}

export interface CommandToMonitor {
  readonly databaseName: string;
  /** The decorated command, as it goes on the wire. */
  readonly command: Document;
  readonly sequences?: Readonly<Record<string, readonly Document[]>> | undefined;
  readonly address: string;
  readonly connectionId: number;
  /** The connection's hello reply (its `connectionId`, `serviceId`). */
  readonly hello?: Document | undefined;
}

/** A command sent without monitoring: its wire request id, and outcomes that emit nothing. */
export function unmonitoredCommand(): MonitoredCommand {
  return { requestId: newRequestId(), succeeded: () => undefined, failed: () => undefined };
}
