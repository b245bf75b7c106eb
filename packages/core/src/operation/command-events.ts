/**
 * The command monitoring events of one command (command-monitoring.ts has their types): what
 * a client with monitorCommands emits. Loaded with the cold code (cold/index.ts).
 */
import type { Document } from '../errors.js';
import { newRequestId } from '../wire/header.js';
import {
  CommandFailedEvent,
  CommandStartedEvent,
  CommandSucceededEvent,
  unmonitoredCommand,
  type CommandEventBase, type CommandEventEmitter, type CommandToMonitor, type MonitoredCommand } from './command-monitoring.js';

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
  if (!emit) return unmonitoredCommand();
  const requestId = newRequestId();
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
