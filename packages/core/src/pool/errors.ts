/**
 * Pool errors the spec names (PoolClosedError, WaitQueueTimeoutError), named as in
 * the official driver. They use the codes errors.ts already reserves for them
 * (DriverErrorCode.PoolClosed / WaitQueueTimeout); the integrator may move them into
 * errors.ts. A pool that is paused/cleared fails with errors.ts MongoPoolClearedError.
 */
import { DriverErrorCode, MongoDriverError, type MongoErrorOptions } from '../errors.js';

export class MongoPoolClosedError extends MongoDriverError {
  readonly address: string;
  constructor(address: string, options?: MongoErrorOptions) {
    super('Attempted to check out a connection from closed connection pool', DriverErrorCode.PoolClosed, options);
    this.address = address;
  }
  override get name(): string {
    return 'MongoPoolClosedError';
  }
}

/** The message is the spec's; `address` and `timeoutMS` say where and how long. */
export class MongoWaitQueueTimeoutError extends MongoDriverError {
  readonly address: string;
  readonly timeoutMS: number;
  constructor(address: string, timeoutMS: number, options?: MongoErrorOptions) {
    super('Timed out while checking out a connection from connection pool', DriverErrorCode.WaitQueueTimeout, options);
    this.address = address;
    this.timeoutMS = timeoutMS;
  }
  override get name(): string {
    return 'MongoWaitQueueTimeoutError';
  }
}
