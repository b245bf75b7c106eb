/**
 * How the topology's servers get their connections: the connect settings every
 * application connection shares (transport, TLS, timeouts, handshake metadata,
 * credentials, Stable API) and one CMAP pool per server, whose events are forwarded
 * to the client and whose connection establishment errors go to SDAM with the
 * generation they happened in.
 */
import type { Authenticator } from '../connection/auth-hook.js';
import type { ConnectOptions, Connection } from '../connection/types.js';
import { CONNECTION_POOL_EVENTS } from '../pool/events.js';
import { Pool } from '../pool/pool.js';
import type { Transport, TransportTlsOptions } from '../transport/transport.js';
import type { MongoOptions } from '../uri/client-options.js';

export type ConnectFunction = (options: ConnectOptions) => Promise<Connection>;

/** The connect settings of every connection to the deployment (the address is per server). */
export type BaseConnectOptions = Omit<ConnectOptions, 'address' | 'monitoring'>;

export function baseConnectOptions(
  o: MongoOptions,
  transport: Transport,
  tls: TransportTlsOptions | undefined,
  authenticator: Authenticator | undefined,
): BaseConnectOptions {
  return {
    transport,
    tls,
    ...pick(o, ['connectTimeoutMS', 'socketTimeoutMS', 'appName', 'driverInfo', 'credentials', 'loadBalanced', 'serverApi']),
    ...(authenticator ? { authenticator } : {}),
  };
}

export interface ServerPoolOptions {
  readonly address: string;
  readonly options: MongoOptions;
  readonly base: BaseConnectOptions;
  readonly connect: ConnectFunction;
  /** A connection attempt (for a checkout or minPoolSize) failed; `generation` is the pool generation it started in. */
  onEstablishError(error: Error, generation: number): void;
  emit(event: string, payload: unknown): void;
}

/** The CMAP pool of one server. */
export function createServerPool(p: ServerPoolOptions): Pool {
  // The pool generation each failed connection attempt started in: SDAM ignores
  // errors older than the pool's generation, so background (minPoolSize) errors
  // must carry theirs.
  const attemptGeneration = new WeakMap<object, number>();
  return new Pool({
    address: p.address,
    connect: async ({ id, generation, signal }) => {
      try {
        return await p.connect({ ...p.base, address: p.address, id, generation, signal });
      } catch (e) {
        if (typeof e === 'object' && e !== null) attemptGeneration.set(e, generation);
        throw e;
      }
    },
    ...pick(p.options, ['maxPoolSize', 'minPoolSize', 'maxConnecting', 'maxIdleTimeMS', 'waitQueueTimeoutMS', 'loadBalanced']),
    onEstablishError: (error) => p.onEstablishError(error, attemptGeneration.get(error) ?? -1),
    subscribe: (pool) => {
      for (const name of CONNECTION_POOL_EVENTS) pool.on(name, (e: unknown) => p.emit(name, e));
    },
  });
}

/** The options of `o` named in `keys` (settings another module takes by the same names). */
function pick<T, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, o[key]])) as Pick<T, K>;
}
