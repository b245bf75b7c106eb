/**
 * Features an entry point adds to the client (kept out of the browser bundle's first
 * load): `client.bulkWrite` is registered by client/client-bulk-write.ts, which the Node
 * entry imports; other entries import that module to enable it.
 */
import type { ClientBulkWriteImpl } from './client-bulk-write.js';

let clientBulkWrite: ClientBulkWriteImpl | undefined;

export function registerClientBulkWrite(impl: ClientBulkWriteImpl): void {
  clientBulkWrite = impl;
}

export function registeredClientBulkWrite(): ClientBulkWriteImpl | undefined {
  return clientBulkWrite;
}
