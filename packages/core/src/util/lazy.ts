/**
 * Code most apps never run before their first operation (auth mechanisms, the SRV resolver,
 * change streams, bulk writes, selection explanations...) is loaded with dynamic import() at
 * its first use, so a split browser build (dist/esm-split/) fetches it only then; the
 * one-file bundle and Node inline or load it the same way. `lazy` memoizes the load and
 * turns a failed one (a chunk the network did not deliver) into a typed MongoRuntimeError;
 * the next call tries again.
 */
import { DriverErrorCode, MongoRuntimeError } from '../errors.js';

export function lazy<T>(what: string, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((cause: unknown) => {
      loading = undefined;
      throw new MongoRuntimeError(`mongo-edge could not load its ${what} code (a chunk loaded on first use): ${(cause as Error)?.message ?? String(cause)}`, DriverErrorCode.Runtime, { cause });
    }));
}
