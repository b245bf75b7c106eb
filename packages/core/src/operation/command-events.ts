/**
 * The command monitoring events of one command (command-monitoring.ts has their types): what
 * a client with monitorCommands emits. Loaded with the cold code (cold/index.ts).
 */
import type { Document } from '../errors.js';
import { newRequestId } from '../wire/header.js';
import { unmonitoredCommand, type CommandEventBase, type CommandEventEmitter, type CommandToMonitor, type MonitoredCommand } from './command-monitoring.js';

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
  const command = redacted ? {} : { ...sent.command, ...sent.sequences, $db: sent.databaseName };
  emit('commandStarted', { ...base, command });
  return {
    requestId,
    succeeded: (reply) => emit('commandSucceeded', { ...base, reply: redacted ? {} : reply, duration: now() - started }),
    failed: (failure) => emit('commandFailed', { ...base, failure: redacted ? {} : failure, duration: now() - started }),
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
