/** The `never` check that ends every switch over a union (house rule 2). */
import { DriverErrorCode, MongoDriverError } from '../errors.js';

export function assertNever(value: never): never {
  throw new MongoDriverError(`Unexpected value: ${String(value)}`, DriverErrorCode.Runtime);
}
