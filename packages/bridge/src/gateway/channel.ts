/**
 * GatewayChannel: one virtual connection of a client to the gateway, over the bridge
 * protocol (docs/bridge-protocol.md) unchanged, so the web client needs one option.
 * Each data frame holds one OP_MSG; it is decoded (size checked first), handed to the
 * service (gate -> rules -> cluster) and answered with one OP_MSG. Requests on a
 * channel are answered in order. Other opcodes (OP_QUERY, OP_COMPRESSED, ...) fail
 * the channel: the gateway speaks OP_MSG only. Nothing is ever relayed to a target.
 */
import {
  BridgeErrorReason,
  BridgeFrameType,
  OP_MSG,
  concatChunks,
  decodeOpMsg,
  encodeBridgeControlFrame,
  encodeBridgeDataFrame,
  encodeOpMsg,
  newRequestId,
  type OpMsg,
} from '@mongo-edge/core/internal';
import { admitGatewayChannel, type Principal } from '../admission.js';
import type { ChannelSocket, SocketChannel } from '../channel.js';
import type { Logger } from '../log.js';
import type { BridgeMetrics } from '../metrics.js';
import type { ChannelOpener } from '../socket.js';
import type { GatewayMetrics } from './metrics.js';
import type { GatewayCaller, GatewayService } from './service.js';

export interface GatewayChannelDeps {
  readonly service: GatewayService;
  readonly maxCommandBytes: number;
  readonly maxChannelsPerSocket: number;
  readonly metrics: BridgeMetrics;
  readonly gatewayMetrics: GatewayMetrics;
  readonly log: Logger;
}

let nextConnectionId = 1;

/** The principal's key: issuer and subject (two issuers may reuse a subject). */
export function callerOf(principal: Principal): GatewayCaller {
  const claims = principal.claims ?? {};
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  return { principal: { subject: principal.subject, claims }, key: `${iss}\u0000${principal.subject}` };
}

export class GatewayChannel implements SocketChannel {
  readonly id: number;
  readonly target = 'gateway';
  readonly connectionId = nextConnectionId++;
  readonly #socket: ChannelSocket;
  readonly #deps: GatewayChannelDeps;
  readonly #caller: GatewayCaller;
  readonly #expiresAt: number | undefined;
  #state: 'new' | 'open' | 'closed' = 'new';
  #queue: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #pendingBytes = 0;
  #lastActivity = Date.now();
  #closeWhenIdle = false;

  constructor(socket: ChannelSocket, id: number, principal: Principal, deps: GatewayChannelDeps) {
    this.#socket = socket;
    this.id = id;
    this.#deps = deps;
    this.#caller = callerOf(principal);
    this.#expiresAt = principal.expiresAt;
  }

  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  get lastActivity(): number {
    return this.#lastActivity;
  }

  connect(): void {
    if (this.#state !== 'new') return;
    this.#state = 'open';
    this.#deps.gatewayMetrics.channelsOpen += 1;
    this.#socket.send(encodeBridgeControlFrame(BridgeFrameType.Opened, this.id, { maxMessageSizeBytes: this.#deps.maxCommandBytes }));
  }

  write(message: Uint8Array, expectsReply: boolean): void {
    if (this.#state !== 'open') return;
    this.#lastActivity = Date.now();
    if (message.byteLength > this.#deps.maxCommandBytes) {
      this.fail(BridgeErrorReason.MessageTooLarge, `a command of ${message.byteLength} bytes exceeds the gateway limit of ${this.#deps.maxCommandBytes} bytes`);
      return;
    }
    const opCode = new DataView(message.buffer, message.byteOffset, message.byteLength).getInt32(12, true);
    if (opCode !== OP_MSG) {
      this.fail(BridgeErrorReason.ProtocolError, `the gateway speaks OP_MSG only (got opcode ${opCode})`);
      return;
    }
    let msg: OpMsg;
    let exact: OpMsg;
    try {
      msg = decodeOpMsg(message, { bson: { promoteLongs: false } });
      // The same command with its BSON types (docs/gateway.md "BSON types"): the rules read `msg`.
      exact = decodeOpMsg(message, { bson: { promoteValues: false } });
    } catch (e) {
      this.fail(BridgeErrorReason.ProtocolError, `bad OP_MSG: ${(e as Error).message}`);
      return;
    }
    this.#deps.metrics.messages.client_to_server += 1;
    this.#deps.metrics.bytes.client_to_server += message.byteLength;
    this.#inFlight += 1;
    this.#queue = this.#queue.then(() => this.#run(msg, exact, expectsReply && !msg.moreToCome));
  }

  async #run(msg: OpMsg, exact: OpMsg, reply: boolean): Promise<void> {
    try {
      if (this.#state !== 'open') return;
      if (this.#expiresAt !== undefined && this.#expiresAt * 1000 <= Date.now()) {
        this.fail(BridgeErrorReason.AuthFailed, 'the token has expired; reconnect with a fresh token');
        return;
      }
      const body = await this.#deps.service.command(this.#caller, msg.body, msg.sequences, this.connectionId, exact);
      // A failed handshake ends the channel after its reply: a client that pipelined its
      // first command behind the hello (handshake pipelining) must find it not run.
      const handshakeFailed = isHandshake(msg.body) && body.ok !== 1;
      if (reply && this.#state === 'open') this.#reply(msg, body);
      if (handshakeFailed) this.fail(BridgeErrorReason.ProtocolError, 'the handshake (hello) failed');
    } catch (e) {
      // service.command answers every failure with a reply; this is a bug or an encoding failure (reply too large)
      this.#deps.log.error('gateway.channel', { conn: this.#socket.id, channel: this.id, error: (e as Error)?.name ?? 'unknown' });
      this.fail(BridgeErrorReason.ProtocolError, 'the gateway could not answer this command');
    } finally {
      this.#inFlight -= 1;
      this.#lastActivity = Date.now();
      if (this.#closeWhenIdle && this.#inFlight === 0) this.fail(BridgeErrorReason.BridgeShuttingDown, 'the gateway is shutting down');
    }
  }

  #reply(msg: OpMsg, body: Record<string, unknown>): void {
    const bytes = concatChunks(encodeOpMsg({ requestId: newRequestId(), responseTo: msg.requestId, body }));
    const frame = encodeBridgeDataFrame(this.id, [bytes]);
    this.#pendingBytes += frame.byteLength;
    this.#deps.metrics.messages.server_to_client += 1;
    this.#deps.metrics.bytes.server_to_client += bytes.byteLength;
    this.#socket.send(frame, () => {
      this.#pendingBytes -= frame.byteLength;
      this.#socket.flushed();
    });
  }

  tryResumeReads(): boolean {
    return true;
  }

  drain(message: string): void {
    if (this.#inFlight > 0) this.#closeWhenIdle = true;
    else this.fail(BridgeErrorReason.BridgeShuttingDown, message);
  }

  fail(reason: BridgeErrorReason, message: string): void {
    if (this.#state === 'closed') return;
    this.#deps.metrics.error(reason);
    this.#socket.send(encodeBridgeControlFrame(BridgeFrameType.Error, this.id, { reason, message }));
    this.#deps.log.warn('channel.error', { conn: this.#socket.id, channel: this.id, target: this.target, reason, message });
    this.#finish();
  }

  destroy(): void {
    this.#finish();
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open') this.#deps.gatewayMetrics.channelsOpen -= 1;
    this.#state = 'closed';
    this.#socket.closed(this);
    // its transactions that no other open channel carries are aborted upstream
    this.#deps.service.channelClosed(this.connectionId);
  }
}

const HANDSHAKE_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);
const isHandshake = (body: Record<string, unknown>): boolean => HANDSHAKE_COMMANDS.has(Object.keys(body)[0] ?? '');

/** The socket's channel opener in gateway mode: admitGatewayChannel, then a GatewayChannel. */
export function gatewayChannelOpener(deps: GatewayChannelDeps): ChannelOpener {
  return (socket, id, _open, principal, counts) => {
    const admission = admitGatewayChannel({ maxChannelsPerSocket: deps.maxChannelsPerSocket }, principal, counts);
    if (!admission.allowed) return admission;
    return { allowed: true, channel: new GatewayChannel(socket, id, principal, deps) };
  };
}
