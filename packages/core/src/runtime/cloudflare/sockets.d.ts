/**
 * The part of Cloudflare's `cloudflare:sockets` module the transport uses (TCP sockets
 * for Workers: https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/).
 * Declared here so the core needs no @cloudflare/workers-types.
 */
declare module 'cloudflare:sockets' {
  export interface SocketAddress {
    hostname: string;
    port: number;
  }
  export interface SocketOptions {
    /** 'on': TLS from the start; 'starttls': plain until startTls(). Default 'off'. */
    secureTransport?: 'off' | 'on' | 'starttls';
    allowHalfOpen?: boolean;
  }
  export interface SocketInfo {
    remoteAddress?: string;
    localAddress?: string;
  }
  export interface TlsOptions {
    expectedServerHostname?: string;
  }
  export interface Socket {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly opened: Promise<SocketInfo>;
    readonly closed: Promise<void>;
    close(): Promise<void>;
    startTls(options?: TlsOptions): Socket;
  }
  export function connect(address: SocketAddress | string, options?: SocketOptions): Socket;
}
