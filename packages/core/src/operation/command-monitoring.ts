/**
 * Command Logging and Monitoring: the commandStarted / commandSucceeded /
 * commandFailed events of one command sent on one connection. `requestId` is the
 * wire request id of the OP_MSG that carried the command (the spec's "the driver
 * generated request id"), so the caller sends the command with the id it gets here.
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

/**
 * The command as the application sees it in commandStarted: the body with its kind-1
 * document sequences as array fields where the official driver's command document has
 * them: right after the command name (insert / update / delete: `{ insert, documents,
 * ordered }`), after `ordered` for bulkWrite.
 */
export function commandWithSequences(command: Document, sequences: Readonly<Record<string, readonly Document[]>> | undefined, databaseName: string): Document {
  if (!sequences) return { ...command, $db: databaseName };
  const keys = Object.keys(command);
  const anchor = keys[0] === 'bulkWrite' && keys.includes('ordered') ? 'ordered' : keys[0];
  const out: Document = {};
  for (const key of keys) {
    out[key] = command[key];
    if (key === anchor) Object.assign(out, sequences);
  }
  if (anchor === undefined) Object.assign(out, sequences);
  out.$db = databaseName;
  return out;
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

/**
 * Allocates the wire request id of a command and, when `emit` is given (the client's
 * monitorCommands), emits commandStarted now and the outcome later. A listener that
 * throws makes this throw (the emitter's policy); the caller's cleanup must not
 * depend on it returning.
 */
/** The hello's `connectionId` (int32, int64 or double) as the official driver reports it. */
function serverConnectionIdOf(id: unknown): bigint | null {
  if (typeof id === 'number' && Number.isInteger(id)) return BigInt(id);
  if (typeof id === 'bigint') return id;
  if (id !== null && typeof id === 'object' && typeof (id as { toBigInt?: unknown }).toBigInt === 'function') return (id as { toBigInt(): bigint }).toBigInt();
  return null;
}

export function monitorCommand(emit: CommandEventEmitter | undefined, sent: CommandToMonitor, now: () => number = Date.now): MonitoredCommand {
  const requestId = newRequestId();
  if (!emit) return { requestId, succeeded: () => undefined, failed: () => undefined };
  const base: CommandEventBase = {
    commandName: Object.keys(sent.command)[0] ?? '',
    databaseName: sent.databaseName,
    requestId,
    address: sent.address,
    connectionId: sent.connectionId,
    serverConnectionId: serverConnectionIdOf(sent.hello?.connectionId),
  };
  if (sent.hello?.serviceId !== undefined) base.serviceId = sent.hello.serviceId;
  const started = now();
  const redacted = isSensitiveCommand(base.commandName, sent.command);
  const command = redacted ? {} : commandWithSequences(sent.command, sent.sequences, sent.databaseName);
  emit('commandStarted', new CommandStartedEvent({ ...base, command }));
  return {
    requestId,
    succeeded: (reply) => emit('commandSucceeded', new CommandSucceededEvent({ ...base, reply: redacted ? {} : reply, duration: now() - started })),
    failed: (failure) => emit('commandFailed', new CommandFailedEvent({ ...base, failure: redacted ? {} : failure, duration: now() - started })),
  };
}

/** Security-sensitive commands (Command Logging and Monitoring, "Security"), by lower-cased name. */
const SENSITIVE_COMMANDS: ReadonlySet<string> = new Set([
  'authenticate',
  'saslstart',
  'saslcontinue',
  'getnonce',
  'createuser',
  'updateuser',
  'copydbgetnonce',
  'copydbsaslstart',
  'copydb',
]);

/**
 * Whether a command's events carry an empty command, reply and failure: the sensitive
 * commands, and hello / legacy hello when they carry speculativeAuthenticate.
 */
export function isSensitiveCommand(commandName: string, command: Document): boolean {
  const name = commandName.toLowerCase();
  if (SENSITIVE_COMMANDS.has(name)) return true;
  return (name === 'hello' || name === 'ismaster') && command.speculativeAuthenticate !== undefined;
}
