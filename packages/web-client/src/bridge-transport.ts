/**
 * BridgeTransport: the web client's Transport. A thin owner of a WebSocketTransport
 * (one WebSocket to the bridge, many channels) that can be reopened: the client's
 * executor closes its transport on `client.close()`, and a later `client.connect()`
 * must work again, so each open/close cycle gets a fresh WebSocketTransport.
 */
import {
  WebSocketTransport,
  type Transport,
  type TransportConnectOptions,
  type TransportSocket,
  type WebSocketTransportOptions,
} from '@mongo-edge/core';

/** Options of the bridge connection (see WebSocketTransportOptions). */
export type BridgeOptions = WebSocketTransportOptions;

export class BridgeTransport implements Transport {
  readonly name = 'websocket';
  /** A gateway's transport pipelines each connection's handshake (BridgeOptions.gateway). */
  readonly handshakePipelining: boolean;
  readonly #options: BridgeOptions;
  #current: WebSocketTransport | undefined;
  /** Workers only (absent elsewhere): the current request's scope (see WebSocketTransport.ioScope). */
  readonly ioScope?: () => Promise<object>;

  constructor(options: BridgeOptions) {
    // Validate now (bad url, no WebSocket constructor) so the error surfaces at construction.
    this.#current = new WebSocketTransport(options);
    this.#options = { ...options };
    this.handshakePipelining = options.gateway === true;
    if (this.#current.ioScope) this.ioScope = () => (this.#current ??= new WebSocketTransport(this.#options)).ioScope!();
  }

  /** The bridge URL. */
  get url(): string {
    return this.#options.url;
  }

  /** Channels open on the current WebSocket (diagnostics). */
  get openChannels(): number {
    return this.#current?.openChannels ?? 0;
  }

  connect(options: TransportConnectOptions): Promise<TransportSocket> {
    return (this.#current ??= new WebSocketTransport(this.#options)).connect(options);
  }

  async close(): Promise<void> {
    const t = this.#current;
    this.#current = undefined;
    await t?.close();
  }
}
