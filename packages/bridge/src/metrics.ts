/** Bridge counters and their Prometheus text rendering. */
import { BridgeErrorReason } from '@mongo-edge/core/internal';

export type Direction = 'client_to_server' | 'server_to_client';

export interface BridgeMetricsSnapshot {
  /** TCP connections to the listener right now (sessions, handshakes, HTTP routes, closing). */
  connectionsOpen: number;
  websocketsOpen: number;
  websocketsTotal: number;
  channelsOpen: number;
  channelsTotal: number;
  bytesClientToServer: number;
  bytesServerToClient: number;
  messagesClientToServer: number;
  messagesServerToClient: number;
  /** Refused sockets/channels by reason (auth-failed, origin-refused, target-refused, ...). */
  refusals: Readonly<Record<string, number>>;
  /** Channel and socket errors after acceptance, by reason (a WebSocket closed with 1009 counts as message-too-large). */
  errors: Readonly<Record<string, number>>;
  /** Bytes the bridge holds right now for all channels (framer + queued to WebSocket + queued to TCP). */
  bufferedBytes: number;
  /** The largest bufferedBytes of any single channel seen so far. */
  peakChannelBufferedBytes: number;
  /** Times a TCP socket was paused because its WebSocket lagged, and vice versa. */
  tcpPauses: number;
  websocketPauses: number;
  /** Hosts currently allowed because the seeds reported them. */
  seedHosts: number;
  shuttingDown: boolean;
}

const REASONS = Object.values(BridgeErrorReason).filter((r) => r !== BridgeErrorReason.ConnectionLost);

export class BridgeMetrics {
  websocketsOpen = 0;
  websocketsTotal = 0;
  channelsOpen = 0;
  channelsTotal = 0;
  bytes: Record<Direction, number> = { client_to_server: 0, server_to_client: 0 };
  messages: Record<Direction, number> = { client_to_server: 0, server_to_client: 0 };
  refusals: Record<string, number> = Object.fromEntries(REASONS.map((r) => [r, 0]));
  errors: Record<string, number> = Object.fromEntries(REASONS.map((r) => [r, 0]));
  peakChannelBufferedBytes = 0;
  tcpPauses = 0;
  websocketPauses = 0;

  refuse(reason: string): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
  }

  error(reason: string): void {
    this.errors[reason] = (this.errors[reason] ?? 0) + 1;
  }

  observeBuffered(bytes: number): void {
    if (bytes > this.peakChannelBufferedBytes) this.peakChannelBufferedBytes = bytes;
  }

  snapshot(live: { connectionsOpen: number; bufferedBytes: number; seedHosts: number; shuttingDown: boolean }): BridgeMetricsSnapshot {
    return {
      connectionsOpen: live.connectionsOpen,
      websocketsOpen: this.websocketsOpen,
      websocketsTotal: this.websocketsTotal,
      channelsOpen: this.channelsOpen,
      channelsTotal: this.channelsTotal,
      bytesClientToServer: this.bytes.client_to_server,
      bytesServerToClient: this.bytes.server_to_client,
      messagesClientToServer: this.messages.client_to_server,
      messagesServerToClient: this.messages.server_to_client,
      refusals: { ...this.refusals },
      errors: { ...this.errors },
      bufferedBytes: live.bufferedBytes,
      peakChannelBufferedBytes: this.peakChannelBufferedBytes,
      tcpPauses: this.tcpPauses,
      websocketPauses: this.websocketPauses,
      seedHosts: live.seedHosts,
      shuttingDown: live.shuttingDown,
    };
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderPrometheus(s: BridgeMetricsSnapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, rows: Array<[string, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) out.push(`${name}${labels} ${value}`);
  };
  const p = 'mongo_edge_bridge_';
  metric(`${p}connections_open`, 'gauge', 'TCP connections to the listener (sessions, handshakes, HTTP, closing).', [['', s.connectionsOpen]]);
  metric(`${p}websockets_open`, 'gauge', 'Open client WebSockets.', [['', s.websocketsOpen]]);
  metric(`${p}websockets_total`, 'counter', 'Client WebSockets accepted.', [['', s.websocketsTotal]]);
  metric(`${p}channels_open`, 'gauge', 'Open channels (logical TCP connections).', [['', s.channelsOpen]]);
  metric(`${p}channels_total`, 'counter', 'Channels opened.', [['', s.channelsTotal]]);
  metric(`${p}bytes_total`, 'counter', 'Wire-message bytes relayed.', [
    ['{direction="client_to_server"}', s.bytesClientToServer],
    ['{direction="server_to_client"}', s.bytesServerToClient],
  ]);
  metric(`${p}messages_total`, 'counter', 'Wire messages relayed.', [
    ['{direction="client_to_server"}', s.messagesClientToServer],
    ['{direction="server_to_client"}', s.messagesServerToClient],
  ]);
  metric(`${p}refusals_total`, 'counter', 'Sockets and channels refused, by reason.',
    Object.entries(s.refusals).map(([r, v]) => [`{reason="${esc(r)}"}`, v]));
  metric(`${p}errors_total`, 'counter', 'Errors on accepted sockets and channels, by reason.',
    Object.entries(s.errors).map(([r, v]) => [`{reason="${esc(r)}"}`, v]));
  metric(`${p}buffered_bytes`, 'gauge', 'Bytes held for all channels right now.', [['', s.bufferedBytes]]);
  metric(`${p}channel_buffered_bytes_peak`, 'gauge', 'Largest per-channel buffered bytes seen.', [['', s.peakChannelBufferedBytes]]);
  metric(`${p}pauses_total`, 'counter', 'Backpressure pauses.', [
    ['{side="tcp"}', s.tcpPauses],
    ['{side="websocket"}', s.websocketPauses],
  ]);
  metric(`${p}seed_hosts`, 'gauge', 'Hosts allowed because the seeds reported them.', [['', s.seedHosts]]);
  metric(`${p}shutting_down`, 'gauge', '1 while shutting down.', [['', s.shuttingDown ? 1 : 0]]);
  return out.join('\n') + '\n';
}
